/**
 * The prediction log port: one row per served call (its id, the deployment, the model version that
 * answered, the variant, sampled and size-capped inputs and outputs, latency and time), and the
 * delayed feedback (labels, outcomes) joined to it by prediction id. Serving writes it in batches;
 * monitoring and online experiments read it.
 *
 * Built-ins: the memory store (the reference) and the SQL store. A third-party store is checked with
 * `predictionLogStoreSuite` from `mlcycle/testing`.
 */

/** A model version that took part in a prediction (the answering one, or a step of a routine). */
export interface PredictionModelRef {
  model: string;
  version: number;
  versionId: string;
  /** The routine step that called it (composite deployments), when there is one. */
  step?: string;
}

/**
 * Whether a prediction's inputs and outputs were kept: `full`; `sampled_out` (the sampling rate
 * skipped them); `truncated` (larger than the size cap per row, so dropped — the row itself stays).
 */
export type PredictionPayloadState = "full" | "sampled_out" | "truncated";

/** One logged prediction. */
export interface PredictionRecord {
  /** The prediction id (ULID) the caller got back. */
  id: string;
  /** The deployment's name. */
  deployment: string;
  /** The model and version that answered. */
  model: string;
  version: number;
  versionId: string;
  /** The variant that answered (online experiments), when there is one. */
  variant?: string;
  /** Every model version called for this prediction, in call order (composite routines). */
  models?: PredictionModelRef[];
  /** Rows in the call. */
  rows: number;
  /** The inputs as JSON, when kept (see {@link PredictionPayloadState}). */
  inputs?: unknown;
  /** The outputs as JSON, when kept. */
  outputs?: unknown;
  payload: PredictionPayloadState;
  /** Time spent in the call, in ms. */
  latencyMs: number;
  /** When the call was answered (ms since the epoch). */
  at: number;
}

/** Delayed feedback on one prediction: a label (ground truth), an outcome (a reward, a conversion), or both. */
export interface FeedbackRecord {
  predictionId: string;
  /** The true label(s) as JSON. */
  label?: unknown;
  /** A numeric outcome, e.g. 1 for a conversion or a revenue amount. */
  outcome?: number;
  /** When the feedback was recorded. */
  at: number;
}

/** A logged prediction with the feedback recorded for it, if any. */
export interface LoggedPrediction extends PredictionRecord {
  feedback?: FeedbackRecord;
}

/** Which predictions {@link PredictionLogStore.listPredictions} returns. */
export interface PredictionQuery {
  deployment?: string;
  model?: string;
  version?: number;
  variant?: string;
  /** Answered at or after (ms). */
  from?: number;
  /** Answered before (ms). */
  to?: number;
  /** Only predictions with feedback (`true`) or without it (`false`). */
  withFeedback?: boolean;
  /** Page size (default 1,000, at most 10,000). */
  limit?: number;
  /** The `nextPageToken` of the previous page. */
  pageToken?: string;
}

/** One page of predictions, oldest first (by time, then id). */
export interface PredictionPage {
  predictions: LoggedPrediction[];
  /** Present when there are more. */
  nextPageToken?: string;
}

/** The default and largest page of {@link PredictionLogStore.listPredictions}. */
export const PREDICTION_PAGE_DEFAULT = 1_000;
export const PREDICTION_PAGE_MAX = 10_000;

/** The prediction log port (see the file comment). */
export interface PredictionLogStore {
  /**
   * Stores predictions, all or none. A record whose id is already stored is skipped (a retried
   * batch writes nothing twice). `VALIDATION` for a record that is not well formed.
   */
  putPredictions(records: readonly PredictionRecord[]): Promise<void>;
  /** One prediction with its feedback; undefined when it is not stored (or was removed by retention). */
  getPrediction(id: string): Promise<LoggedPrediction | undefined>;
  /** Predictions matching the query, oldest first, paged. `VALIDATION` for a bad query or token. */
  listPredictions(query?: PredictionQuery): Promise<PredictionPage>;
  /**
   * Records feedback, all or none: `NOT_FOUND` naming the first prediction id that is not stored.
   * Feedback for a prediction that has some already is merged into it: a given `label` or
   * `outcome` replaces the stored one, an absent one keeps it; `at` becomes the newest.
   */
  putFeedback(records: readonly FeedbackRecord[]): Promise<void>;
  /**
   * Retention: removes predictions answered before `before` (and their feedback), optionally of one
   * deployment only; returns how many were removed.
   */
  deletePredictionsBefore(before: number, options?: { deployment?: string }): Promise<number>;
}

import type { OnlineFeatures } from "../features/feature-types.js";
import type { JsonSchema } from "../registry/signature.js";
import type { LoadOptions } from "../registry/registry-types.js";
import type { PredictionModelRef } from "../stores/prediction-log-store.js";

/** Micro-batching of a deployment: concurrent calls are coalesced into one model call. */
export interface BatchingOptions {
  /** Largest number of rows in one model call (default 64). */
  maxBatchSize?: number;
  /** Longest a call waits for others to join its batch, in ms (default 5). */
  maxWaitMs?: number;
}

/** What a deployment logs of each call to the prediction log. */
export interface PredictionLogOptions {
  /** Log predictions at all (default true). Off: calls still get prediction ids. */
  enabled?: boolean;
  /** Share of calls whose inputs and outputs are kept, 0..1 (default 1). Every call gets a row. */
  sampleRate?: number;
  /** Seed of the sampling choice, for a reproducible choice of the calls kept (default: random). */
  sampleSeed?: number;
  /** Largest JSON size of inputs + outputs kept per row, in bytes (default 64 KiB); larger ones are dropped. */
  maxPayloadBytes?: number;
  /** Rows buffered before a write (default 500). */
  flushSize?: number;
  /** Longest a row waits in the buffer, in ms (default 1,000). */
  flushIntervalMs?: number;
  /**
   * Predictions of this deployment older than this are removed (ms; default: kept), at each
   * `flush()` and periodically (every `retentionMs`, at most every minute).
   */
  retentionMs?: number;
  /**
   * Most rows kept while the store cannot be written (default 100,000): failed writes are retried at
   * the next interval, and beyond this bound the oldest rows are dropped (`deployment.log_failed`).
   */
  maxBacklog?: number;
}

/** Feature-enriched serving: where a deployment gets the features of entity keys. */
export interface FeatureServingOptions {
  /** The feature service to read (default: the version's `featureService`). */
  service?: string;
  /**
   * Turns the online feature rows (with any values the request passed directly merged in) into the
   * model's inputs. Default: one array per row, the service's columns in order.
   */
  toInputs?(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): unknown;
}

/** Options of `ws.serving.deploy`. */
export interface DeployOptions {
  /** The deployment's name in the prediction log and events (default: the reference, e.g. `churn@champion`). */
  name?: string;
  /** Micro-batching (default off). */
  batching?: BatchingOptions | false;
  /**
   * How often the alias is re-read for moves made by another process, in ms (default 5,000; `false`
   * turns polling off). Moves in this process are seen at once through `ws.events`, and moves of
   * other processes too when the metadata store announces them (PostgreSQL's `LISTEN`/`NOTIFY`:
   * polling then only covers a notice missed while its connection was re-established).
   */
  pollIntervalMs?: number | false;
  /** Inputs predicted once with a newly loaded version before it takes traffic. */
  warmup?: unknown;
  /** Check outputs against the version's output schema (default true when it has one). */
  validateOutputs?: boolean;
  /** Prediction log settings. */
  log?: PredictionLogOptions;
  /** Feature-enriched serving settings. */
  features?: FeatureServingOptions;
  /** Passed to the registry's `load` (flavor options…). */
  load?: LoadOptions;
  /** The variant name recorded with each prediction (online experiments set it). */
  variant?: string;
  /** Told of every call as it ends (online experiments count their variants' calls with it). */
  observer?: DeploymentObserver;
}

/**
 * Told of every call of a deployment synchronously as it ends, before the caller gets the answer:
 * no promise step is added per call. `answered` may add to the prediction (online experiments add
 * `experiment`); an observer that throws is ignored.
 *
 * @example
 * ```ts
 * let failed = 0;
 * await ws.serving.deploy("churn@champion", { observer: { failed: () => void failed++ } });
 * ```
 */
export interface DeploymentObserver {
  /** A call was answered (its prediction is what the caller gets). */
  answered?(prediction: Prediction): void;
  /** A call failed (validation, the model, a timeout…). */
  failed?(error: unknown): void;
}

/** Per-call options of {@link Deployment.predict}. */
export interface PredictOptions {
  /** Extra model parameters (MLflow's `params`), passed to routines; plain models ignore them. */
  params?: Record<string, unknown>;
  /** Aborts waiting (the model call itself is not interrupted). */
  signal?: AbortSignal;
  /**
   * The unit (user, session, customer id) the call is made for. An online experiment's routed
   * deployment assigns it to a variant by a hash of salt + unit, so a unit keeps its variant across
   * calls, processes and restarts; a plain deployment ignores it.
   */
  unit?: string;
}

/** What a call of {@link Deployment.predict} returns. */
export interface Prediction<O = unknown> {
  /** The prediction id (ULID): give it to `feedback`. */
  predictionId: string;
  outputs: O;
  /** The model and version that answered (a routine's: the last model it called). */
  model: string;
  version: number;
  /** Every model version called (composite routines), in order. */
  models: PredictionModelRef[];
  /** The variant that answered, when the deployment is one arm of an online experiment. */
  variant?: string;
  /** The online experiment that routed the call, when one did. */
  experiment?: string;
  latencyMs: number;
}

/** A prediction made from entity keys, with the features that were used. */
export interface EntityPrediction<O = unknown> extends Prediction<O> {
  /** The online features read (values, TTL status, event times), after direct values were merged in. */
  features: OnlineFeatures;
}

/** Feedback on a prediction: a label, an outcome, or both. */
export interface Feedback {
  label?: unknown;
  outcome?: number;
}

/** Options of {@link Deployment.predictBatch}. */
export interface BatchPredictionOptions<O = unknown> {
  /** Rows per model call (default 1,000). */
  chunkSize?: number;
  /** Receives each chunk's outputs in order; without it the results are stored as an artifact. */
  onChunk?(outputs: O, info: { chunk: number; rows: number }): void | Promise<void>;
  /** Reported after each chunk. */
  onProgress?(progress: { chunks: number; rows: number }): void;
  /**
   * Turns one chunk of rows into the model's inputs (default: the array of rows as it is), e.g.
   * `(rows) => ({ input: rows })` for a model with named inputs.
   */
  toInputs?(rows: unknown[]): unknown;
  /** Stops between chunks (`CANCELLED`); nothing is stored or recorded for a stopped run. */
  signal?: AbortSignal;
}

/** What {@link Deployment.predictBatch} returns. */
export interface BatchPredictionResult {
  rows: number;
  chunks: number;
  model: string;
  version: number;
  /** The content-addressed artifact (JSON lines, one output row per line) when no `onChunk` was given. */
  digest?: string;
  /** The lineage artifact recorded for the predictions, when there is one. */
  lineageNodeId?: string;
}

/** What `/metadata` reports and {@link Deployment.describe} returns. */
export interface DeploymentDescription {
  name: string;
  /** The reference served, or `routine:<name>` for a composite routine. */
  ref: string;
  /** The model and version serving now (a routine's: its first model's). */
  model: string;
  version: number;
  versionId: string;
  flavor: string;
  featureService?: string;
  signature?: { inputs?: JsonSchema; outputs?: JsonSchema };
  /** Every model version of a composite routine (whose `model` and `version` are its first model's). */
  models?: PredictionModelRef[];
}

/** Readiness and health of a deployment. */
export interface DeploymentHealth {
  /** Loaded and taking traffic. */
  ready: boolean;
  state: "loading" | "ready" | "closing" | "closed";
  /** The model and version serving now (a routine's: its first model's). */
  model: string;
  version: number;
  /** Calls in flight. */
  inFlight: number;
  /** Calls answered and failed since the deployment started. */
  served: number;
  failed: number;
  /** Predictions waiting to be written to the log. */
  logBacklog: number;
  /** The last error of a swap or of the log writer, when there was one. */
  lastError?: string;
}

/**
 * A registry alias or version served in process: validated calls, micro-batching, hot swap,
 * feature-enriched calls, a prediction log and feedback. `close()` drains calls in flight.
 */
export interface Deployment<I = any, O = any> extends AsyncDisposable {
  readonly name: string;
  /** The reference served (`churn@champion`, `churn@3`…), or `routine:<name>`. */
  readonly ref: string;
  /** Validates inputs (and outputs), calls the version serving now, logs the call. */
  predict(inputs: I, options?: PredictOptions): Promise<Prediction<O>>;
  /**
   * Predicts for entity keys: reads the feature service's online features (request values in
   * `values` are merged over them, row by row), applies on-demand transforms as in training, and
   * calls the model. The version is held from the read to the answer, so the features are those of
   * the service of the version that answers. These calls are not micro-batched.
   */
  predictEntities(
    entities: ReadonlyArray<Record<string, unknown>>,
    options?: PredictOptions & { values?: ReadonlyArray<Record<string, unknown>> },
  ): Promise<EntityPrediction<O>>;
  /** Predicts over many rows in chunks with bounded memory (see {@link BatchPredictionOptions}). */
  predictBatch(
    rows: Iterable<unknown> | AsyncIterable<unknown>,
    options?: BatchPredictionOptions<O>,
  ): Promise<BatchPredictionResult>;
  /** Records a delayed label or outcome for a prediction (`NOT_FOUND` for an unknown id). */
  feedback(predictionId: string, feedback: Feedback): Promise<void>;
  /** Model, version, flavor and signature (JSON Schema) serving now. */
  describe(): DeploymentDescription;
  health(): DeploymentHealth;
  /** Writes buffered prediction log rows now. */
  flush(): Promise<void>;
  /** Stops taking calls, drains those in flight, flushes the log and releases the model. */
  close(): Promise<void>;
}

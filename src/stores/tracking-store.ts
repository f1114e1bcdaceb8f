/**
 * The tracking metadata port: experiments, runs, params, tags, metrics (full history and latest),
 * run artifacts (path → digest), dataset inputs, and run search over a filter AST.
 *
 * The domain module (`ws.experiments`) validates input, parses filters and derives the "crashed"
 * status; a store persists and answers queries. Built-ins: `MemoryTrackingStore` (the reference)
 * and `SqlTrackingStore` (Kysely). Third parties check theirs with `trackingStoreSuite` from
 * `mlcycle/testing`.
 */

/** The status a run can be stored with. */
export type StoredRunStatus = "running" | "finished" | "failed" | "killed";

/** The status a run reads as: a stored status, or `crashed` for a running run whose heartbeat expired. */
export type RunStatus = StoredRunStatus | "crashed";

/** Whether an experiment is in use or soft-deleted. */
export type ExperimentLifecycle = "active" | "deleted";

/** An experiment as stored. */
export interface ExperimentRecord {
  id: string;
  name: string;
  description?: string;
  tags: Record<string, string>;
  lifecycle: ExperimentLifecycle;
  createdAt: number;
  updatedAt: number;
}

/** A run's own columns as stored. */
export interface RunRecord {
  id: string;
  experimentId: string;
  name: string;
  status: StoredRunStatus;
  parentRunId?: string;
  startTime: number;
  endTime?: number;
  /** Last time the process owning the run said it was alive (epoch ms). */
  heartbeatAt: number;
  /** The error message a failed run ended with. */
  error?: string;
  /** `deleted` runs are hidden from search unless asked for (default `active`). */
  lifecycle?: ExperimentLifecycle;
}

/** A run with its params, tags and latest metric values. */
export interface StoredRun extends RunRecord {
  params: Record<string, string>;
  tags: Record<string, string>;
  /** The latest value of each metric: highest step, then latest timestamp. */
  metrics: Record<string, number>;
}

/** One metric observation. `value` may be NaN or ±Infinity; `step` is an integer (may be negative). */
export interface MetricPoint {
  runId: string;
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

/** A file logged by a run: its run-relative path and the content digest in the artifact store. */
export interface RunArtifactRecord {
  path: string;
  digest: string;
  size: number;
  createdAt: number;
}

/** A dataset a run consumed. */
export interface DatasetInputRecord {
  name: string;
  digest: string;
  schema?: unknown;
  /** What the run used it for, e.g. `training`, `eval` (default `""`). */
  context?: string;
  /** Where the data came from (a URI, a table name). */
  source?: string;
  createdAt: number;
}

/** Fields of a run that may change after it started. */
export interface RunPatch {
  status?: StoredRunStatus;
  endTime?: number;
  error?: string;
  heartbeatAt?: number;
  name?: string;
  lifecycle?: ExperimentLifecycle;
}

/** Fields of an experiment that may change. */
export interface ExperimentPatch {
  name?: string;
  description?: string;
  lifecycle?: ExperimentLifecycle;
  tags?: Record<string, string>;
  updatedAt: number;
}

// ---------------------------------------------------------------------------------------------
// The run filter AST (produced by the tracking module's parser, evaluated or compiled by stores)
// ---------------------------------------------------------------------------------------------

/**
 * Where a filter operand comes from. `dataset` fields (`name`, `digest`, `context` of the run's
 * dataset inputs) match when any input of the run matches; they cannot be ordered by.
 */
export type RunFieldKind = "metric" | "param" | "tag" | "attribute" | "dataset";

/** Dataset input fields a filter may name. */
export type DatasetField = "name" | "digest" | "context";

/** Run attributes a filter or an order may name. */
export type RunAttribute =
  | "run_id"
  | "run_name"
  | "status"
  | "start_time"
  | "end_time"
  | "experiment_id"
  | "parent_run_id";

/** A field of a run: `metrics.acc`, `params.model`, `tags.team`, `attributes.start_time`, `datasets.name`. */
export interface RunField {
  kind: RunFieldKind;
  /** The metric/param/tag key, the attribute name, or the dataset field. */
  key: string;
}

/** Comparison operators of the filter language. */
export type ComparisonOp = "=" | "!=" | ">" | ">=" | "<" | "<=";

/** A node of a parsed run filter. */
export type FilterNode =
  | { type: "and"; children: FilterNode[] }
  | { type: "or"; children: FilterNode[] }
  | { type: "compare"; field: RunField; op: ComparisonOp; value: string | number }
  | { type: "like"; field: RunField; pattern: string; caseInsensitive: boolean; negated: boolean }
  | { type: "in"; field: RunField; values: Array<string | number>; negated: boolean }
  /** `IS NULL` (`IS NOT NULL` when negated): the run lacks the field (a NaN metric is present). */
  | { type: "null"; field: RunField; negated: boolean };

/** One order-by term; runs lacking the field sort last whatever the direction. */
export interface RunOrder {
  field: RunField;
  descending: boolean;
}

/** A run search as a store receives it: parsed and validated. */
export interface RunQuery {
  /** Experiments to search (empty: every experiment). */
  experimentIds: string[];
  filter?: FilterNode;
  /** Sort terms; the store breaks ties by start time descending, then run id ascending (as MLflow). */
  orderBy: RunOrder[];
  /** Page size. */
  limit: number;
  /** Rows to skip (decoded from the page token by the domain module). */
  offset: number;
  /**
   * Running runs whose heartbeat is older than this (epoch ms) read as `crashed` for the `status`
   * attribute in filters and in order.
   */
  crashedBefore: number;
  /** Which runs to search by lifecycle (default `active`). */
  lifecycle?: ExperimentLifecycle | "all";
}

// ---------------------------------------------------------------------------------------------
// The port
// ---------------------------------------------------------------------------------------------

/**
 * The tracking metadata port. All methods are required.
 *
 * Semantics every store keeps (the conformance suite checks them):
 * - experiment names are unique, deleted experiments included (`CONFLICT`);
 * - params are immutable: logging a key again with a different value is `CONFLICT`, with the same
 *   value a no-op; a batch is all-or-nothing;
 * - metric points keep every observation (duplicates included) and NaN/±Infinity exactly; the latest
 *   value of a key is the one with the highest step, then the latest timestamp;
 * - search filters and orders follow the AST's semantics: params and tags compare as strings,
 *   metrics numerically on their latest value (NaN satisfies only `!=`), a run lacking a field never
 *   matches a comparison on it, and `LIKE` is case-sensitive with `%`/`_` wildcards and `\` escape.
 */
export interface TrackingStore {
  /** Adds an experiment; `CONFLICT` when the name is taken. */
  createExperiment(experiment: ExperimentRecord): Promise<void>;
  /** An experiment by id, or undefined. */
  getExperiment(id: string): Promise<ExperimentRecord | undefined>;
  /** An experiment by exact name, or undefined. */
  getExperimentByName(name: string): Promise<ExperimentRecord | undefined>;
  /** Experiments by lifecycle (default active), ordered by creation, oldest first. */
  listExperiments(options: { lifecycle?: ExperimentLifecycle | "all"; limit?: number }): Promise<ExperimentRecord[]>;
  /** Changes an experiment; `NOT_FOUND` when absent, `CONFLICT` when the new name is taken. */
  updateExperiment(id: string, patch: ExperimentPatch): Promise<ExperimentRecord>;

  /** Adds a run with its first params and tags. */
  createRun(run: RunRecord, params: Record<string, string>, tags: Record<string, string>): Promise<void>;
  /** A run with params, tags and latest metrics, or undefined. */
  getRun(id: string): Promise<StoredRun | undefined>;
  /** Changes a run's columns; `NOT_FOUND` when absent. */
  updateRun(id: string, patch: RunPatch): Promise<void>;
  /** Sets the heartbeat of several running runs at once. */
  heartbeat(runIds: readonly string[], at: number): Promise<void>;
  /** Ids of a run's direct children, by start time then id. */
  childRunIds(parentRunId: string): Promise<string[]>;

  /** Logs params: all or nothing, `CONFLICT` (naming the key) when a stored key has another value. */
  logParams(runId: string, params: Record<string, string>): Promise<void>;
  /** Sets (overwrites) tags. */
  setTags(runId: string, tags: Record<string, string>): Promise<void>;
  /** Removes a tag; removing an absent tag is not an error. */
  deleteTag(runId: string, key: string): Promise<void>;

  /** Appends metric points of any runs in one batch and updates each key's latest value. */
  logMetrics(points: readonly MetricPoint[]): Promise<void>;
  /** A metric's full history ordered by step, then timestamp. */
  metricHistory(
    runId: string,
    key: string,
    range?: { startStep?: number; endStep?: number },
  ): Promise<Array<{ value: number; step: number; timestamp: number }>>;
  /**
   * Optional: a metric's history reduced to at most `maxPoints` points (≥ 2) by the min/max rule of
   * `downsampleMinMax` (`stores/metric-downsample.ts`) — exactly what that function gives for
   * `metricHistory(runId, key, range)` — computed where the points are, so the memory a call takes
   * does not grow with the history's length. Without it, tracking reads the whole history and
   * downsamples it itself.
   */
  metricHistoryDownsampled?(
    runId: string,
    key: string,
    maxPoints: number,
    range?: { startStep?: number; endStep?: number },
  ): Promise<Array<{ value: number; step: number; timestamp: number }>>;

  /**
   * Optional: `limit` points of a metric's history starting at index `offset` of the order
   * `metricHistory` gives (step, then timestamp) — exactly `metricHistory(runId, key).slice(offset,
   * offset + limit)` — read where the points are, so the memory a page takes does not grow with the
   * history's length. `NOT_FOUND` for an unknown run. Without it, tracking slices the whole history.
   */
  metricHistoryPage?(
    runId: string,
    key: string,
    page: { offset: number; limit: number },
  ): Promise<Array<{ value: number; step: number; timestamp: number }>>;

  /** Records (or replaces) the digest behind a run-relative artifact path. */
  putArtifact(runId: string, artifact: RunArtifactRecord): Promise<void>;
  /** A run's artifacts ordered by path. */
  listArtifacts(runId: string): Promise<RunArtifactRecord[]>;
  /** One artifact of a run, or undefined. */
  getArtifact(runId: string, path: string): Promise<RunArtifactRecord | undefined>;

  /** Records a dataset input (once per run, digest and context). */
  logInput(runId: string, input: DatasetInputRecord): Promise<void>;
  /** A run's dataset inputs in the order logged. */
  listInputs(runId: string): Promise<DatasetInputRecord[]>;

  /** One page of runs matching a query, with params, tags and latest metrics. */
  searchRuns(query: RunQuery): Promise<StoredRun[]>;
}

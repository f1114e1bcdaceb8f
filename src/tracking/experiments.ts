import type { Clock } from "../core/clock.js";
import { closedError, invalid, isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import { checkKey, checkString, checkText } from "../core/validation.js";
import { lineageIds } from "../lineage/external-ids.js";
import type { Lineage } from "../lineage/lineage.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type {
  ExperimentLifecycle,
  ExperimentRecord,
  RunStatus,
  StoredRun,
  TrackingStore,
} from "../stores/tracking-store.js";
import { downsampleMinMax, type MetricObservation } from "./downsample.js";
import { parseRunFilter, parseRunOrder } from "../stores/run-filter-parser.js";
import { MetricBuffer } from "./metric-buffer.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { type DatasetInput, describeError, Run, type RunEndStatus, type RunHost } from "./run.js";
import { runsToCsv } from "./runs-csv.js";
import { runSweep, type SweepOptions, type SweepResult } from "./sweep.js";
import type { TrackingEvents } from "./tracking-events.js";
import { fromStoreError, isUniqueViolation } from "./store-errors.js";
import { type ResolvedTrackingOptions, resolveTrackingOptions, type TrackingOptions } from "./tracking-options.js";
import {
  createExperimentOptionsSchema,
  endRunOptionsSchema,
  experimentPatchSchema,
  listExperimentsOptionsSchema,
  metricHistoryOptionsSchema,
  parseOptions,
  runEndStatusSchema,
  searchRunsCsvOptionsSchema,
  searchRunsOptionsSchema,
  startRunOptionsSchema,
} from "./tracking-schemas.js";
import {
  checkArtifactPath,
  checkDisplayName,
  checkInteger,
  checkMetricValue,
  checkParams,
  checkTags,
  TRACKING_LIMITS,
} from "./tracking-validation.js";

/** An experiment: a named group of runs. */
export type Experiment = ExperimentRecord;

/** A run as read back: status resolved (`crashed` when its heartbeat expired), latest metric values. */
export interface RunInfo {
  id: string;
  experimentId: string;
  name: string;
  status: RunStatus;
  parentRunId?: string;
  startTime: number;
  endTime?: number;
  /** Last heartbeat written by the process owning the run (epoch ms). */
  heartbeatAt: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value per metric key (highest step, then latest timestamp). */
  metrics: Record<string, number>;
  error?: string;
  /** `deleted` after {@link Experiments.deleteRun} (hidden from search by default). */
  lifecycle: ExperimentLifecycle;
}

/** Options of {@link Experiments.startRun}. */
export interface StartRunOptions {
  /** Experiment name or id; an unknown name is created. */
  experiment: string;
  /** Run name (default: a generated `run-<time>`). */
  name?: string;
  /** Parent run, for nested runs (sweep trials, folds, steps). */
  parentRunId?: string;
  tags?: Record<string, string>;
  params?: Record<string, string | number | boolean>;
  /**
   * The run id (default a new ULID), for a caller that hands the id out before the run is written
   * (pipelines give a step its run id up front and write the run on first use). Until the run is
   * written, {@link Experiments.getRun} of that id waits for it.
   */
  runId?: string;
}

/** Options of {@link Experiments.searchRuns}. */
export interface SearchRunsOptions {
  /** Experiment names or ids (default: every experiment). */
  experiments?: string | string[];
  /** A filter such as `metrics.acc > 0.9 and (params.model = 'rf' or tags.team LIKE 'ml%')`. */
  filter?: string;
  /** Order terms such as `metrics.acc DESC` (default `attributes.start_time DESC`). */
  orderBy?: string | string[];
  /** Page size (default 1000, at most 50000). */
  maxResults?: number;
  /** The `nextPageToken` of the previous page. */
  pageToken?: string;
  /** Runs to search by lifecycle, as MLflow's run view type (default `active`). */
  lifecycle?: ExperimentLifecycle | "all";
}

/** One page of {@link Experiments.searchRuns}. */
export interface RunPage {
  runs: RunInfo[];
  /** Present when more runs may follow: pass it as `pageToken`. */
  nextPageToken?: string;
}

/** Options of {@link Experiments.metricHistory}. */
export interface MetricHistoryOptions {
  /** Downsample to at most this many points (min/max per bucket, first and last kept); e.g. 320. */
  maxPoints?: number;
  startStep?: number;
  endStep?: number;
}

/**
 * One row of {@link RunComparison}: a key's value in each compared run. `values[i]`, `runIds[i]`
 * and `runNames[i]` belong to the same run, so a row printed or exported alone says whose values
 * it holds.
 */
export interface RunComparisonRow<V> {
  key: string;
  values: Array<V | undefined>;
  /** The values are not all the same. */
  differs: boolean;
  runIds: string[];
  runNames: string[];
}

/** {@link Experiments.compareRuns}: params and latest metrics side by side. */
export interface RunComparison {
  runs: RunInfo[];
  /** One row per param key; `values[i]` belongs to `runs[i]`. */
  params: Array<RunComparisonRow<string>>;
  /** One row per metric key (latest values); `values[i]` belongs to `runs[i]`. */
  metrics: Array<RunComparisonRow<number>>;
}

/** Options of {@link Experiments.searchRunsCsv}: a search without paging. */
export interface SearchRunsCsvOptions extends Omit<SearchRunsOptions, "pageToken" | "maxResults"> {
  /** Most runs to export (default: every matching run). */
  maxResults?: number;
}

/** What {@link Experiments} is built with (the workspace passes its own stores and modules). */
export interface ExperimentsOptions {
  /** The tracking metadata port. */
  store: TrackingStore;
  /** Where run artifacts go. */
  artifacts: ArtifactStore;
  /** Records dataset inputs of runs. */
  lineage: Lineage;
  /** Where `experiment.created`, `run.started` and `run.ended` are emitted. */
  events: EventBus<TrackingEvents>;
  clock: Clock;
  /** Metric buffering and heartbeat settings (defaults: {@link TRACKING_DEFAULTS}). */
  tracking?: TrackingOptions;
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * `ws.experiments`: experiments, runs (params, tags, buffered metrics, artifacts, dataset inputs,
 * nested runs, heartbeat/crash detection), run search with a filter language, metric history,
 * comparison and hyper-parameter sweeps.
 *
 * @example
 * ```ts
 * const acc = await ws.experiments.withRun({ experiment: "iris", params: { trees: 100 } }, async (run) => {
 *   run.logMetric("acc", 0.95);
 *   return 0.95;
 * });
 * const { runs } = await ws.experiments.searchRuns({ experiments: "iris", filter: "metrics.acc > 0.9",
 *   orderBy: "metrics.acc DESC" });
 * ```
 */
export class Experiments {
  private readonly store: TrackingStore;
  private readonly buffer: MetricBuffer;
  private readonly openRuns = new Map<string, Run>();
  /** Runs started with a caller-given id whose record is being written. */
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly host: RunHost;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatWrite: Promise<void> = Promise.resolve();
  private settings: ResolvedTrackingOptions;
  private closed = false;

  private readonly artifacts: ArtifactStore;
  private readonly lineage: Lineage;
  private readonly events: EventBus<TrackingEvents>;
  private readonly clock: Clock;

  constructor(options: ExperimentsOptions) {
    this.store = options.store;
    this.artifacts = options.artifacts;
    this.lineage = options.lineage;
    this.events = options.events;
    this.clock = options.clock;
    this.settings = resolveTrackingOptions(options.tracking);
    this.buffer = new MetricBuffer(this.store, this.settings.metricBatchSize, this.settings.flushIntervalMs);
    this.host = {
      store: this.store,
      artifacts: this.artifacts,
      clock: this.clock,
      buffer: this.buffer,
      isClosed: () => this.closed,
      call: (operation, fn) => this.call(operation, fn),
      recordInput: (run, input) => this.recordInput(run, input),
      finishRun: (run, status, error) => this.finishRun(run, status, error),
    };
  }

  /** The settings in force (defaults filled in). */
  get options(): Readonly<ResolvedTrackingOptions> {
    return this.settings;
  }

  /** Changes buffering and heartbeat settings; timers restart with the new intervals. */
  configure(options: TrackingOptions): void {
    this.assertOpen();
    this.settings = resolveTrackingOptions(options, this.settings);
    this.buffer.configure(this.settings.metricBatchSize, this.settings.flushIntervalMs);
    if (this.heartbeatTimer) {
      this.stopHeartbeat();
      this.startHeartbeat();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /**
   * Runs one operation on the stores: refused with the closed error once the workspace is closed,
   * and any error that is not an `MlcycleError` (a driver's) wrapped with it as `cause`.
   */
  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (error) {
      throw fromStoreError(error, operation, this.closed);
    }
  }

  // -- experiments ------------------------------------------------------------------------------

  /** Creates an experiment; `CONFLICT` when the name is taken (deleted experiments included). */
  async create(name: string, opts: { description?: string; tags?: Record<string, string> } = {}): Promise<Experiment> {
    this.assertOpen();
    checkDisplayName("experiment name", name);
    parseOptions(createExperimentOptionsSchema, opts, "create options");
    if (opts.description !== undefined) checkString("description", opts.description, TRACKING_LIMITS.descriptionLength);
    const now = this.clock.now();
    const e: Experiment = {
      id: newId(),
      name,
      tags: checkTags(opts.tags, "experiment tags"),
      lifecycle: "active",
      createdAt: now,
      updatedAt: now,
    };
    if (opts.description !== undefined) e.description = opts.description;
    await this.call("create an experiment", () => this.store.createExperiment(e));
    this.events.emit("experiment.created", { experimentId: e.id, name: e.name });
    return e;
  }

  /** An experiment by id or name, or undefined. */
  async find(nameOrId: string): Promise<Experiment | undefined> {
    this.assertOpen();
    checkText("experiment", nameOrId, 1000);
    if (nameOrId === "") return undefined;
    return this.call("read an experiment", async () => {
      if (ULID_RE.test(nameOrId)) {
        const byId = await this.store.getExperiment(nameOrId);
        if (byId) return byId;
      }
      return this.store.getExperimentByName(nameOrId);
    });
  }

  /** An experiment by id or name; `NOT_FOUND` naming it when absent. Deleted experiments are returned too. */
  async get(nameOrId: string): Promise<Experiment> {
    const e = await this.find(nameOrId);
    if (!e) throw notFound("experiment", String(nameOrId));
    return e;
  }

  /**
   * The experiment of that name, created when missing; `PRECONDITION` when it is deleted.
   * Safe when several processes call it at once.
   */
  async getOrCreate(name: string): Promise<Experiment> {
    const found = await this.find(name);
    if (found) return this.usable(found);
    try {
      return await this.create(name);
    } catch (error) {
      if (!isMlcycleError(error, "CONFLICT")) throw error;
      return this.usable(await this.get(name));
    }
  }

  private usable(e: Experiment): Experiment {
    if (e.lifecycle === "deleted")
      throw new MlcycleError("PRECONDITION", `experiment '${e.name}' is deleted; restore it to add runs`, {
        details: { experimentId: e.id },
      });
    return e;
  }

  /** Experiments, oldest first (default: active ones; at most `limit`, default 1000). */
  async list(opts: { lifecycle?: ExperimentLifecycle | "all"; limit?: number } = {}): Promise<Experiment[]> {
    this.assertOpen();
    const checked = parseOptions(listExperimentsOptionsSchema, opts, "list options");
    return this.call("list experiments", () => this.store.listExperiments(checked));
  }

  /** Renames an experiment; `CONFLICT` when the new name is taken. */
  async rename(nameOrId: string, newName: string): Promise<Experiment> {
    this.assertOpen();
    checkDisplayName("experiment name", newName);
    const e = await this.get(nameOrId);
    return this.call("rename an experiment", () =>
      this.store.updateExperiment(e.id, { name: newName, updatedAt: this.clock.now() }),
    );
  }

  /** Changes an experiment's description or merges tags. */
  async update(nameOrId: string, patch: { description?: string; tags?: Record<string, string> }): Promise<Experiment> {
    this.assertOpen();
    parseOptions(experimentPatchSchema, patch, "experiment patch");
    if (patch.description !== undefined)
      checkString("description", patch.description, TRACKING_LIMITS.descriptionLength);
    const tags = patch.tags === undefined ? undefined : checkTags(patch.tags, "experiment tags");
    const e = await this.get(nameOrId);
    return this.call("update an experiment", () =>
      this.store.updateExperiment(e.id, {
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(tags ? { tags } : {}),
        updatedAt: this.clock.now(),
      }),
    );
  }

  /** Soft-deletes an experiment: its runs stay readable; new runs are refused until restored. */
  async delete(nameOrId: string): Promise<Experiment> {
    const e = await this.get(nameOrId);
    return this.call("delete an experiment", () =>
      this.store.updateExperiment(e.id, { lifecycle: "deleted", updatedAt: this.clock.now() }),
    );
  }

  /** Restores a deleted experiment. */
  async restore(nameOrId: string): Promise<Experiment> {
    const e = await this.get(nameOrId);
    return this.call("restore an experiment", () =>
      this.store.updateExperiment(e.id, { lifecycle: "active", updatedAt: this.clock.now() }),
    );
  }

  // -- runs -------------------------------------------------------------------------------------

  /**
   * Starts a run (status `running`, heartbeat on). The experiment is found by id or name and
   * created when the name is unknown.
   */
  async startRun(opts: StartRunOptions): Promise<Run> {
    this.assertOpen();
    parseOptions(startRunOptionsSchema, opts, "startRun options");
    const given = opts.runId;
    if (given === undefined) return this.startRunNow(opts);
    checkKey("runId", given);
    const started = this.startRunNow(opts);
    const settled = started.catch(() => undefined);
    this.starting.set(given, settled);
    void settled.then(() => {
      if (this.starting.get(given) === settled) this.starting.delete(given);
    });
    return started;
  }

  private async startRunNow(opts: StartRunOptions): Promise<Run> {
    this.assertOpen();
    const name = opts.name === undefined ? undefined : checkDisplayName("run name", opts.name);
    const params = checkParams(opts.params);
    const tags = checkTags(opts.tags);
    const found = await this.find(opts.experiment);
    const experiment = found
      ? this.usable(found)
      : await this.getOrCreate(checkDisplayName("experiment", opts.experiment));
    // A parent open in this process exists (runs are only soft-deleted): no read needed.
    if (opts.parentRunId !== undefined && !this.openRuns.has(opts.parentRunId)) {
      const parentRunId = opts.parentRunId;
      const parent = await this.call("read a run", () => this.store.getRun(parentRunId));
      if (!parent) throw notFound("parent run", parentRunId);
    }
    const now = this.clock.now();
    const id = opts.runId ?? newId(now);
    const duplicate = () =>
      new MlcycleError("CONFLICT", `run '${id}' already exists: give each run its own id`, { details: { runId: id } });
    if (
      opts.runId !== undefined &&
      (this.openRuns.has(id) || (await this.call("read a run", () => this.store.getRun(id))))
    )
      throw duplicate();
    const runName =
      name ??
      `run-${new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${id.slice(-4).toLowerCase()}`;
    const record = {
      id,
      experimentId: experiment.id,
      name: runName,
      status: "running",
      ...(opts.parentRunId !== undefined ? { parentRunId: opts.parentRunId } : {}),
      startTime: now,
      heartbeatAt: now,
    } as const;
    try {
      await this.call("start a run", () => this.store.createRun(record, params, tags));
    } catch (error) {
      // Two callers giving the same id at once: the store's unique key decides.
      if (error instanceof MlcycleError && error.code === "INTERNAL" && isUniqueViolation(error.cause))
        throw new MlcycleError("CONFLICT", duplicate().message, { details: { runId: id }, cause: error.cause });
      throw error;
    }
    return this.open(new Run(this.host, id, experiment.id, runName, opts.parentRunId));
  }

  private open(run: Run): Run {
    this.openRuns.set(run.id, run);
    this.startHeartbeat();
    this.events.emit("run.started", {
      runId: run.id,
      experimentId: run.experimentId,
      ...(run.parentRunId !== undefined ? { parentRunId: run.parentRunId } : {}),
    });
    return run;
  }

  /**
   * Reopens a run that is not running (for example one that crashed) to log more: its status
   * returns to `running` and its heartbeat restarts.
   */
  async resumeRun(runId: string): Promise<Run> {
    this.assertOpen();
    checkText("runId", runId, 1000);
    const open = this.openRuns.get(runId);
    if (open) return open;
    const r = await this.call("read a run", () => this.store.getRun(runId));
    if (!r) throw notFound("run", runId);
    const now = this.clock.now();
    await this.call("resume a run", () => this.store.updateRun(runId, { status: "running", heartbeatAt: now }));
    return this.open(new Run(this.host, r.id, r.experimentId, r.name, r.parentRunId));
  }

  /**
   * Runs `fn` inside a new run: ends it `finished` when `fn` returns, `failed` with the error when
   * it throws (and rethrows).
   *
   * @example
   * ```ts
   * await ws.experiments.withRun({ experiment: "iris" }, async (run) => { run.logMetric("acc", 0.9); });
   * ```
   */
  async withRun<T>(opts: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    this.assertOpen();
    if (typeof fn !== "function") throw invalid(["fn"], "must be a function (run) => result");
    const run = await this.startRun(opts);
    let result: T;
    try {
      result = await fn(run);
    } catch (error) {
      await run.end("failed", { error }).catch(() => undefined);
      throw error;
    }
    await run.end("finished");
    return result;
  }

  /**
   * Ends a run by id from any process (for example a crashed one): `finished`, `failed` or `killed`.
   */
  async endRun(runId: string, status: RunEndStatus, opts: { error?: unknown } = {}): Promise<void> {
    this.assertOpen();
    checkText("runId", runId, 1000);
    if (!runEndStatusSchema.safeParse(status).success)
      throw invalid(["status"], `must be finished, failed or killed, got '${String(status)}'`);
    parseOptions(endRunOptionsSchema, opts, "endRun options");
    const open = this.openRuns.get(runId);
    if (open) return open.end(status, opts);
    const r = await this.call("read a run", () => this.store.getRun(runId));
    if (!r) throw notFound("run", runId);
    await this.call("end a run", () =>
      this.store.updateRun(runId, {
        status,
        endTime: this.clock.now(),
        ...(opts.error !== undefined ? { error: describeError(opts.error) } : {}),
      }),
    );
    this.events.emit("run.ended", { runId, experimentId: r.experimentId, status });
  }

  private async finishRun(run: Run, status: RunEndStatus, error?: string): Promise<void> {
    this.openRuns.delete(run.id);
    if (this.openRuns.size === 0) this.stopHeartbeat();
    await this.store.updateRun(run.id, {
      status,
      endTime: this.clock.now(),
      ...(error !== undefined ? { error } : {}),
    });
    this.events.emit("run.ended", { runId: run.id, experimentId: run.experimentId, status });
  }

  private async recordInput(run: Run, input: DatasetInput): Promise<void> {
    const now = this.clock.now();
    await this.store.logInput(run.id, {
      name: input.name,
      digest: input.digest,
      ...(input.schema !== undefined ? { schema: input.schema } : {}),
      ...(input.context !== undefined ? { context: input.context } : {}),
      ...(input.source !== undefined ? { source: input.source } : {}),
      createdAt: now,
    });
    const lineage = this.lineage;
    const dataset = await lineage.recordArtifact({
      type: "dataset",
      name: input.name,
      externalId: lineageIds.dataset(input.digest),
      ...(/^[0-9a-f]{64}$/.test(input.digest) ? { digest: input.digest } : {}),
      ...(input.source !== undefined ? { uri: input.source } : {}),
      properties: {
        datasetDigest: input.digest,
        ...(input.schema !== undefined ? { schema: input.schema } : {}),
      },
    });
    const experiment = await lineage.recordContext({
      type: "experiment",
      name: (await this.store.getExperiment(run.experimentId))?.name ?? run.experimentId,
      externalId: lineageIds.experiment(run.experimentId),
    });
    await lineage.recordExecution({
      type: "tracking_run",
      name: run.name,
      externalId: lineageIds.run(run.id),
      properties: { runId: run.id, experimentId: run.experimentId },
      inputs: [{ artifact: dataset.id, slot: input.context || "input" }],
      contexts: [experiment.id],
    });
  }

  // -- heartbeat --------------------------------------------------------------------------------

  private startHeartbeat(): void {
    if (this.heartbeatTimer || this.closed) return;
    this.heartbeatTimer = setInterval(() => {
      const ids = [...this.openRuns.keys()];
      if (ids.length === 0) return;
      // One write at a time; a failed beat is retried by the next tick.
      this.heartbeatWrite = this.heartbeatWrite
        .then(() => this.store.heartbeat(ids, this.clock.now()))
        .catch(() => undefined);
    }, this.settings.heartbeatIntervalMs);
    this.heartbeatTimer.unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  // -- reading runs -----------------------------------------------------------------------------

  private resolveStatus(r: StoredRun): RunStatus {
    if (r.status !== "running") return r.status;
    return r.heartbeatAt < this.crashedBefore() ? "crashed" : "running";
  }

  private crashedBefore(): number {
    return this.clock.now() - this.settings.crashTimeoutMs;
  }

  private toInfo(r: StoredRun): RunInfo {
    const info: RunInfo = {
      id: r.id,
      experimentId: r.experimentId,
      name: r.name,
      status: this.resolveStatus(r),
      startTime: r.startTime,
      heartbeatAt: r.heartbeatAt,
      params: r.params,
      tags: r.tags,
      metrics: r.metrics,
      lifecycle: r.lifecycle ?? "active",
    };
    if (r.parentRunId !== undefined) info.parentRunId = r.parentRunId;
    if (r.endTime !== undefined) info.endTime = r.endTime;
    if (r.error !== undefined) info.error = r.error;
    return info;
  }

  /** A run with params, tags and latest metrics; `NOT_FOUND` naming it. Metrics still buffered are not included. */
  async getRun(runId: string): Promise<RunInfo> {
    this.assertOpen();
    checkText("runId", runId, 1000);
    const starting = this.starting.get(runId);
    if (starting) await starting;
    const r = await this.call("read a run", () => this.store.getRun(runId));
    if (!r) throw notFound("run", runId);
    return this.toInfo(r);
  }

  /** Soft-deletes a run: it stays readable by id but is hidden from search unless asked for. */
  async deleteRun(runId: string): Promise<void> {
    await this.getRun(runId);
    await this.call("delete a run", () => this.store.updateRun(runId, { lifecycle: "deleted" }));
  }

  /** Restores a deleted run. */
  async restoreRun(runId: string): Promise<void> {
    await this.getRun(runId);
    await this.call("restore a run", () => this.store.updateRun(runId, { lifecycle: "active" }));
  }

  /** Direct child runs of a run (nested runs, sweep trials), oldest first. */
  async childRuns(runId: string): Promise<RunInfo[]> {
    await this.getRun(runId);
    const ids = await this.call("list child runs", () => this.store.childRunIds(runId));
    return Promise.all(ids.map((id) => this.getRun(id)));
  }

  /** A run's artifacts (path, digest, size), ordered by path. */
  async listArtifacts(runId: string): Promise<Array<{ path: string; digest: string; size: number }>> {
    await this.getRun(runId);
    return (await this.call("list artifacts", () => this.store.listArtifacts(runId))).map(({ path, digest, size }) => ({
      path,
      digest,
      size,
    }));
  }

  /** The bytes of a run's artifact (digest-verified); `NOT_FOUND` naming the path. */
  async readArtifact(runId: string, path: string): Promise<Uint8Array> {
    checkArtifactPath(path);
    await this.getRun(runId);
    const a = await this.call("read an artifact", () => this.store.getArtifact(runId, path));
    if (!a) throw notFound("artifact", `${runId}/${path}`);
    return this.call("read an artifact", () => this.artifacts.get(a.digest));
  }

  /** A run's dataset inputs, in the order logged. */
  async listInputs(runId: string): Promise<DatasetInput[]> {
    await this.getRun(runId);
    return (await this.call("list dataset inputs", () => this.store.listInputs(runId))).map(
      ({ createdAt: _, ...d }) => d,
    );
  }

  /**
   * A metric's history ordered by step (then timestamp), optionally downsampled for charts with
   * {@link downsampleMinMax}. Buffered points are flushed first.
   */
  async metricHistory(runId: string, key: string, opts: MetricHistoryOptions = {}): Promise<MetricObservation[]> {
    this.assertOpen();
    checkKey("metric key", key);
    const { maxPoints, ...range } = parseOptions(metricHistoryOptionsSchema, opts, "metricHistory options");
    await this.getRun(runId);
    if (this.buffer.pending > 0) await this.buffer.settle();
    if (maxPoints === undefined)
      return this.call("read a metric history", () => this.store.metricHistory(runId, key, range));
    // Downsampled where the points are when the store can (memory independent of the history's length).
    const store = this.store;
    if (store.metricHistoryDownsampled)
      return this.call("read a metric history", () => store.metricHistoryDownsampled!(runId, key, maxPoints, range));
    const points = await this.call("read a metric history", () => store.metricHistory(runId, key, range));
    return downsampleMinMax(points, maxPoints);
  }

  /**
   * Searches runs with a filter, order and page size; see the filter grammar in `parseRunFilter`.
   * A malformed filter is a `VALIDATION` error naming the position. Buffered metrics are flushed
   * first so this process's latest values are seen.
   */
  async searchRuns(options: SearchRunsOptions = {}): Promise<RunPage> {
    this.assertOpen();
    const opts = parseOptions(searchRunsOptionsSchema, options, "searchRuns options");
    const filter = parseRunFilter(opts.filter);
    const orderBy = parseRunOrder(opts.orderBy);
    const limit = opts.maxResults ?? 1000;
    const names =
      opts.experiments === undefined
        ? []
        : typeof opts.experiments === "string"
          ? [opts.experiments]
          : opts.experiments;
    const experimentIds: string[] = [];
    for (const n of names) experimentIds.push((await this.get(n)).id);
    const lifecycle = opts.lifecycle ?? "active";
    const fingerprint = { experimentIds, filter: opts.filter ?? "", orderBy: opts.orderBy ?? [], lifecycle };
    const offset = decodePageToken(opts.pageToken, fingerprint);
    if (this.buffer.pending > 0) await this.buffer.settle();
    const rows = await this.call("search runs", () =>
      this.store.searchRuns({
        experimentIds,
        ...(filter ? { filter } : {}),
        orderBy,
        limit: limit + 1,
        offset,
        crashedBefore: this.crashedBefore(),
        lifecycle,
      }),
    );
    const page: RunPage = { runs: rows.slice(0, limit).map((r) => this.toInfo(r)) };
    if (rows.length > limit) page.nextPageToken = encodePageToken(offset + limit, fingerprint);
    return page;
  }

  /** Params and latest metrics of several runs side by side (keys sorted; `differs` marks rows that vary). */
  async compareRuns(runIds: string[]): Promise<RunComparison> {
    this.assertOpen();
    if (!Array.isArray(runIds) || runIds.length === 0) throw invalid(["runIds"], "must list at least one run");
    if (runIds.length > 1000)
      throw invalid(["runIds"], `lists ${runIds.length} runs; at most 1000 are compared at once`, "too_big");
    const runs = await Promise.all(runIds.map((id) => this.getRun(id)));
    const rows = <V>(pick: (r: RunInfo) => Record<string, V>): Array<RunComparisonRow<V>> => {
      const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
      return keys.map((key) => {
        const values = runs.map((r) => (Object.hasOwn(pick(r), key) ? pick(r)[key] : undefined));
        const differs = values.some((v) => !Object.is(v, values[0]));
        return { key, values, differs, runIds: runs.map((r) => r.id), runNames: runs.map((r) => r.name) };
      });
    };
    return { runs, params: rows((r) => r.params), metrics: rows((r) => r.metrics) };
  }

  /**
   * Every run a search matches (following its pages, up to `maxResults`) as CSV: `run_id`,
   * `run_name`, `experiment_id`, `status`, `start_time`, `end_time`, then `params.*`, `metrics.*`
   * and `tags.*` columns; see {@link runsToCsv}.
   *
   * @example
   * ```ts
   * await writeFile("iris-runs.csv", await ws.experiments.searchRunsCsv({ experiments: "iris", orderBy: "metrics.acc DESC" }));
   * ```
   */
  async searchRunsCsv(opts: SearchRunsCsvOptions = {}): Promise<string> {
    this.assertOpen();
    const { maxResults, ...search } = parseOptions(searchRunsCsvOptionsSchema, opts, "searchRunsCsv options");
    const cap = maxResults ?? Number.POSITIVE_INFINITY;
    const runs: RunInfo[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({
        ...search,
        maxResults: Math.min(1000, cap - runs.length),
        ...(pageToken ? { pageToken } : {}),
      });
      runs.push(...page.runs);
      pageToken = page.nextPageToken;
    } while (pageToken && runs.length < cap);
    return runsToCsv(runs);
  }

  /**
   * Runs a hyper-parameter sweep: a parent run with one child run per trial (grid or seeded random
   * search within a trial budget), stopping poor trials early by the median rule, and reports the
   * best trial. See {@link SweepOptions}.
   */
  sweep<P extends Record<string, unknown> = Record<string, string | number | boolean>>(
    opts: SweepOptions<P>,
  ): Promise<SweepResult<P>> {
    this.assertOpen();
    return runSweep(this, opts);
  }

  /**
   * Logs metrics, params and tags on a run by id, whatever its status (MLflow's `log_batch`): a
   * finished run stays finished. Metrics go through the metric buffer and are written before this
   * returns; `NOT_FOUND` naming the run before anything is written.
   *
   * @example
   * ```ts
   * await ws.experiments.logBatch(runId, { metrics: { holdout_auc: 0.91 }, tags: { evaluated: "yes" } });
   * ```
   */
  async logBatch(
    runId: string,
    batch: {
      metrics?: Record<string, number>;
      params?: Record<string, string | number | boolean>;
      tags?: Record<string, string>;
      /** Step of the metrics (default 0). */
      step?: number;
      /** Timestamp of the metrics, epoch ms (default now). */
      timestamp?: number;
    },
  ): Promise<void> {
    this.assertOpen();
    await this.getRun(runId);
    const metrics = Object.entries(batch.metrics ?? {});
    if (metrics.length > TRACKING_LIMITS.metricsPerBatch)
      throw invalid(
        ["metrics"],
        `has ${metrics.length} entries; one call takes at most ${TRACKING_LIMITS.metricsPerBatch}`,
        "too_big",
      );
    const params = checkParams(batch.params);
    const tags = checkTags(batch.tags);
    const step = batch.step === undefined ? 0 : checkInteger("step", batch.step);
    const timestamp = batch.timestamp === undefined ? this.clock.now() : checkInteger("timestamp", batch.timestamp);
    const points = metrics.map(([key, value]) => ({
      runId,
      key: checkKey("metric key", key),
      value: checkMetricValue(key, value),
      step,
      timestamp,
    }));
    if (Object.keys(params).length) await this.store.logParams(runId, params);
    if (Object.keys(tags).length) await this.store.setTags(runId, tags);
    if (points.length) {
      await this.buffer.addAll(points);
      await this.buffer.flush(runId);
    }
  }

  /** Writes every buffered metric point and waits for them. */
  async flush(): Promise<void> {
    await this.call("write metrics", () => this.buffer.flush());
  }

  /**
   * Flushes every open run's buffered metrics and stops the flush and heartbeat timers (the
   * workspace calls it on close). Runs left open stay `running` and read `crashed` once their
   * heartbeat expires.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopHeartbeat();
    try {
      await this.buffer.close();
    } finally {
      await this.heartbeatWrite;
    }
  }
}

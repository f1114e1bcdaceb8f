import type { Clock } from "../core/clock.js";
import { closedError, invalid, notFound } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { checkKey, checkText } from "../core/validation.js";
import type { Lineage } from "../lineage/lineage.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { ExperimentLifecycle, TrackingStore } from "../stores/tracking-store.js";
import type { MetricObservation } from "./downsample.js";
import { type Experiment, ExperimentCatalog } from "./experiment-catalog.js";
import { MetricBuffer } from "./metric-buffer.js";
import { OpenRuns, type StartRunOptions } from "./open-runs.js";
import type { DatasetInput, Run, RunEndStatus } from "./run.js";
import { recordRunInput } from "./run-input-lineage.js";
import {
  type MetricHistoryOptions,
  type MetricHistoryPage,
  type MetricHistoryPageOptions,
  type RunComparison,
  type RunInfo,
  type RunPage,
  RunQueries,
  type SearchRunsCsvOptions,
  type SearchRunsOptions,
} from "./run-queries.js";
import { runSweep, type SweepOptions, type SweepResult } from "./sweep.js";
import type { TrackingEvents } from "./tracking-events.js";
import { fromStoreError } from "./store-errors.js";
import { type ResolvedTrackingOptions, resolveTrackingOptions, type TrackingOptions } from "./tracking-options.js";
import {
  checkArtifactPath,
  checkInteger,
  checkMetricValue,
  checkParams,
  checkTags,
  TRACKING_LIMITS,
} from "./tracking-validation.js";

export type { Experiment } from "./experiment-catalog.js";
export type { StartRunOptions } from "./open-runs.js";
export type {
  MetricHistoryOptions,
  MetricHistoryPage,
  MetricHistoryPageOptions,
  RunComparison,
  RunComparisonRow,
  RunInfo,
  RunPage,
  SearchRunsCsvOptions,
  SearchRunsOptions,
} from "./run-queries.js";

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
  private settings: ResolvedTrackingOptions;
  private closed = false;

  private readonly artifacts: ArtifactStore;
  private readonly lineage: Lineage;
  private readonly events: EventBus<TrackingEvents>;
  private readonly clock: Clock;
  private readonly catalog: ExperimentCatalog;
  private readonly queries: RunQueries;
  private readonly runs: OpenRuns;

  constructor(options: ExperimentsOptions) {
    this.store = options.store;
    this.artifacts = options.artifacts;
    this.lineage = options.lineage;
    this.events = options.events;
    this.clock = options.clock;
    this.settings = resolveTrackingOptions(options.tracking);
    this.buffer = new MetricBuffer(this.store, this.settings.metricBatchSize, this.settings.flushIntervalMs);
    const host = {
      store: this.store,
      artifacts: this.artifacts,
      clock: this.clock,
      buffer: this.buffer,
      isClosed: () => this.closed,
      call: <T>(operation: string, fn: () => Promise<T>) => this.call(operation, fn),
      recordInput: (run: Run, input: DatasetInput) =>
        recordRunInput({ store: this.store, lineage: this.lineage, clock: this.clock }, run, input),
    };
    const inner = {
      store: this.store,
      events: this.events,
      clock: this.clock,
      assertOpen: () => this.assertOpen(),
      call: <T>(operation: string, fn: () => Promise<T>) => this.call(operation, fn),
    };
    this.catalog = new ExperimentCatalog(inner);
    this.queries = new RunQueries({
      ...inner,
      buffer: this.buffer,
      crashTimeoutMs: () => this.settings.crashTimeoutMs,
      getRun: (runId) => this.getRun(runId),
      experimentId: async (nameOrId) => (await this.get(nameOrId)).id,
    });
    this.runs = new OpenRuns({
      ...inner,
      catalog: this.catalog,
      host,
      heartbeatIntervalMs: () => this.settings.heartbeatIntervalMs,
    });
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
    this.runs.restartHeartbeat();
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
    return this.catalog.create(name, opts);
  }

  /** An experiment by id or name, or undefined. */
  async find(nameOrId: string): Promise<Experiment | undefined> {
    return this.catalog.find(nameOrId);
  }

  /** An experiment by id or name; `NOT_FOUND` naming it when absent. Deleted experiments are returned too. */
  async get(nameOrId: string): Promise<Experiment> {
    return this.catalog.get(nameOrId);
  }

  /**
   * The experiment of that name, created when missing; `PRECONDITION` when it is deleted.
   * Safe when several processes call it at once.
   */
  async getOrCreate(name: string): Promise<Experiment> {
    return this.catalog.getOrCreate(name);
  }

  /** Experiments, oldest first (default: active ones; at most `limit`, default 1000). */
  async list(opts: { lifecycle?: ExperimentLifecycle | "all"; limit?: number } = {}): Promise<Experiment[]> {
    return this.catalog.list(opts);
  }

  /** Renames an experiment; `CONFLICT` when the new name is taken. */
  async rename(nameOrId: string, newName: string): Promise<Experiment> {
    return this.catalog.rename(nameOrId, newName);
  }

  /** Changes an experiment's description or merges tags. */
  async update(nameOrId: string, patch: { description?: string; tags?: Record<string, string> }): Promise<Experiment> {
    return this.catalog.update(nameOrId, patch);
  }

  /** Soft-deletes an experiment: its runs stay readable; new runs are refused until restored. */
  async delete(nameOrId: string): Promise<Experiment> {
    return this.catalog.delete(nameOrId);
  }

  /** Restores a deleted experiment. */
  async restore(nameOrId: string): Promise<Experiment> {
    return this.catalog.restore(nameOrId);
  }

  // -- runs -------------------------------------------------------------------------------------

  /**
   * Starts a run (status `running`, heartbeat on). The experiment is found by id or name and
   * created when the name is unknown.
   */
  async startRun(opts: StartRunOptions): Promise<Run> {
    return this.runs.startRun(opts);
  }

  /**
   * Reopens a run that is not running (for example one that crashed) to log more: its status
   * returns to `running` and its heartbeat restarts.
   */
  async resumeRun(runId: string): Promise<Run> {
    return this.runs.resumeRun(runId);
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
    return this.runs.endRun(runId, status, opts);
  }

  // -- reading runs -----------------------------------------------------------------------------

  /** A run with params, tags and latest metrics; `NOT_FOUND` naming it. Metrics still buffered are not included. */
  async getRun(runId: string): Promise<RunInfo> {
    this.assertOpen();
    checkText("runId", runId, 1000);
    const starting = this.runs.startingRun(runId);
    if (starting) await starting;
    const r = await this.call("read a run", () => this.store.getRun(runId));
    if (!r) throw notFound("run", runId);
    return this.queries.toInfo(r);
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
    return this.queries.metricHistory(runId, key, opts);
  }

  /**
   * One page of a metric's history, in the order of {@link metricHistory}: at most `maxResults`
   * points (default and at most 25000, as MLflow's `get_metric_history`), and a `nextPageToken`
   * while more follow. The memory a page takes does not grow with the history's length when the
   * store reads pages itself. A token is bound to its run and key (`VALIDATION` elsewhere).
   * Buffered points are flushed first.
   */
  async metricHistoryPage(runId: string, key: string, opts: MetricHistoryPageOptions = {}): Promise<MetricHistoryPage> {
    return this.queries.metricHistoryPage(runId, key, opts);
  }

  /**
   * Searches runs with a filter, order and page size; see the filter grammar in `parseRunFilter`.
   * A malformed filter is a `VALIDATION` error naming the position. Buffered metrics are flushed
   * first so this process's latest values are seen.
   */
  async searchRuns(options: SearchRunsOptions = {}): Promise<RunPage> {
    return this.queries.searchRuns(options);
  }

  /** Params and latest metrics of several runs side by side (keys sorted; `differs` marks rows that vary). */
  async compareRuns(runIds: string[]): Promise<RunComparison> {
    return this.queries.compareRuns(runIds);
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
    return this.queries.searchRunsCsv(opts);
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
    this.runs.stopHeartbeat();
    try {
      await this.buffer.close();
    } finally {
      await this.runs.heartbeatSettled();
    }
  }
}

import type { Clock } from "../core/clock.js";
import { invalid } from "../core/errors.js";
import { checkKey } from "../core/validation.js";
import { parseRunFilter, parseRunOrder } from "../stores/run-filter-parser.js";
import type { ExperimentLifecycle, RunStatus, StoredRun, TrackingStore } from "../stores/tracking-store.js";
import { downsampleMinMax, type MetricObservation } from "./downsample.js";
import type { MetricBuffer } from "./metric-buffer.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { runsToCsv } from "./runs-csv.js";
import {
  MAX_METRIC_HISTORY_PAGE,
  metricHistoryOptionsSchema,
  metricHistoryPageOptionsSchema,
  parseOptions,
  searchRunsCsvOptionsSchema,
  searchRunsOptionsSchema,
} from "./tracking-schemas.js";

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

/** Options of {@link Experiments.metricHistoryPage}. */
export interface MetricHistoryPageOptions {
  /** Page size (default and at most 25000, as MLflow's `get_metric_history`). */
  maxResults?: number;
  /** The `nextPageToken` of the previous page (of the same run and key). */
  pageToken?: string;
}

/** One page of {@link Experiments.metricHistoryPage}. */
export interface MetricHistoryPage {
  /** Points in the order of {@link Experiments.metricHistory} (step, then timestamp). */
  points: MetricObservation[];
  /** Present when more points may follow: pass it as `pageToken`. */
  nextPageToken?: string;
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

/** What {@link RunQueries} is built with ({@link Experiments} passes its own). */
export interface RunQueriesOptions {
  store: TrackingStore;
  /** Flushed before a read so this process's latest metric values are seen. */
  buffer: MetricBuffer;
  clock: Clock;
  /** The crash timeout in force (it changes with `Experiments.configure`). */
  crashTimeoutMs(): number;
  /** Throws the closed error once the workspace is closed. */
  assertOpen(): void;
  /** Runs one store operation, wrapping driver errors (see `Experiments`). */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** A run by id, `NOT_FOUND` naming it (waits for a run being started with that id). */
  getRun(runId: string): Promise<RunInfo>;
  /** The id of an experiment by name or id, `NOT_FOUND` naming it. */
  experimentId(nameOrId: string): Promise<string>;
}

/**
 * Run search, CSV export, comparison and metric history behind {@link Experiments}, which
 * delegates its reading methods here (their documentation lives on the facade).
 */
export class RunQueries {
  private readonly store: TrackingStore;
  private readonly buffer: MetricBuffer;
  private readonly clock: Clock;
  private readonly deps: RunQueriesOptions;

  constructor(options: RunQueriesOptions) {
    this.store = options.store;
    this.buffer = options.buffer;
    this.clock = options.clock;
    this.deps = options;
  }

  private assertOpen(): void {
    this.deps.assertOpen();
  }

  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.deps.call(operation, fn);
  }

  private getRun(runId: string): Promise<RunInfo> {
    return this.deps.getRun(runId);
  }

  private resolveStatus(r: StoredRun): RunStatus {
    if (r.status !== "running") return r.status;
    return r.heartbeatAt < this.crashedBefore() ? "crashed" : "running";
  }

  /** Running runs whose heartbeat is older than this (epoch ms) read `crashed`. */
  crashedBefore(): number {
    return this.clock.now() - this.deps.crashTimeoutMs();
  }

  /** A stored run as {@link RunInfo}, its status resolved. */
  toInfo(r: StoredRun): RunInfo {
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

  /** See {@link Experiments.metricHistory}. */
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

  /** See {@link Experiments.metricHistoryPage}. */
  async metricHistoryPage(runId: string, key: string, opts: MetricHistoryPageOptions = {}): Promise<MetricHistoryPage> {
    this.assertOpen();
    checkKey("metric key", key);
    const { maxResults, pageToken } = parseOptions(metricHistoryPageOptionsSchema, opts, "metricHistoryPage options");
    const limit = maxResults ?? MAX_METRIC_HISTORY_PAGE;
    const fingerprint = { metricHistory: { runId, key } };
    const offset = decodePageToken(pageToken, fingerprint, "metricHistoryPage", "another run or metric key");
    await this.getRun(runId);
    if (this.buffer.pending > 0) await this.buffer.settle();
    // One point past the page tells whether another follows.
    const page = { offset, limit: limit + 1 };
    const store = this.store;
    const rows = store.metricHistoryPage
      ? await this.call("read a metric history", () => store.metricHistoryPage!(runId, key, page))
      : (await this.call("read a metric history", () => store.metricHistory(runId, key))).slice(
          offset,
          offset + limit + 1,
        );
    const out: MetricHistoryPage = { points: rows.slice(0, limit) };
    if (rows.length > limit) out.nextPageToken = encodePageToken(offset + limit, fingerprint);
    return out;
  }

  /** See {@link Experiments.searchRuns}. */
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
    for (const n of names) experimentIds.push(await this.deps.experimentId(n));
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

  /** See {@link Experiments.compareRuns}. */
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

  /** See {@link Experiments.searchRunsCsv}. */
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
}

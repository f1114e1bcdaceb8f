import { availableParallelism } from "node:os";
import { MlcycleError } from "../../core/errors.js";
import type { ColumnDriftOptions, ColumnDriftResult, ColumnKind } from "./column-drift.js";
import { type ColumnJob, runColumnJob } from "./column-job.js";
import {
  categoryValues,
  type DriftData,
  type DriftTable,
  driftTable,
  inferColumnKind,
  numericValues,
} from "./drift-data.js";
import { driftWorkerEntry, runOnWorkers } from "./drift-pool.js";
import { checkDriftShare, driftShareOf } from "./drift-share.js";

/**
 * Values (reference and current together, over every compared column) from which
 * {@link driftReport} spreads columns over worker threads by default: below, starting the workers
 * costs more than it saves.
 */
export const DRIFT_WORKER_THRESHOLD = 4_000_000;

/** One column's settings in {@link driftReport}: its kind, method and threshold. */
export interface DriftReportColumnOptions extends ColumnDriftOptions {
  /**
   * The column's kind. Default: numeric when every value that is not missing is a number (a typed
   * array always is), else categorical.
   */
  kind?: ColumnKind;
}

/** Options of {@link driftReport}. */
export interface DriftReportOptions {
  /** The columns to compare, in this order. Default: every column of the reference. */
  select?: readonly string[];
  /** Settings of some columns by name; the others use `defaults`, else Evidently's defaults. */
  columns?: Record<string, DriftReportColumnOptions>;
  /** Settings of every column not named in `columns`. */
  defaults?: ColumnDriftOptions;
  /** The data set drifts when at least this share of its columns drift. Default 0.5 (Evidently's). */
  driftShare?: number;
  /**
   * Worker threads to spread the columns over; 0 computes them in this thread. Default: as many as
   * the machine's cores (`os.availableParallelism()`) when there are two columns or more and
   * {@link DRIFT_WORKER_THRESHOLD} values or more, else 0. At most one per column. A bundle that
   * left out the worker's module (`dist/drift-worker.js`, beside the library's) computes in this
   * thread, and says so in {@link DriftReport.workers}.
   */
  workers?: number;
  /** Values from which the default `workers` starts a pool. Default {@link DRIFT_WORKER_THRESHOLD}. */
  workerThreshold?: number;
  /** Aborts the report (`CANCELLED`), stopping its workers. */
  signal?: AbortSignal;
}

/** One column of a {@link DriftReport}: its drift, and the missing values left out on each side. */
export interface DriftReportColumn extends ColumnDriftResult {
  /** Reference values left out as missing (null, undefined, NaN, ±Infinity). */
  referenceMissing: number;
  /** Current values left out as missing. */
  currentMissing: number;
}

/** A column {@link driftReport} could not compare, and why. */
export interface SkippedDriftColumn {
  column: string;
  /** e.g. "the current data has no values for it (all 120 missing)". */
  reason: string;
}

/** The result of {@link driftReport}. */
export interface DriftReport {
  /** One result per compared column, in the order compared. */
  columns: DriftReportColumn[];
  /** Number of columns compared (skipped ones are not counted). */
  columnCount: number;
  /** Number of columns that drifted. */
  driftedCount: number;
  /** `driftedCount / columnCount` (0 without columns). */
  share: number;
  /** The share at or above which the data set drifts. */
  driftShare: number;
  /** Whether at least `driftShare` of the columns drifted. */
  drifted: boolean;
  /** Rows of the reference and current data. */
  referenceRows: number;
  currentRows: number;
  /** Columns left out: no values on one side. */
  skipped: SkippedDriftColumn[];
  /** Worker threads the columns were computed on; 0 when they were computed in the calling thread. */
  workers: number;
}

function optionError(path: PropertyKey[], message: string): MlcycleError {
  return new MlcycleError("VALIDATION", `driftReport: ${message}`, {
    issues: [{ code: "invalid_value", path, message }],
  });
}

function selectedColumns(ref: DriftTable, cur: DriftTable, options: DriftReportOptions): string[] {
  const select = options.select;
  if (select !== undefined && (!Array.isArray(select) || select.some((c) => typeof c !== "string")))
    throw optionError(["select"], "select must be an array of column names");
  const names = select ? [...select] : ref.names;
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw optionError(["select", name], `column '${name}' is selected twice`);
    seen.add(name);
    if (!ref.has(name)) throw optionError(["select", name], `column '${name}' is not in the reference data`);
    if (!cur.has(name)) throw optionError(["current", name], `column '${name}' is not in the current data`);
  }
  for (const name of Object.keys(options.columns ?? {})) {
    if (!seen.has(name))
      throw optionError(["columns", name], `settings given for column '${name}', which is not compared`);
  }
  if (names.length === 0) throw optionError(["select"], "no columns to compare");
  return names;
}

function workerCount(options: DriftReportOptions, columns: number, values: number): number {
  const { workers, workerThreshold } = options;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
    throw optionError(["workers"], `workers must be an integer >= 0 (got ${workers})`);
  if (workerThreshold !== undefined && !(typeof workerThreshold === "number" && workerThreshold >= 0))
    throw optionError(["workerThreshold"], `workerThreshold must be a number >= 0 (got ${workerThreshold})`);
  const wanted =
    workers ?? (columns >= 2 && values >= (workerThreshold ?? DRIFT_WORKER_THRESHOLD) ? availableParallelism() : 0);
  return Math.min(wanted, columns);
}

function cancelled(signal: AbortSignal): MlcycleError {
  return new MlcycleError("CANCELLED", "driftReport was aborted", { cause: signal.reason });
}

/**
 * Drift of every column between two data sets — a reference (the training data) and a current one
 * (production data) — and of the data set as a whole: Evidently's data drift report, computed
 * exactly on every value. Each column gets {@link columnDrift}'s test (Evidently's default for its
 * kind and the reference's size and distinct values, unless `columns` or `defaults` say otherwise);
 * missing values (null, undefined, NaN, ±Infinity) are left out and counted; the data set drifts when
 * at least `driftShare` of the columns drift.
 *
 * Numeric columns are copied once into a Float64Array and sorted once; Wasserstein and KS then merge
 * the two sorted arrays. Large reports spread their columns over worker threads (see `workers`).
 *
 * @throws MlcycleError `VALIDATION` when the data is not columns or rows, columns differ in length, a
 * selected column is missing on either side, a value has the wrong type for its column, or a
 * setting is invalid (the error names the column); `CANCELLED` when `signal` aborts.
 * @example
 * ```ts
 * const report = await driftReport(
 *   { age: trainAges, plan: trainPlans },
 *   { age: liveAges, plan: livePlans },
 * );
 * report.drifted; // true when at least half the columns drifted
 * report.columns[0]; // { column: "age", method: "wasserstein", statistic: 0.31, drifted: true, … }
 * ```
 */
export async function driftReport(
  reference: DriftData,
  current: DriftData,
  options: DriftReportOptions = {},
): Promise<DriftReport> {
  const ref = driftTable(reference, "reference");
  const cur = driftTable(current, "current");
  const names = selectedColumns(ref, cur, options);
  const driftShare = checkDriftShare(options.driftShare, "driftReport");
  let workers = workerCount(options, names.length, names.length * (ref.rows + cur.rows));
  const entry = workers > 0 ? driftWorkerEntry() : undefined;
  if (!entry) workers = 0;
  const { signal } = options;
  if (signal?.aborted) throw cancelled(signal);

  const missing = names.map(() => [0, 0]);
  // In column order: jobs are prepared in order, on the pool too.
  const skipped: SkippedDriftColumn[] = [];
  const prepare = (i: number): ColumnJob | undefined => {
    const column = names[i];
    const settings = options.columns && Object.hasOwn(options.columns, column) ? options.columns[column] : undefined;
    const { kind: given, ...columnOptions } = { ...options.defaults, ...settings };
    if (given !== undefined && given !== "numeric" && given !== "categorical")
      throw optionError(["columns", column, "kind"], `kind of column '${column}' must be 'numeric' or 'categorical'`);
    const refValues = ref.column(column) as ArrayLike<unknown>;
    const curValues = cur.column(column) as ArrayLike<unknown>;
    const kind = given ?? inferColumnKind(refValues);
    const job: ColumnJob =
      kind === "numeric"
        ? {
            column,
            kind,
            reference: numericValues(refValues, column, "reference").values,
            current: numericValues(curValues, column, "current").values,
            options: columnOptions,
          }
        : {
            column,
            kind,
            reference: categoryValues(refValues, column, "reference").values,
            current: categoryValues(curValues, column, "current").values,
            options: columnOptions,
          };
    const refMissing = refValues.length - job.reference.length;
    const curMissing = curValues.length - job.current.length;
    missing[i] = [refMissing, curMissing];
    if (job.reference.length === 0 || job.current.length === 0) {
      const [role, count] = job.reference.length === 0 ? ["reference", refMissing] : ["current", curMissing];
      skipped.push({ column, reason: `the ${role} data has no values for it (all ${count} missing)` });
      return undefined;
    }
    return job;
  };

  let results: Array<ColumnDriftResult | undefined>;
  if (entry && workers > 0) {
    results = await runOnWorkers({ jobs: names.length, prepare, workers, entry, ...(signal ? { signal } : {}) });
  } else {
    results = [];
    for (let i = 0; i < names.length; i++) {
      // Between columns, the event loop runs (and may abort the report).
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw cancelled(signal);
      const job = prepare(i);
      results.push(job ? runColumnJob(job) : undefined);
    }
  }

  const columns: DriftReportColumn[] = [];
  results.forEach((r, i) => {
    if (r) columns.push({ ...r, referenceMissing: missing[i][0], currentMissing: missing[i][1] });
  });
  return {
    columns,
    ...driftShareOf(columns, driftShare),
    referenceRows: ref.rows,
    currentRows: cur.rows,
    skipped,
    workers,
  };
}

import { MlcycleError } from "../../core/errors.js";
import { type ColumnDriftOptions, type ColumnDriftResult, columnDrift, type DriftColumnData } from "./column-drift.js";
import { checkDriftShare, driftShareOf } from "./drift-share.js";

/** Options of {@link datasetDrift}. */
export interface DatasetDriftOptions {
  /** Settings for some columns by name (method, threshold…); the others use the defaults. */
  columns?: Record<string, ColumnDriftOptions>;
  /** Settings applied to every column not named in `columns`. */
  defaults?: ColumnDriftOptions;
  /** The dataset drifts when at least this share of its columns drift. Default 0.5 (Evidently's). */
  driftShare?: number;
}

/** The verdict over all columns, from {@link datasetDrift}. */
export interface DatasetDriftResult {
  /** One result per column, in the order the columns were given. */
  columns: ColumnDriftResult[];
  /** Number of columns checked. */
  columnCount: number;
  /** Number of columns that drifted. */
  driftedCount: number;
  /** `driftedCount / columnCount`. */
  share: number;
  /** The share at or above which the dataset drifts. */
  driftShare: number;
  /** Whether `share >= driftShare`. */
  drifted: boolean;
}

/**
 * Drift of every column ({@link columnDrift}) and of the dataset: it drifts when the share of
 * drifted columns is at least `driftShare` (default 0.5, Evidently's rule).
 *
 * @throws MlcycleError `VALIDATION` when there are no columns, `options.columns` names a column not
 * given, `driftShare` is not in (0, 1], or any column is invalid (the error names it).
 * @example
 * ```ts
 * const report = datasetDrift(
 *   {
 *     age: { kind: "numeric", reference: refAges, current: curAges },
 *     plan: { kind: "categorical", reference: refPlans, current: curPlans },
 *   },
 *   { columns: { age: { method: "psi", threshold: 0.2 } } },
 * );
 * report.drifted; // true when at least half the columns drifted
 * ```
 */
export function datasetDrift(
  columns: Record<string, DriftColumnData>,
  options: DatasetDriftOptions = {},
): DatasetDriftResult {
  const names = Object.keys(columns ?? {});
  if (names.length === 0) {
    throw new MlcycleError("VALIDATION", "datasetDrift: no columns to compare", {
      issues: [{ code: "too_small", path: ["columns"], message: "at least one column is required" }],
    });
  }
  const driftShare = checkDriftShare(options.driftShare, "datasetDrift");
  const perColumn = options.columns ?? {};
  for (const name of Object.keys(perColumn)) {
    if (!Object.hasOwn(columns, name)) {
      throw new MlcycleError("VALIDATION", `datasetDrift: settings given for column '${name}', which is not compared`, {
        issues: [{ code: "unrecognized_keys", path: ["columns", name], message: "no such column" }],
        details: { column: name },
      });
    }
  }
  const results = names.map((name) =>
    columnDrift(name, columns[name], { ...options.defaults, ...(perColumn[name] ?? {}) }),
  );
  return { columns: results, ...driftShareOf(results, driftShare) };
}

import { isMlcycleError, MlcycleError, type MlcycleErrorCode, type MlcycleIssue } from "../../core/errors.js";
import type { Category } from "./category-counts.js";
import { type ColumnDriftOptions, type ColumnDriftResult, columnDrift } from "./column-drift.js";
import { SortedSample } from "./numeric-sample.js";
import { sortFloat64 } from "./sort-float64.js";

/**
 * One column of a drift report, ready to compute — in this thread or in a worker, which receives it
 * by structured clone (numeric values are transferred, not copied). The arrays belong to the job:
 * numeric ones are sorted in place.
 */
export type ColumnJob =
  | {
      column: string;
      kind: "numeric";
      /** Finite reference values, unsorted. */
      reference: Float64Array;
      /** Finite current values, unsorted. */
      current: Float64Array;
      options: ColumnDriftOptions;
    }
  | {
      column: string;
      kind: "categorical";
      reference: Category[];
      current: Category[];
      options: ColumnDriftOptions;
    };

/** Computes a job's column drift with {@link columnDrift}, sorting numeric values once. */
export function runColumnJob(job: ColumnJob): ColumnDriftResult {
  if (job.kind === "numeric") {
    const reference = new SortedSample(sortFloat64(job.reference), job.column);
    const current = new SortedSample(sortFloat64(job.current), job.column);
    return columnDrift(job.column, { kind: "numeric", reference, current }, job.options);
  }
  return columnDrift(job.column, { kind: "categorical", reference: job.reference, current: job.current }, job.options);
}

/** An error as it crosses from a worker: what {@link MlcycleError} needs to be made again. */
export interface JobError {
  code: MlcycleErrorCode;
  message: string;
  issues: MlcycleIssue[];
  details: Record<string, unknown>;
}

/** The cloneable form of an error thrown by {@link runColumnJob}. */
export function jobError(error: unknown): JobError {
  if (isMlcycleError(error))
    return { code: error.code, message: error.message, issues: error.issues, details: error.details };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL", message: `drift worker failed: ${message}`, issues: [], details: {} };
}

/** The error a worker reported, made again in this thread. */
export function fromJobError(e: JobError): MlcycleError {
  return new MlcycleError(e.code, e.message, { issues: e.issues, details: e.details });
}

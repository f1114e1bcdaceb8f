import { MlcycleError } from "../../core/errors.js";

/** The dataset's verdict over its columns' verdicts. */
export interface DriftShare {
  columnCount: number;
  driftedCount: number;
  /** `driftedCount / columnCount` (0 without columns). */
  share: number;
  driftShare: number;
  /** Whether there are columns and `share >= driftShare`. */
  drifted: boolean;
}

/**
 * Evidently's dataset drift rule, shared by {@link datasetDrift}, {@link driftReport} and the monitor's
 * windows: the data set drifts when at least `driftShare` of its columns drift.
 */
export function driftShareOf(columns: ReadonlyArray<{ drifted: boolean }>, driftShare: number): DriftShare {
  let driftedCount = 0;
  for (const c of columns) if (c.drifted) driftedCount++;
  const share = columns.length ? driftedCount / columns.length : 0;
  return {
    columnCount: columns.length,
    driftedCount,
    share,
    driftShare,
    drifted: columns.length > 0 && share >= driftShare,
  };
}

/** Checks a `driftShare` option (in (0, 1], default 0.5) and returns it. */
export function checkDriftShare(driftShare: number | undefined, where: string): number {
  const value = driftShare ?? 0.5;
  if (typeof value !== "number" || !(value > 0 && value <= 1)) {
    throw new MlcycleError("VALIDATION", `${where}: driftShare must be in (0, 1] (got ${value})`, {
      issues: [{ code: "invalid_value", path: ["driftShare"], message: "expected a share in (0, 1]" }],
    });
  }
  return value;
}

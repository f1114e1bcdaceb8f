import { createRequire } from "node:module";
import { MlcycleError } from "../../core/errors.js";

const require = createRequire(import.meta.url);
let chisquareCdf: typeof import("@stdlib/stats-base-dists-chisquare-cdf") | undefined;

/**
 * @stdlib's chi-square CDF, loaded on first use: it is a few hundred small modules, and a drift
 * worker comparing numbers never needs it (they are most of a worker's start-up).
 */
function chisquareCdfFn(): typeof import("@stdlib/stats-base-dists-chisquare-cdf") {
  chisquareCdf ??=
    require("@stdlib/stats-base-dists-chisquare-cdf") as typeof import("@stdlib/stats-base-dists-chisquare-cdf");
  return chisquareCdf;
}

/** Result of {@link chiSquareTest}. */
export interface ChiSquareTestResult {
  /** Pearson's χ² = Σ (observed − expected)² / expected. `Infinity` when a category has observations but no expectation. */
  statistic: number;
  /** P(χ²_df ≥ statistic). 0 when `statistic` is `Infinity`; 1 when there are fewer than two categories. */
  pValue: number;
  /** Degrees of freedom: the number of categories counted, minus one. */
  degreesOfFreedom: number;
}

function checkCounts(counts: ArrayLike<number>, what: string): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (typeof c !== "number" || !Number.isFinite(c) || c < 0) {
      throw new MlcycleError("VALIDATION", `chiSquareTest: ${what}[${i}] must be a finite non-negative count`, {
        issues: [{ code: "invalid_value", path: [what, i], message: "expected a finite non-negative count" }],
      });
    }
    sum += c;
  }
  if (!(sum > 0)) {
    throw new MlcycleError("VALIDATION", `chiSquareTest: ${what} has no counts`, {
      issues: [{ code: "too_small", path: [what], message: "expected at least one positive count" }],
    });
  }
  return sum;
}

/**
 * Pearson's chi-square goodness-of-fit test of the current counts against the reference's
 * distribution, as Evidently runs scipy's `chisquare`: observed = current count per category,
 * expected = reference count × (current total / reference total); df = categories − 1.
 *
 * A category neither side has is skipped. A category the current sample has and the reference does
 * not (expected 0) makes the statistic `Infinity` and the p-value 0: scipy has no finite value there
 * (the drift fixtures record `null`), and a category never seen before is taken as drift.
 * The p-value is `1 − F_χ²(statistic; df)` from `@stdlib/stats-base-dists-chisquare-cdf`.
 *
 * @param referenceCounts - count per category in the reference (same order as `currentCounts`).
 * @param currentCounts - count per category in the current sample.
 * @throws MlcycleError `VALIDATION` when the lengths differ, a count is negative or not finite, or a
 * side has no counts.
 * @example
 * ```ts
 * const { statistic, pValue } = chiSquareTest([50, 30, 20], [40, 30, 30]);
 * statistic; // 7
 * pValue; // 0.0302…
 * ```
 */
export function chiSquareTest(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): ChiSquareTestResult {
  if (referenceCounts?.length !== currentCounts?.length) {
    throw new MlcycleError(
      "VALIDATION",
      `chiSquareTest: reference and current must have one count per category each (got ${referenceCounts?.length} and ${currentCounts?.length})`,
      { issues: [{ code: "invalid_value", path: ["currentCounts"], message: "category counts differ" }] },
    );
  }
  const refTotal = checkCounts(referenceCounts, "referenceCounts");
  const curTotal = checkCounts(currentCounts, "currentCounts");
  const scale = curTotal / refTotal;
  let statistic = 0;
  let cells = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const observed = currentCounts[i];
    const expected = referenceCounts[i] * scale;
    if (observed === 0 && expected === 0) continue;
    cells++;
    if (expected === 0) {
      statistic = Number.POSITIVE_INFINITY;
      continue;
    }
    const diff = observed - expected;
    statistic += (diff * diff) / expected;
  }
  const degreesOfFreedom = cells - 1;
  if (degreesOfFreedom < 1) return { statistic: 0, pValue: 1, degreesOfFreedom: 0 };
  if (statistic === Number.POSITIVE_INFINITY) return { statistic, pValue: 0, degreesOfFreedom };
  const p = 1 - chisquareCdfFn()(statistic, degreesOfFreedom);
  return { statistic, pValue: Math.max(p, 0), degreesOfFreedom };
}

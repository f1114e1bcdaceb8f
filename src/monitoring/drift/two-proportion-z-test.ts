import { createRequire } from "node:module";
import { MlcycleError } from "../../core/errors.js";

const require = createRequire(import.meta.url);
let normalCdf: typeof import("@stdlib/stats-base-dists-normal-cdf") | undefined;

/** @stdlib's normal CDF, loaded on first use (see `chiSquareTest`: a drift worker comparing numbers never needs it). */
function normalCdfFn(): typeof import("@stdlib/stats-base-dists-normal-cdf") {
  normalCdf ??= require("@stdlib/stats-base-dists-normal-cdf") as typeof import("@stdlib/stats-base-dists-normal-cdf");
  return normalCdf;
}

/** Result of {@link twoProportionZTest}. */
export interface TwoProportionZTestResult {
  /** z = (p_b − p_a) / √(P(1 − P)(1/n_a + 1/n_b)), P the pooled proportion; 0 when P is 0 or 1. */
  statistic: number;
  /** Two-sided p-value 2 · Φ(−|z|). */
  pValue: number;
}

function checkCount(value: number, name: string, integer: boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new MlcycleError(
      "VALIDATION",
      `twoProportionZTest: ${name} must be a non-negative ${integer ? "integer" : "number"}`,
      {
        issues: [{ code: "invalid_value", path: [name], message: "expected a non-negative count" }],
      },
    );
  }
}

/**
 * Two-sided z-test for the difference of two proportions with a pooled variance — Evidently's test
 * for two-valued categorical columns (the share of one category in reference vs current), and the
 * usual A/B test of conversion rates. When both samples are all successes or all failures the
 * proportions are equal and the result is z = 0, p = 1. The p-value uses
 * `@stdlib/stats-base-dists-normal-cdf`.
 *
 * @param successesA - successes in sample A (e.g. the reference's count of one category).
 * @param trialsA - size of sample A, > 0.
 * @param successesB - successes in sample B (the current count of the same category).
 * @param trialsB - size of sample B, > 0.
 * @throws MlcycleError `VALIDATION` for negative or non-finite counts, empty samples, or more
 * successes than trials.
 * @example
 * ```ts
 * const { statistic, pValue } = twoProportionZTest(2857, 38415, 3685, 47193);
 * statistic; // 2.0331… (B's rate is higher)
 * pValue; // 0.0420…
 * ```
 */
export function twoProportionZTest(
  successesA: number,
  trialsA: number,
  successesB: number,
  trialsB: number,
): TwoProportionZTestResult {
  checkCount(successesA, "successesA", false);
  checkCount(trialsA, "trialsA", false);
  checkCount(successesB, "successesB", false);
  checkCount(trialsB, "trialsB", false);
  if (trialsA === 0 || trialsB === 0 || successesA > trialsA || successesB > trialsB) {
    throw new MlcycleError("VALIDATION", "twoProportionZTest: each sample needs trials > 0 and successes <= trials", {
      issues: [
        {
          code: "invalid_value",
          path: [trialsA === 0 || successesA > trialsA ? "trialsA" : "trialsB"],
          message: "expected 0 <= successes <= trials and trials > 0",
        },
      ],
    });
  }
  const pA = successesA / trialsA;
  const pB = successesB / trialsB;
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  const variance = pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB);
  if (!(variance > 0)) return { statistic: 0, pValue: 1 };
  const z = (pB - pA) / Math.sqrt(variance);
  return { statistic: z, pValue: Math.min(1, 2 * normalCdfFn()(-Math.abs(z), 0, 1)) };
}

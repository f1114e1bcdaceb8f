import { invalid } from "../../core/errors.js";
import { checkFinite, checkNonNegative } from "./checks.js";
import { chiSquareSf } from "./distributions.js";

/**
 * The p-value under which {@link sampleRatioMismatch} flags a mismatch (0.001), as GrowthBook alerts.
 *
 * @example
 * ```ts
 * sampleRatioMismatch(observed, weights).pValue < SRM_P_VALUE_THRESHOLD; // same as `.mismatch`
 * ```
 */
export const SRM_P_VALUE_THRESHOLD = 0.001;

/** Options of {@link sampleRatioMismatch}. */
export interface SampleRatioMismatchOptions {
  /** Flag a mismatch when the p-value is below this. Default {@link SRM_P_VALUE_THRESHOLD} (0.001). */
  threshold?: number;
}

/** What {@link sampleRatioMismatch} reports. */
export interface SampleRatioMismatchResult {
  /** Pearson's chi-square statistic Σ (observed − expected)² / expected. */
  readonly statistic: number;
  /** Degrees of freedom: the number of arms counted, minus one. */
  readonly df: number;
  /** P(χ²_df > statistic); 1 when no unit was observed. */
  readonly pValue: number;
  /** Expected units per arm, `total · weight / Σ weights`, in the order given. */
  readonly expected: readonly number[];
  /** True when `pValue < threshold`: the traffic split is not the one configured. */
  readonly mismatch: boolean;
  /** The threshold that was applied. */
  readonly threshold: number;
}

/**
 * Sample-ratio-mismatch check: Pearson's chi-square goodness-of-fit of the units observed per arm
 * against the configured weights (normalised to sum to 1), flagged at p < 0.001 by default. Equals
 * `scipy.stats.chisquare(observed, total * weights / sum(weights))`.
 *
 * An arm with weight 0 and no units carries no information and is left out (statistic and df); an arm
 * with weight 0 that received units is a certain mismatch (statistic `Infinity`, p-value 0).
 *
 * Throws `VALIDATION` naming the argument when the arrays differ in length or have fewer than 2 arms,
 * a count or weight is negative or not finite, or the weights do not sum to a positive number.
 *
 * @example
 * ```ts
 * const srm = sampleRatioMismatch([5210, 4790], [0.5, 0.5]);
 * srm.pValue;   // 2.6691…e-5
 * srm.mismatch; // true
 * ```
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  weights: readonly number[],
  options: SampleRatioMismatchOptions = {},
): SampleRatioMismatchResult {
  if (!Array.isArray(observed)) throw invalid("observed", "must be an array of unit counts", "invalid_type");
  if (!Array.isArray(weights)) throw invalid("weights", "must be an array of weights", "invalid_type");
  if (observed.length < 2) throw invalid("observed", `needs at least 2 arms, got ${observed.length}`, "too_small");
  if (weights.length !== observed.length) {
    throw invalid("weights", `must have one weight per arm (${observed.length}), got ${weights.length}`, "invalid");
  }
  const threshold =
    options.threshold === undefined ? SRM_P_VALUE_THRESHOLD : checkFinite("options.threshold", options.threshold);
  if (threshold <= 0 || threshold >= 1) {
    throw invalid("options.threshold", `must be strictly between 0 and 1, got ${threshold}`, "out_of_range");
  }
  const counts = observed.map((o, i) => checkNonNegative(`observed[${i}]`, o));
  const w = weights.map((x, i) => checkNonNegative(`weights[${i}]`, x));
  const totalWeight = w.reduce((s, x) => s + x, 0);
  if (!(totalWeight > 0)) throw invalid("weights", "must sum to a positive number", "invalid");
  const total = counts.reduce((s, x) => s + x, 0);
  const expected = w.map((x) => (total * x) / totalWeight);

  let statistic = 0;
  let arms = 0;
  for (let i = 0; i < counts.length; i++) {
    if (expected[i] === 0 && counts[i] === 0) continue;
    arms++;
    const d = counts[i] - expected[i];
    statistic += expected[i] === 0 ? Number.POSITIVE_INFINITY : (d * d) / expected[i];
  }
  const df = Math.max(arms - 1, 0);
  const pValue = total === 0 || df === 0 ? 1 : chiSquareSf(statistic, df);
  return { statistic, df, pValue, expected, mismatch: pValue < threshold, threshold };
}

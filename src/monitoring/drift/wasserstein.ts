import { type NumericSample, sortedSample } from "./numeric-sample.js";

/** Options of {@link wassersteinDistance} and {@link normedWassersteinDistance}. */
export interface WassersteinOptions {
  /** The column's name, for validation errors. */
  column?: string;
}

/**
 * ∫ |F_a − F_b| dx over two sorted samples (scipy's `_cdf_distance` with p = 1), computed as the
 * equal area between the quantile functions, ∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)| du: one walk over the
 * breakpoints u = i/na and j/nb, each step adding |a[i] − b[j]| times the length of its u-interval.
 * Which side steps next depends on the sizes alone, not on the values, so the walk has no branch the
 * data can mispredict (merging the values instead costs a misprediction every other step on
 * overlapping samples). u is kept in units of 1/(na·nb), as integers (exact while na·nb < 2^53).
 */
function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  let u = 0;
  let sum = 0;
  while (i < na && j < nb) {
    const endA = (i + 1) * nb;
    const endB = (j + 1) * na;
    const end = Math.min(endA, endB);
    sum += Math.abs(a[i] - b[j]) * (end - u);
    u = end;
    if (endA === end) i++;
    if (endB === end) j++;
  }
  return sum / na / nb;
}

/**
 * First Wasserstein (earth mover's) distance between two samples, equal to scipy's
 * `wasserstein_distance(reference, current)`: the area between the two empirical CDFs, in the
 * values' units. Sorts each sample once (pass {@link SortedSample}s to reuse a sort).
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample or a non-finite value.
 * @example
 * ```ts
 * wassersteinDistance([0, 1, 3], [5, 6, 8]); // 5
 * ```
 */
export function wassersteinDistance(
  reference: NumericSample,
  current: NumericSample,
  options: WassersteinOptions = {},
): number {
  const ref = sortedSample(reference, { column: options.column, role: "reference" });
  const cur = sortedSample(current, { column: options.column, role: "current" });
  return wassersteinSorted(ref.values, cur.values);
}

/** Smallest divisor {@link normedWassersteinDistance} uses, so a constant reference does not divide by 0. */
export const WASSERSTEIN_MIN_NORM = 0.001;

/**
 * Wasserstein distance divided by the reference's spread, Evidently's drift statistic for large
 * numeric columns: `wasserstein_distance(ref, cur) / max(std(ref, ddof=0), 0.001)`. A value of 0.1
 * means the distributions are a tenth of a reference standard deviation apart.
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample or a non-finite value.
 * @example
 * ```ts
 * normedWassersteinDistance([0, 1, 2, 3], [1, 2, 3, 4]); // 1 / 1.118… = 0.894…
 * ```
 */
export function normedWassersteinDistance(
  reference: NumericSample,
  current: NumericSample,
  options: WassersteinOptions = {},
): number {
  const ref = sortedSample(reference, { column: options.column, role: "reference" });
  const cur = sortedSample(current, { column: options.column, role: "current" });
  return wassersteinSorted(ref.values, cur.values) / Math.max(ref.std(), WASSERSTEIN_MIN_NORM);
}

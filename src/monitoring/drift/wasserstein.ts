import { type NumericSample, sortedSample } from "./numeric-sample.js";

/** Options of {@link wassersteinDistance} and {@link normedWassersteinDistance}. */
export interface WassersteinOptions {
  /** The column's name, for validation errors. */
  column?: string;
}

/**
 * ∫ |F_a − F_b| over two sorted samples, by one merge (scipy's `_cdf_distance` with p = 1). The gap
 * between the CDFs is kept as the integer `i·nb − j·na` (exact in a double while na·nb < 2^53) and
 * divided once at the end.
 */
function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0], b[0]);
  let sum = 0;
  while (i < na && j < nb) {
    const gap = i * nb - j * na;
    const x = a[i] <= b[j] ? a[i++] : b[j++];
    sum += (gap < 0 ? -gap : gap) * (x - prev);
    prev = x;
  }
  // One sample is used up: its CDF is 1, and the gap shrinks as the other's last values pass.
  for (; i < na; i++) {
    sum += (na - i) * nb * (a[i] - prev);
    prev = a[i];
  }
  for (; j < nb; j++) {
    sum += (nb - j) * na * (b[j] - prev);
    prev = b[j];
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

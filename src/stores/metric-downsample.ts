import { invalid } from "../core/errors.js";

/** One point of a metric series. */
export interface MetricObservation {
  value: number;
  step: number;
  timestamp: number;
}

/**
 * The number of min/max buckets {@link downsampleMinMax} cuts the inner points of a series into
 * when it keeps at most `maxPoints` points: ⌊(maxPoints − 2) / 2⌋.
 */
export function downsampleBuckets(maxPoints: number): number {
  return Math.floor((maxPoints - 2) / 2);
}

/**
 * The bucket of the point at `index` (0-based, `1 ≤ index ≤ total − 2`) of a series of `total`
 * points cut into `buckets` buckets: bucket `b` holds the indices from `1 + ⌊b·inner/buckets⌋` up to
 * (not including) `1 + ⌊(b+1)·inner/buckets⌋`, inner = total − 2; so `b = ⌊(index·buckets − 1) / inner⌋`
 * (what a store computes in SQL with integer arithmetic).
 */
export function downsampleBucketOf(index: number, total: number, buckets: number): number {
  return Math.floor((index * buckets - 1) / (total - 2));
}

/**
 * Reduces a series (ordered by step) to at most `maxPoints` points for charts by min/max
 * bucketing: the first and last points are always kept; the points between are cut into
 * ⌊(maxPoints − 2) / 2⌋ buckets of equal count, and each bucket keeps its lowest and highest value
 * (the first of equal ones; so spikes survive, unlike averaging or striding). NaN and ±Infinity
 * points count as values: a bucket keeps one NaN (its first) only when it holds nothing else.
 * Output keeps the input order. Stores that downsample in their database follow this rule exactly.
 *
 * @example
 * ```ts
 * downsampleMinMax(history, 320); // what MLflow's UI asks for per series
 * ```
 */
export function downsampleMinMax<T extends MetricObservation>(points: readonly T[], maxPoints: number): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw invalid(["maxPoints"], "must be an integer ≥ 2");
  if (points.length <= maxPoints) return [...points];
  const inner = points.length - 2;
  const buckets = downsampleBuckets(maxPoints);
  const keep = new Set<number>([0, points.length - 1]);
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    let lo = -1;
    let hi = -1;
    let nan = -1;
    for (let i = from; i < to; i++) {
      const v = points[i].value;
      if (Number.isNaN(v)) {
        if (nan < 0) nan = i;
        continue;
      }
      if (lo < 0 || v < points[lo].value) lo = i;
      if (hi < 0 || v > points[hi].value) hi = i;
    }
    if (lo >= 0) {
      keep.add(lo);
      keep.add(hi);
    } else if (nan >= 0) keep.add(nan);
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]);
}

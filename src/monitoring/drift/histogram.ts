import { MlcycleError } from "../../core/errors.js";
import { type NumericSample, sortedSample } from "./numeric-sample.js";

/** Options of the numeric binning helpers. */
export interface BinningOptions {
  /** The column's name, for validation errors. */
  column?: string;
}

/**
 * Equal-width bin edges by Sturges' rule over the range of reference and current together, equal to
 * numpy's `histogram_bin_edges(concat(reference, current), bins="sturges")`: width
 * `(max − min) / (log2(n) + 1)` with n the combined size, `ceil((max − min) / width)` bins, edges
 * `min + i · (max − min) / bins` with the last edge exactly `max`. A constant sample gives one bin,
 * `[v − 0.5, v + 0.5]`.
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample or a non-finite value.
 * @example
 * ```ts
 * histogramBinEdges([0, 1, 2, 3], [4, 5, 6, 7]); // Float64Array [0, 1.75, 3.5, 5.25, 7]
 * ```
 */
export function histogramBinEdges(
  reference: NumericSample,
  current: NumericSample,
  options: BinningOptions = {},
): Float64Array {
  const ref = sortedSample(reference, { column: options.column, role: "reference" });
  const cur = sortedSample(current, { column: options.column, role: "current" });
  let first = Math.min(ref.min, cur.min);
  let last = Math.max(ref.max, cur.max);
  const size = ref.size + cur.size;
  const ptp = last - first;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = ptp / (Math.log2(size) + 1);
  const bins = width ? Math.ceil(ptp / width) : 1;
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/**
 * How many values fall in each bin, equal to numpy's `histogram(values, bins=edges)[0]`: bin i holds
 * `edges[i] <= x < edges[i+1]`, the last bin also holds `x == edges[last]`; values outside the edges
 * are not counted. One pass over the sorted values.
 *
 * @throws MlcycleError `VALIDATION` for an empty sample, a non-finite value, or fewer than two
 * edges or edges that are not ascending.
 * @example
 * ```ts
 * histogramCounts([0, 1, 2, 3, 7], [0, 1.75, 3.5, 5.25, 7]); // Float64Array [2, 2, 0, 1]
 * ```
 */
export function histogramCounts(
  values: NumericSample,
  edges: ArrayLike<number>,
  options: BinningOptions = {},
): Float64Array {
  const sample = sortedSample(values, { column: options.column, role: "reference" });
  const k = edges.length - 1;
  let ascending = k >= 1;
  for (let i = 0; ascending && i < k; i++) ascending = edges[i] < edges[i + 1];
  if (!ascending) {
    const column = options.column ?? "value";
    throw new MlcycleError("VALIDATION", `column '${column}': bin edges must be at least two ascending numbers`, {
      issues: [{ code: "invalid_value", path: [column, "edges"], message: "expected at least two ascending edges" }],
      details: { column },
    });
  }
  const v = sample.values;
  const counts = new Float64Array(k);
  let i = 0;
  while (i < v.length && v[i] < edges[0]) i++;
  for (let b = 0; b < k; b++) {
    const upper = edges[b + 1];
    const start = i;
    if (b < k - 1) while (i < v.length && v[i] < upper) i++;
    else while (i < v.length && v[i] <= upper) i++;
    counts[b] = i - start;
  }
  return counts;
}

/**
 * Bins of a numeric column for PSI, KL and Jensen-Shannon (and chi-square on few-valued numerics):
 * either Sturges equal-width bins or one bin per distinct value.
 */
export type NumericBins =
  | {
      /** Equal-width bins from {@link histogramBinEdges}. */
      kind: "sturges";
      /** The bin edges (one more than the bins). */
      edges: Float64Array;
      /** Reference count per bin. */
      reference: Float64Array;
      /** Current count per bin. */
      current: Float64Array;
    }
  | {
      /** One bin per distinct value of reference and current together. */
      kind: "distinct";
      /** The distinct values, ascending. */
      values: Float64Array;
      /** Reference count per value. */
      reference: Float64Array;
      /** Current count per value. */
      current: Float64Array;
    };

/** Options of {@link numericBins}. */
export interface NumericBinsOptions extends BinningOptions {
  /**
   * Sturges bins are used when the reference has more distinct values than this; otherwise one bin
   * per distinct value. Default 20.
   */
  maxDistinctBins?: number;
}

/** Counts of each distinct value of two sorted arrays, by one merge. */
function distinctCounts(
  a: Float64Array,
  b: Float64Array,
): { values: Float64Array; ca: Float64Array; cb: Float64Array } {
  const values: number[] = [];
  const ca: number[] = [];
  const cb: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    const si = i;
    const sj = j;
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    values.push(v);
    ca.push(i - si);
    cb.push(j - sj);
  }
  return { values: Float64Array.from(values), ca: Float64Array.from(ca), cb: Float64Array.from(cb) };
}

/**
 * Bins a numeric column as the drift fixtures' convention (and Evidently) does: with more than 20
 * distinct reference values, Sturges equal-width bins over reference and current together
 * ({@link histogramBinEdges}); otherwise one bin per distinct value of reference and current.
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample or a non-finite value.
 * @example
 * ```ts
 * const bins = numericBins([1, 1, 2], [2, 3]);
 * bins.kind; // "distinct"
 * bins.reference; // Float64Array [2, 1, 0]  (values 1, 2, 3)
 * ```
 */
export function numericBins(
  reference: NumericSample,
  current: NumericSample,
  options: NumericBinsOptions = {},
): NumericBins {
  const ref = sortedSample(reference, { column: options.column, role: "reference" });
  const cur = sortedSample(current, { column: options.column, role: "current" });
  if (ref.uniqueCount() > (options.maxDistinctBins ?? 20)) {
    const edges = histogramBinEdges(ref, cur);
    return { kind: "sturges", edges, reference: histogramCounts(ref, edges), current: histogramCounts(cur, edges) };
  }
  const d = distinctCounts(ref.values, cur.values);
  return { kind: "distinct", values: d.values, reference: d.ca, current: d.cb };
}

import { canonicalJson } from "../core/hash.js";
import type { FeatureViewStatistics } from "../features/statistics.js";
import { BottomK } from "./bottom-k.js";
import { categoryKey, isMissing, isValue, toCell } from "./column-cells.js";
import { type Category, compareCategories } from "./drift/category-counts.js";
import { histogramCounts } from "./drift/histogram.js";
import { SortedSample } from "./drift/numeric-sample.js";
import { sortFloat64 } from "./drift/sort-float64.js";
import type { ColumnConfig, MonitorConfig } from "./monitor-settings.js";
import { rowHash } from "./row-hash.js";

/**
 * The reference distribution of one column: what production is compared with. Numeric columns keep
 * their moments, range, Sturges bins over the range with the reference's counts, and a sorted
 * sample (every value while the column has at most `sampleSize` of them); columns with few distinct
 * values (numeric or not) keep each value's count.
 */
export interface ReferenceColumn {
  kind: "numeric" | "categorical";
  /** Valid values. */
  count: number;
  /** Missing values (null, undefined, NaN) and values of the wrong type. */
  missing: number;
  invalid: number;
  /** `missing / rows` (0 without rows). */
  missingShare: number;
  /** Distinct valid values (exact while `exact`, else counted on the sample or the kept categories). */
  uniqueCount: number;
  /** True when `sample` (numeric) or `categories` (categorical) holds every value. */
  exact: boolean;
  min?: number;
  max?: number;
  mean?: number;
  /** Population standard deviation (ddof = 0, as numpy and Evidently). */
  std?: number;
  /** Sorted values: all of them, or a sample of `sampleSize` chosen by row hash. */
  sample?: number[];
  /** Sturges bin edges over [min, max] of the reference. */
  edges?: number[];
  /** Reference counts per bin, with a bin below the first edge and one above the last: `[below, …, above]`. */
  bins?: number[];
  /** Each distinct value with its count, in category order, while there are at most `maxCategories` of them. */
  categories?: Array<[Category, number]>;
  /** Values of the categories left out of `categories` (more than `maxCategories` distinct values). */
  otherCount?: number;
}

/** A reference profile: per-column distributions of a reference data set. */
export interface ReferenceProfile {
  /** Rows profiled. */
  rows: number;
  /** The memory bound the profile was built with. */
  sampleSize: number;
  columns: Record<string, ReferenceColumn>;
}

/**
 * Sturges' equal-width edges over a sorted sample's range (numpy's `histogram_bin_edges(x,
 * bins="sturges")`): `ceil(log2(n) + 1)` bins; one bin `[v − 0.5, v + 0.5]` for a constant sample.
 */
export function sturgesEdges(sorted: Float64Array): number[] {
  let first = sorted[0];
  let last = sorted[sorted.length - 1];
  const ptp = last - first;
  if (ptp === 0) {
    first -= 0.5;
    last += 0.5;
  }
  const width = ptp / (Math.log2(sorted.length) + 1);
  const bins = width ? Math.ceil(ptp / width) : 1;
  const edges = new Array<number>(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** Counts of sorted values on `edges`, with the values below the first edge and above the last: `[below, …, above]`. */
export function binCounts(sorted: Float64Array, edges: readonly number[]): number[] {
  let below = 0;
  while (below < sorted.length && sorted[below] < edges[0]) below++;
  let above = 0;
  while (above < sorted.length - below && sorted[sorted.length - 1 - above] > edges[edges.length - 1]) above++;
  const inside = sorted.subarray(below, sorted.length - above);
  const counts = inside.length
    ? Array.from(histogramCounts(new SortedSample(inside), edges))
    : edges.slice(1).map(() => 0);
  return [below, ...counts, above];
}

/** The index in `[below, …, above]` counts of one value. */
export function binIndex(x: number, edges: readonly number[]): number {
  const k = edges.length - 1;
  if (x < edges[0]) return 0;
  if (x > edges[k]) return k + 1;
  if (x === edges[k]) return k;
  let lo = 0;
  let hi = k;
  // The bin b with edges[b] <= x < edges[b + 1].
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

/** Category counts in category order, the most frequent `max` kept (ties by category order), the rest summed. */
export function capCategories(
  counts: Iterable<[Category, number]>,
  max: number,
): { categories: Array<[Category, number]>; other: number } {
  let all = [...counts];
  let other = 0;
  if (all.length > max) {
    all.sort((a, b) => b[1] - a[1] || compareCategories(a[0], b[0]));
    for (const [, c] of all.slice(max)) other += c;
    all = all.slice(0, max);
  }
  all.sort((a, b) => compareCategories(a[0], b[0]));
  return { categories: all, other };
}

/** What a profile is built with. */
export interface ProfileSettings {
  sampleSize: number;
  maxCategories: number;
  /** A row member identifying each row (rows are sampled by its hash; default the row's content). */
  idColumn?: string;
}

/** The columns a reference describes: features and predictions (labels and probabilities are not compared). */
export function profiledColumns(config: MonitorConfig): ColumnConfig[] {
  return config.columns.filter((c) => c.role === "feature" || c.role === "prediction");
}

/**
 * Profiles rows: per column, its kind (the setting, else numeric when every valid value is a finite
 * number), counts, moments, range, bins, distinct values and a sample chosen by row hash. Memory is
 * that of the rows themselves plus one column of numbers at a time.
 */
export function profileRows(
  rows: ReadonlyArray<Record<string, unknown>>,
  columns: readonly ColumnConfig[],
  settings: ProfileSettings,
): ReferenceProfile {
  const n = rows.length;
  const hashes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const id = settings.idColumn !== undefined ? r?.[settings.idColumn] : undefined;
    hashes[i] = rowHash(id !== undefined && id !== null ? String(id) : canonicalJsonOrIndex(r, i));
  }
  const out: Record<string, ReferenceColumn> = {};
  for (const c of columns) out[c.name] = profileColumn(rows, c, hashes, settings);
  return { rows: n, sampleSize: settings.sampleSize, columns: out };
}

function canonicalJsonOrIndex(row: unknown, i: number): string {
  try {
    return canonicalJson(row);
  } catch {
    return `#${i}`;
  }
}

function profileColumn(
  rows: ReadonlyArray<Record<string, unknown>>,
  column: ColumnConfig,
  hashes: Float64Array,
  settings: ProfileSettings,
): ReferenceColumn {
  let kind = column.kind;
  if (kind === undefined) {
    let sawValue = false;
    kind = "numeric";
    for (const r of rows) {
      const v = r?.[column.name];
      if (isMissing(v)) continue;
      sawValue = true;
      if (typeof v !== "number") {
        kind = "categorical";
        break;
      }
    }
    if (!sawValue) kind = "numeric";
  }
  let missing = 0;
  let invalid = 0;
  const counts = new Map<string, [Category, number]>();
  const numbers: number[] = [];
  const numberHashes: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const cell = toCell(rows[i]?.[column.name], kind);
    if (cell === null) {
      missing++;
      continue;
    }
    if (!isValue(cell)) {
      invalid++;
      continue;
    }
    const key = categoryKey(cell);
    const c = counts.get(key);
    if (c) c[1]++;
    else counts.set(key, [cell, 1]);
    if (kind === "numeric") {
      numbers.push(cell as number);
      numberHashes.push(hashes[i]);
    }
  }
  const total = rows.length;
  const count = total - missing - invalid;
  const base = {
    kind,
    count,
    missing,
    invalid,
    missingShare: total === 0 ? 0 : missing / total,
    uniqueCount: counts.size,
  };
  const capped = capCategories(counts.values(), settings.maxCategories);
  if (kind === "categorical") {
    return { ...base, exact: capped.other === 0, categories: capped.categories, otherCount: capped.other };
  }
  const out: ReferenceColumn = { ...base, exact: count <= settings.sampleSize };
  if (count === 0) return out;
  const sorted = sortFloat64(Float64Array.from(numbers));
  out.min = sorted[0];
  out.max = sorted[sorted.length - 1];
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / count;
  let ss = 0;
  for (const x of sorted) ss += (x - mean) * (x - mean);
  out.mean = mean;
  out.std = Math.sqrt(ss / count);
  if (count <= settings.sampleSize) out.sample = Array.from(sorted);
  else {
    const sample = new BottomK<number>(settings.sampleSize);
    for (let i = 0; i < numbers.length; i++) sample.add(numberHashes[i], numbers[i]);
    out.sample = Array.from(sortFloat64(Float64Array.from(sample.toEntries().map((e) => e[1]))));
  }
  out.edges = sturgesEdges(sorted);
  out.bins = binCounts(sorted, out.edges);
  if (capped.other === 0) out.categories = capped.categories;
  return out;
}

/**
 * A profile from a feature view's statistics (`ws.features.statistics(view)`): numeric features
 * from their sample, range and moments (the sample standard deviation turned into the population
 * one), categorical ones from their top categories. Approximate unless the statistics' sample held
 * every value; `exact` says which.
 */
export function profileFromStatistics(
  stats: FeatureViewStatistics,
  columns: readonly ColumnConfig[],
  settings: ProfileSettings,
): ReferenceProfile {
  const out: Record<string, ReferenceColumn> = {};
  for (const c of columns) {
    const f = stats.features[c.name];
    if (!f) continue;
    const kind = c.kind ?? (f.kind === "numeric" || f.kind === "empty" ? "numeric" : "categorical");
    const base = { kind, count: f.count, missing: f.missing, invalid: 0, missingShare: f.missingShare };
    if (kind === "numeric" && f.sample && f.sample.length > 0) {
      const sorted = sortFloat64(Float64Array.from(f.sample));
      let unique = 1;
      for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) unique++;
      const exact = sorted.length === f.count;
      const edges = sturgesEdges(sorted);
      // Bin counts of the sample, scaled to the column's count.
      const scale = f.count / sorted.length;
      const bins = binCounts(sorted, edges).map((b) => b * scale);
      const col: ReferenceColumn = {
        ...base,
        uniqueCount: unique,
        exact,
        min: f.min ?? sorted[0],
        max: f.max ?? sorted[sorted.length - 1],
        mean: f.mean ?? 0,
        std: f.count > 1 && f.std !== undefined ? f.std * Math.sqrt((f.count - 1) / f.count) : 0,
        sample: Array.from(sorted),
        edges,
        bins,
      };
      if (exact && unique <= settings.maxCategories) {
        const counts = new Map<number, number>();
        for (const x of sorted) counts.set(x, (counts.get(x) ?? 0) + 1);
        col.categories = [...counts.entries()];
      }
      out[c.name] = col;
    } else if (kind === "categorical") {
      const top = (f.topCategories ?? []).map((t) => [t.value, t.count] as [Category, number]);
      const kept = top.reduce((s, t) => s + t[1], 0);
      out[c.name] = {
        ...base,
        uniqueCount: f.distinctCategories ?? top.length,
        exact: kept === f.count,
        categories: top.sort((a, b) => compareCategories(a[0], b[0])),
        otherCount: f.count - kept,
      };
    }
  }
  return { rows: stats.rows, sampleSize: settings.sampleSize, columns: out };
}

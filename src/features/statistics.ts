import { z } from "zod";
import { invalid } from "../core/errors.js";
import { seededRandom } from "../core/random.js";
import { parseOptions, statisticsShape } from "./feature-arguments.js";

/** Statistics of one feature over the rows of a view. */
export interface FeatureColumnStatistics {
  /** Rows with a value (not null, not missing). */
  count: number;
  /** Rows without a value. */
  missing: number;
  /** `missing / rows` (0 when the view has no rows). */
  missingShare: number;
  /** `numeric` when every value is a finite number, `categorical` when none is, `mixed` otherwise. */
  kind: "numeric" | "categorical" | "mixed" | "empty";
  /** Numeric values only. */
  min?: number;
  max?: number;
  mean?: number;
  /** Sample standard deviation (n − 1 in the denominator, as pandas). */
  std?: number;
  /**
   * Quantiles by probability (`"0.5"` → median), linear interpolation as numpy's default; exact
   * while the numeric count is within `sampleSize`, else from a uniform reservoir sample.
   */
  quantiles?: Record<string, number>;
  /** A uniform sample of at most `sampleSize` numeric values (what a drift test compares against). */
  sample?: number[];
  /** Most frequent non-numeric values (strings, booleans, JSON of others) with their counts. */
  topCategories?: Array<{ value: string; count: number }>;
  /** Distinct non-numeric values seen, exact while within `maxCategories`, a lower bound beyond. */
  distinctCategories?: number;
}

/** Statistics of a view: a reference profile for monitoring. */
export interface FeatureViewStatistics {
  view: string;
  /** View version the rows were read for. */
  version: number;
  /** Rows read. */
  rows: number;
  /** Event-time range of the rows read (ms), when there were any. */
  from?: number;
  to?: number;
  features: Record<string, FeatureColumnStatistics>;
  computedAt: number;
}

/** Options of the statistics accumulator. */
export interface StatisticsOptions {
  /** Quantile probabilities, each in [0, 1] (default 0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1). */
  quantiles?: number[];
  /** Reservoir size per numeric feature: an integer in [1, 10,000,000] (default 10,000). */
  sampleSize?: number;
  /**
   * Categories counted per feature: an integer in [1, 10,000,000] (default 1,000; beyond that,
   * Misra–Gries keeps the frequent ones).
   */
  maxCategories?: number;
  /** Categories reported: an integer ≥ 0 (default 10). */
  topK?: number;
  /** Seed of the reservoir's generator, a safe integer (default 42), so profiles are reproducible. */
  seed?: number;
}

/** Loose: the accumulator is also given the options of a whole statistics call (`since`, `until`). */
const accumulatorOptions = z.object(statisticsShape);

const DEFAULT_QUANTILES = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1];

class ColumnAccumulator {
  missing = 0;
  numeric = 0;
  categorical = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  mean = 0;
  m2 = 0;
  reservoir: number[] = [];
  categories = new Map<string, number>();
  distinctOverflow = false;

  constructor(
    private readonly sampleSize: number,
    private readonly maxCategories: number,
    private readonly random: () => number,
  ) {}

  add(value: unknown): void {
    if (value === null || value === undefined || (typeof value === "number" && Number.isNaN(value))) {
      this.missing++;
      return;
    }
    if (typeof value === "number" && Number.isFinite(value)) {
      const n = ++this.numeric;
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
      // Welford: stable mean and variance in one pass.
      const d = value - this.mean;
      this.mean += d / n;
      this.m2 += d * (value - this.mean);
      if (this.reservoir.length < this.sampleSize) this.reservoir.push(value);
      else {
        const j = Math.floor(this.random() * n);
        if (j < this.sampleSize) this.reservoir[j] = value;
      }
      return;
    }
    this.categorical++;
    const key = typeof value === "string" ? value : JSON.stringify(value);
    const c = this.categories.get(key);
    if (c !== undefined) this.categories.set(key, c + 1);
    else if (this.categories.size < this.maxCategories) this.categories.set(key, 1);
    else {
      // Misra–Gries: decrement all, dropping zeros, so frequent values survive in bounded memory.
      this.distinctOverflow = true;
      for (const [k, v] of this.categories) {
        if (v <= 1) this.categories.delete(k);
        else this.categories.set(k, v - 1);
      }
    }
  }

  result(rows: number, quantiles: number[], topK: number): FeatureColumnStatistics {
    const count = this.numeric + this.categorical;
    const out: FeatureColumnStatistics = {
      count,
      missing: this.missing,
      missingShare: rows === 0 ? 0 : this.missing / rows,
      kind: count === 0 ? "empty" : this.categorical === 0 ? "numeric" : this.numeric === 0 ? "categorical" : "mixed",
    };
    if (this.numeric > 0) {
      out.min = this.min;
      out.max = this.max;
      out.mean = this.mean;
      out.std = this.numeric > 1 ? Math.sqrt(this.m2 / (this.numeric - 1)) : 0;
      const sorted = Float64Array.from(this.reservoir).sort();
      out.quantiles = Object.fromEntries(quantiles.map((q) => [String(q), quantileSorted(sorted, q)]));
      out.sample = [...this.reservoir];
    }
    if (this.categorical > 0) {
      out.topCategories = [...this.categories.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, topK)
        .map(([value, c]) => ({ value, count: c }));
      out.distinctCategories = this.categories.size;
      if (this.distinctOverflow) out.distinctCategories = Math.max(this.categories.size, this.maxCategories);
    }
    return out;
  }
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Streaming statistics of feature rows: memory is bounded by the reservoir and category limits,
 * whatever the number of rows added.
 *
 * @example
 * ```ts
 * const acc = new StatisticsAccumulator(["trips"]);
 * acc.add({ trips: 3 }, 0); acc.add({ trips: null }, 1);
 * acc.result("driver_stats", 1, 0).features.trips.missingShare; // 0.5
 * ```
 */
export class StatisticsAccumulator {
  private rows = 0;
  private from = Number.POSITIVE_INFINITY;
  private to = Number.NEGATIVE_INFINITY;
  private readonly columns: Map<string, ColumnAccumulator>;
  private readonly quantiles: number[];
  private readonly topK: number;

  /**
   * `VALIDATION` naming the option when an option is out of range or of the wrong type (a negative
   * or fractional `sampleSize`, a quantile outside [0, 1]…).
   */
  constructor(features: readonly string[], options: StatisticsOptions = {}) {
    options = parseOptions(accumulatorOptions, options, "statistics options");
    const random = seededRandom(options.seed ?? 42);
    this.quantiles = options.quantiles ?? DEFAULT_QUANTILES;
    this.topK = options.topK ?? 10;
    this.columns = new Map(
      features.map((f) => [
        f,
        new ColumnAccumulator(options.sampleSize ?? 10_000, options.maxCategories ?? 1_000, random),
      ]),
    );
  }

  /** Adds one row's values (features absent from `values` count as missing). */
  add(values: Record<string, unknown>, eventTime: number): void {
    if (typeof values !== "object" || values === null)
      throw invalid(["values"], `must be an object of feature values, got ${values === null ? "null" : typeof values}`);
    if (typeof eventTime !== "number" || Number.isNaN(eventTime))
      throw invalid(["eventTime"], `must be a number of epoch milliseconds, got ${String(eventTime).slice(0, 40)}`);
    this.rows++;
    if (eventTime < this.from) this.from = eventTime;
    if (eventTime > this.to) this.to = eventTime;
    for (const [f, acc] of this.columns) acc.add(values[f]);
  }

  /** The statistics of what was added. */
  result(view: string, version: number, computedAt: number): FeatureViewStatistics {
    const out: FeatureViewStatistics = {
      view,
      version,
      rows: this.rows,
      features: Object.fromEntries(
        [...this.columns].map(([f, acc]) => [f, acc.result(this.rows, this.quantiles, this.topK)]),
      ),
      computedAt,
    };
    if (this.rows > 0) {
      out.from = this.from;
      out.to = this.to;
    }
    return out;
  }
}

import { BottomK, type HashedEntry } from "./bottom-k.js";
import { type Cell, type CellKind, categoryKey, isValue, toCell } from "./column-cells.js";
import type { Category } from "./drift/category-counts.js";
import type { MonitorConfig } from "./monitor-settings.js";
import { binIndex, capCategories, type ReferenceProfile } from "./reference-profile.js";

/** Examples kept per check and column. */
export const EXAMPLES = 5;

/** The reference facts a window needs while it aggregates, per column (in the monitor's column order). */
export interface ReferenceContext {
  version?: number;
  columns: Array<
    | {
        kind: CellKind;
        min?: number;
        max?: number;
        edges?: number[];
        /** Category keys of the reference (categorical columns). */
        categories?: Set<string>;
      }
    | undefined
  >;
}

/** The reference facts of a profile for a monitor's columns. */
export function referenceContext(
  config: MonitorConfig,
  profile?: ReferenceProfile,
  version?: number,
): ReferenceContext {
  return {
    ...(version !== undefined ? { version } : {}),
    columns: config.columns.map((c) => {
      const r = profile?.columns[c.name];
      const kind: CellKind = c.kind ?? r?.kind;
      if (!r) return kind ? { kind } : undefined;
      if (kind === "numeric")
        return {
          kind,
          ...(r.min !== undefined ? { min: r.min, max: r.max } : {}),
          ...(r.edges ? { edges: r.edges } : {}),
        };
      return {
        kind,
        ...(r.categories && r.otherCount === 0
          ? { categories: new Set(r.categories.map(([v]) => categoryKey(v))) }
          : {}),
      };
    }),
  };
}

/** The stored form of one column's aggregate (JSON). */
export interface ColumnState {
  missing: number;
  invalid: number;
  invalidExamples: HashedEntry<string>[];
  /** Valid numbers: count, sum, sum of squares, min and max. */
  n: number;
  sum: number;
  sumSq: number;
  min: number | null;
  max: number | null;
  /** Distinct valid values with counts (at most `maxCategories`), and the values folded beyond. */
  distinct: Array<[Category, number]>;
  other: number;
  /** Counts on the reference's bins `[below, …, above]`, when the reference has bins. */
  bins?: number[];
  outOfRange: number;
  outOfRangeExamples: HashedEntry<number>[];
  newCategories: number;
  newCategoryExamples: HashedEntry<Category>[];
}

/** The stored form of a window aggregate (a partial's `data`). */
export interface AggregateState {
  rows: number;
  /** Earliest and latest row time (ms), null without rows. */
  from: number | null;
  to: number | null;
  /** The rows with the smallest hashes, each as its cells in the monitor's column order. */
  sample: HashedEntry<Cell[]>[];
  /** Rows with a label, and the labelled rows with the smallest hashes. */
  labelled: number;
  labelledSample: HashedEntry<Cell[]>[];
  columns: ColumnState[];
  /** Served calls (deployments): count, latency sum and max, latencies of the calls with the smallest hashes. */
  calls: number;
  latencySum: number;
  latencyMax: number;
  latencySample: HashedEntry<number>[];
  /** Calls that failed (deployments, from each process's counters). */
  failed: number;
}

/**
 * A category as a key of a column's distinct counts: a number is its own key (a Map tells numbers
 * from strings, and every value of a numeric column is counted, so no string is built for it);
 * strings and booleans are {@link categoryKey}s, which never equal a number.
 */
function distinctKey(c: Category): string | number {
  return typeof c === "number" ? c : categoryKey(c);
}

class ColumnAcc {
  missing = 0;
  invalid = 0;
  invalidExamples = new BottomK<string>(EXAMPLES);
  n = 0;
  sum = 0;
  sumSq = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Keyed by {@link distinctKey}. */
  distinct = new Map<string | number, [Category, number]>();
  other = 0;
  bins: number[] | undefined;
  outOfRange = 0;
  outOfRangeExamples = new BottomK<number>(EXAMPLES);
  newCategories = 0;
  newCategoryExamples = new BottomK<Category>(EXAMPLES);

  constructor(
    readonly ref: ReferenceContext["columns"][number],
    private readonly maxCategories: number,
  ) {
    if (ref?.edges) this.bins = new Array(ref.edges.length + 1).fill(0);
  }

  add(cell: Cell, hash: number): void {
    if (cell === null) {
      this.missing++;
      return;
    }
    if (!isValue(cell)) {
      this.invalid++;
      this.invalidExamples.add(hash, cell.invalid);
      return;
    }
    this.count(cell, 1);
    const ref = this.ref;
    if (typeof cell === "number") {
      this.n++;
      this.sum += cell;
      this.sumSq += cell * cell;
      if (cell < this.min) this.min = cell;
      if (cell > this.max) this.max = cell;
      if (ref?.edges && this.bins) this.bins[binIndex(cell, ref.edges)]++;
      if (ref?.min !== undefined && ref.max !== undefined && (cell < ref.min || cell > ref.max)) {
        this.outOfRange++;
        this.outOfRangeExamples.add(hash, cell);
      }
    }
    if (ref?.categories && !ref.categories.has(categoryKey(cell))) {
      this.newCategories++;
      this.newCategoryExamples.add(hash, cell);
    }
  }

  count(value: Category, times: number): void {
    const key = distinctKey(value);
    const c = this.distinct.get(key);
    if (c) c[1] += times;
    else if (this.distinct.size < this.maxCategories) this.distinct.set(key, [value, times]);
    else this.other += times;
  }

  merge(s: ColumnState, sameReference: boolean): void {
    this.missing += s.missing;
    this.invalid += s.invalid;
    this.invalidExamples.merge(s.invalidExamples);
    this.n += s.n;
    this.sum += s.sum;
    this.sumSq += s.sumSq;
    if (s.min !== null && s.min < this.min) this.min = s.min;
    if (s.max !== null && s.max > this.max) this.max = s.max;
    // Counts are merged whole, then cut back to the bound, so no category is folded early.
    for (const [v, c] of s.distinct) {
      const key = distinctKey(v);
      const e = this.distinct.get(key);
      if (e) e[1] += c;
      else this.distinct.set(key, [v, c]);
    }
    this.other += s.other;
    if (this.distinct.size > this.maxCategories) {
      const capped = capCategories(this.distinct.values(), this.maxCategories);
      this.distinct = new Map(capped.categories.map((e) => [distinctKey(e[0]), e]));
      this.other += capped.other;
    }
    if (!sameReference) return;
    if (this.bins && s.bins && s.bins.length === this.bins.length)
      for (let i = 0; i < s.bins.length; i++) this.bins[i] += s.bins[i];
    this.outOfRange += s.outOfRange;
    this.outOfRangeExamples.merge(s.outOfRangeExamples);
    this.newCategories += s.newCategories;
    this.newCategoryExamples.merge(s.newCategoryExamples);
  }

  state(): ColumnState {
    const out: ColumnState = {
      missing: this.missing,
      invalid: this.invalid,
      invalidExamples: this.invalidExamples.toEntries(),
      n: this.n,
      sum: this.sum,
      sumSq: this.sumSq,
      min: this.n ? this.min : null,
      max: this.n ? this.max : null,
      distinct: capCategories(this.distinct.values(), this.maxCategories).categories,
      other: this.other,
      outOfRange: this.outOfRange,
      outOfRangeExamples: this.outOfRangeExamples.toEntries(),
      newCategories: this.newCategories,
      newCategoryExamples: this.newCategoryExamples.toEntries(),
    };
    if (this.bins) out.bins = this.bins.slice();
    return out;
  }
}

/**
 * The mergeable aggregate of one window: rows and their time range; per column missing and invalid
 * counts (with examples), number moments, distinct value counts up to `maxCategories`, counts on the
 * reference's bins, values out of the reference's range and categories it never had (with
 * examples); a bottom-k sample of rows (every row while there are at most `sampleSize`), one of
 * labelled rows, and the calls' latencies. Memory is bounded by `sampleSize` rows, `maxCategories`
 * values per column and the reference's bins, whatever the number of rows added. Two aggregates of
 * the same reference merge into the aggregate of all their rows: counts and samples exactly, sums up
 * to floating-point rounding, distinct counts exactly while they fit the bound.
 */
export class WindowAggregate {
  rows = 0;
  from = Number.POSITIVE_INFINITY;
  to = Number.NEGATIVE_INFINITY;
  readonly sample: BottomK<Cell[]>;
  labelled = 0;
  readonly labelledSample: BottomK<Cell[]>;
  readonly columns: ColumnAcc[];
  calls = 0;
  latencySum = 0;
  latencyMax = 0;
  readonly latencySample: BottomK<number>;
  failed = 0;
  private readonly labelIndex: number;

  constructor(
    readonly config: MonitorConfig,
    readonly reference: ReferenceContext,
  ) {
    this.sample = new BottomK(config.sampleSize);
    this.labelledSample = new BottomK(config.sampleSize);
    this.latencySample = new BottomK(config.sampleSize);
    this.columns = config.columns.map((_, i) => new ColumnAcc(reference.columns[i], config.maxCategories));
    this.labelIndex = config.columns.findIndex((c) => c.role === "label");
  }

  /** Adds one row: its values in the monitor's column order, its hash and time. */
  addRow(values: readonly unknown[], hash: number, at: number): void {
    this.rows++;
    if (at < this.from) this.from = at;
    if (at > this.to) this.to = at;
    const cells: Cell[] = new Array(this.columns.length);
    for (let i = 0; i < this.columns.length; i++) {
      const cell = toCell(values[i], this.columns[i].ref?.kind);
      cells[i] = cell;
      this.columns[i].add(cell, hash);
    }
    this.sample.add(hash, cells);
    if (this.labelIndex >= 0 && isValue(cells[this.labelIndex])) {
      this.labelled++;
      this.labelledSample.add(hash, cells);
    }
  }

  /** Adds one served call (deployments): its latency, sampled by the hash of its prediction id. */
  addCall(hash: number, latencyMs: number): void {
    this.calls++;
    this.latencySum += latencyMs;
    if (latencyMs > this.latencyMax) this.latencyMax = latencyMs;
    this.latencySample.add(hash, latencyMs);
  }

  /** Merges a stored aggregate; its reference-dependent counts only when it was made against the same reference version. */
  merge(state: AggregateState, referenceVersion: number | undefined): void {
    const same = referenceVersion === this.reference.version;
    this.rows += state.rows;
    if (state.from !== null && state.from < this.from) this.from = state.from;
    if (state.to !== null && state.to > this.to) this.to = state.to;
    this.sample.merge(state.sample);
    this.labelled += state.labelled;
    this.labelledSample.merge(state.labelledSample);
    for (let i = 0; i < state.columns.length; i++) this.columns[i]?.merge(state.columns[i], same);
    this.calls += state.calls;
    this.latencySum += state.latencySum;
    if (state.latencyMax > this.latencyMax) this.latencyMax = state.latencyMax;
    this.latencySample.merge(state.latencySample);
    this.failed += state.failed;
  }

  /** The stored form (a partial's `data`). */
  state(): AggregateState {
    return {
      rows: this.rows,
      from: this.rows ? this.from : null,
      to: this.rows ? this.to : null,
      sample: this.sample.toEntries(),
      labelled: this.labelled,
      labelledSample: this.labelledSample.toEntries(),
      columns: this.columns.map((c) => c.state()),
      calls: this.calls,
      latencySum: this.latencySum,
      latencyMax: this.latencyMax,
      latencySample: this.latencySample.toEntries(),
      failed: this.failed,
    };
  }

  /** True when nothing was added. */
  get empty(): boolean {
    return this.rows === 0 && this.calls === 0 && this.failed === 0;
  }
}

import { isMlcycleError } from "../core/errors.js";
import { evaluate } from "../evaluation/evaluate.js";
import { quantileSorted } from "../features/statistics.js";
import type { MonitorModelRef } from "../stores/monitor-store.js";
import type { HashedEntry } from "./bottom-k.js";
import { type Cell, categoryKey, isValue } from "./column-cells.js";
import { type Category, compareCategories } from "./drift/category-counts.js";
import { chiSquareTest } from "./drift/chi-square-test.js";
import {
  type ColumnKind,
  columnDrift,
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftMethod,
  defaultDriftMethod,
  isDrift,
} from "./drift/column-drift.js";
import { jensenShannonDistance, klDivergence, psi } from "./drift/divergences.js";
import { driftShareOf } from "./drift/drift-share.js";
import { SortedSample } from "./drift/numeric-sample.js";
import { sortFloat64 } from "./drift/sort-float64.js";
import { twoProportionZTest } from "./drift/two-proportion-z-test.js";
import { WASSERSTEIN_MIN_NORM, wassersteinDistance } from "./drift/wasserstein.js";
import type { ColumnConfig, MonitorConfig } from "./monitor-settings.js";
import type { ReferenceColumn, ReferenceProfile } from "./reference-profile.js";
import { EXAMPLES, type WindowAggregate } from "./window-aggregate.js";

/** One column's drift in a window. */
export interface MonitorColumnDrift {
  column: string;
  role: "feature" | "prediction";
  kind: ColumnKind;
  method: DriftMethod;
  /** KS D, χ², z, or the distance. */
  statistic: number;
  /** The p-value (`ks`, `chisquare`, `z`). */
  pValue?: number;
  threshold: number;
  drifted: boolean;
  /** Values compared on each side (the samples', beyond the memory bound). */
  referenceSize: number;
  currentSize: number;
  /**
   * True when the statistic was computed on a sample or on the reference's bins rather than on every
   * value (beyond the memory bound, or against a sampled reference).
   */
  approximate: boolean;
}

/** Drift over a set of columns (the features, or the predictions). */
export interface MonitorDatasetDrift {
  columns: MonitorColumnDrift[];
  columnCount: number;
  driftedCount: number;
  share: number;
  driftShare: number;
  drifted: boolean;
}

/** A count with a few examples. */
export interface CountWithExamples<T = unknown> {
  count: number;
  examples: T[];
}

/** Data quality of one column in a window. */
export interface MonitorColumnQuality {
  column: string;
  role: string;
  missing: number;
  missingShare: number;
  /** The reference's missing share, when there is a reference for the column. */
  referenceMissingShare?: number;
  /** True when the missing share left the reference's ± 10% (relative). */
  missingShareViolated: boolean;
  /** Numbers below the reference's minimum or above its maximum. */
  outOfRange: CountWithExamples<number>;
  /** Rows with a category the reference never had; examples are the most frequent new categories. */
  newCategories: CountWithExamples<Category>;
  /** Values of the wrong type for the column (described). */
  schemaViolations: CountWithExamples<string>;
}

/** Performance of a window's labelled rows. */
export interface MonitorPerformance {
  task: "classification" | "regression";
  /** Labelled rows, and those the metrics were computed on (a sample beyond the memory bound). */
  labelled: number;
  evaluated: number;
  /** The evaluation module's metrics (MLflow's names). */
  metrics: Record<string, number>;
  notes?: string[];
}

/** What a deployment's calls did in a window. */
export interface MonitorService {
  calls: number;
  errors: number;
  errorRate: number;
  latencyMs: { p50: number; p90: number; p95: number; p99: number; mean: number; max: number };
  callsPerSecond?: number;
}

/** The report of one window. */
export interface WindowReport {
  monitor: string;
  window: number;
  start: number;
  end: number;
  rows: number;
  /** True when every row was kept (at most `sampleSize`): every statistic is exact. */
  exact: boolean;
  /** The reference compared with. */
  reference?: { version: number; rows: number; model?: MonitorModelRef };
  /** The model version that answered the window's last row (deployments). */
  model?: MonitorModelRef;
  drift?: MonitorDatasetDrift;
  predictionDrift?: MonitorDatasetDrift;
  quality: MonitorColumnQuality[];
  performance?: MonitorPerformance;
  service?: MonitorService;
  rowsPerSecond?: number;
  /** Count windows of a deployment: the last call of the window (the next window starts after it). */
  cursor?: { at: number; id: string };
  notes: string[];
}

/** Where a window's report comes from. */
export interface ReportInput {
  monitor: string;
  config: MonitorConfig;
  window: number;
  start: number;
  end: number;
  aggregate: WindowAggregate;
  reference?: { version: number; profile: ReferenceProfile; model?: MonitorModelRef };
  model?: MonitorModelRef;
  /** Whether the window's rows came from a deployment (service figures). */
  deployment: boolean;
  notes?: string[];
}

/** Evidently's tolerance of the missing share: the reference's ± 10% (relative), as `approx(ref, rel=0.1)`. */
function missingShareViolated(current: number, reference: number): boolean {
  return Math.abs(current - reference) > 0.1 * reference + 1e-12;
}

const sortedCache = new WeakMap<ReferenceColumn, SortedSample>();

function referenceSample(r: ReferenceColumn, column: string): SortedSample {
  let s = sortedCache.get(r);
  if (!s) {
    s = new SortedSample(Float64Array.from(r.sample ?? []), column);
    sortedCache.set(r, s);
  }
  return s;
}

/** Aligned count vectors over the union of categories, in category order, with an `other` bucket last when either side has one. */
function alignCounts(
  ref: ReadonlyArray<[Category, number]>,
  refOther: number,
  cur: ReadonlyArray<[Category, number]>,
  curOther: number,
): { reference: number[]; current: number[] } {
  const keys = new Map<string, [Category, number, number]>();
  for (const [v, c] of ref) keys.set(categoryKey(v), [v, c, 0]);
  for (const [v, c] of cur) {
    const e = keys.get(categoryKey(v));
    if (e) e[2] += c;
    else keys.set(categoryKey(v), [v, 0, c]);
  }
  const order = [...keys.values()].sort((a, b) => compareCategories(a[0], b[0]));
  const reference = order.map((e) => e[1]);
  const current = order.map((e) => e[2]);
  if (refOther > 0 || curOther > 0) {
    reference.push(refOther);
    current.push(curOther);
  }
  return { reference, current };
}

function countsStatistic(
  method: DriftMethod,
  reference: number[],
  current: number[],
): { statistic: number; pValue?: number } {
  switch (method) {
    case "chisquare": {
      const r = chiSquareTest(reference, current);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case "z": {
      // The share of the first reference category against the rest, as `columnDrift`.
      let target = 0;
      while (reference[target] === 0) target++;
      const refTotal = reference.reduce((s, x) => s + x, 0);
      const curTotal = current.reduce((s, x) => s + x, 0);
      const r = twoProportionZTest(reference[target], refTotal, current[target], curTotal);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case "psi":
      return { statistic: psi(reference, current) };
    case "kl":
      return { statistic: klDivergence(reference, current) };
    default:
      return { statistic: jensenShannonDistance(reference, current) };
  }
}

/** Distinct-value counts of the cells of one column in a sample. */
function sampleCounts(sample: readonly HashedEntry<Cell[]>[], i: number): Array<[Category, number]> {
  const m = new Map<string, [Category, number]>();
  for (const [, cells] of sample) {
    const c = cells[i];
    if (!isValue(c)) continue;
    const key = categoryKey(c);
    const e = m.get(key);
    if (e) e[1]++;
    else m.set(key, [c, 1]);
  }
  return [...m.values()];
}

function sampleNumbers(sample: readonly HashedEntry<Cell[]>[], i: number): Float64Array {
  const out: number[] = [];
  for (const [, cells] of sample) {
    const c = cells[i];
    if (typeof c === "number") out.push(c);
  }
  return sortFloat64(Float64Array.from(out));
}

function columnDriftOf(
  input: ReportInput,
  c: ColumnConfig,
  i: number,
  exact: boolean,
  notes: string[],
): MonitorColumnDrift | undefined {
  const r = input.reference?.profile.columns[c.name];
  const agg = input.aggregate;
  if (!r || r.count === 0) {
    notes.push(`${c.name}: no drift check, the reference has no values for it`);
    return undefined;
  }
  const kind = c.kind ?? r.kind;
  const method = c.method ?? defaultDriftMethod({ kind, referenceSize: r.count, referenceUniqueCount: r.uniqueCount });
  const threshold = c.threshold ?? DEFAULT_DRIFT_THRESHOLDS[method];
  const role = c.role as "feature" | "prediction";
  const state = agg.columns[i].state();
  if (state.n + state.distinct.length === 0) {
    notes.push(`${c.name}: no drift check, the window has no values for it`);
    return undefined;
  }
  const base = { column: c.name, role, kind, method, threshold };
  const verdict = (statistic: number, pValue: number | undefined, sizes: [number, number], approximate: boolean) => ({
    ...base,
    statistic,
    ...(pValue !== undefined ? { pValue } : {}),
    drifted: isDrift(method, pValue ?? statistic, threshold),
    referenceSize: sizes[0],
    currentSize: sizes[1],
    approximate,
  });
  try {
    if (kind === "categorical") {
      if (method === "ks" || method === "wasserstein") {
        notes.push(`${c.name}: '${method}' needs a numeric column; no drift check`);
        return undefined;
      }
      const cur = exact ? sampleCounts(agg.sample.toEntries(), i) : state.distinct;
      const curOther = exact ? 0 : state.other;
      const counts = alignCounts(r.categories ?? [], r.otherCount ?? 0, cur, curOther);
      const s = countsStatistic(method, counts.reference, counts.current);
      const n = counts.current.reduce((a, x) => a + x, 0);
      return verdict(s.statistic, s.pValue, [r.count, n], !r.exact || curOther > 0);
    }
    // Numeric: on every value while the window fits the bound.
    if (exact || method === "ks" || method === "wasserstein") {
      const current = sampleNumbers(agg.sample.toEntries(), i);
      if (current.length === 0) {
        notes.push(`${c.name}: no drift check, the window has no numbers for it`);
        return undefined;
      }
      const ref = referenceSample(r, c.name);
      const approximate = !r.exact || !exact;
      if (method === "wasserstein" && approximate && r.std !== undefined) {
        // On samples, normed by the whole reference's spread (not the sample's).
        const w = wassersteinDistance(ref, current) / Math.max(r.std, WASSERSTEIN_MIN_NORM);
        return verdict(w, undefined, [ref.size, current.length], true);
      }
      const d = columnDrift(c.name, { kind: "numeric", reference: ref, current }, { method, threshold });
      return verdict(d.statistic, d.pValue, [ref.size, current.length], approximate);
    }
    // Beyond the bound: distinct counts while both sides have few values, else the reference's bins.
    const distinctBinning = method === "chisquare" || method === "z" || r.uniqueCount <= 20;
    if (distinctBinning && r.categories && state.other === 0) {
      const counts = alignCounts(r.categories, 0, state.distinct, 0);
      const s = countsStatistic(method, counts.reference, counts.current);
      return verdict(s.statistic, s.pValue, [r.count, state.n], !r.exact);
    }
    if (r.bins && state.bins) {
      const s = countsStatistic(method, r.bins, state.bins);
      return verdict(s.statistic, s.pValue, [r.count, state.n], true);
    }
    const current = sampleNumbers(agg.sample.toEntries(), i);
    const ref = referenceSample(r, c.name);
    const d = columnDrift(c.name, { kind: "numeric", reference: ref, current }, { method, threshold });
    return verdict(d.statistic, d.pValue, [ref.size, current.length], true);
  } catch (error) {
    if (!isMlcycleError(error, "VALIDATION")) throw error;
    notes.push(`${c.name}: no drift check: ${error.message}`);
    return undefined;
  }
}

function datasetDriftOf(columns: MonitorColumnDrift[], driftShare: number): MonitorDatasetDrift {
  return { columns, ...driftShareOf(columns, driftShare) };
}

function qualityOf(input: ReportInput, c: ColumnConfig, i: number, exact: boolean): MonitorColumnQuality {
  const agg = input.aggregate;
  const state = agg.columns[i].state();
  const r = input.reference?.profile.columns[c.name];
  const rows = agg.rows;
  const missingShare = rows ? state.missing / rows : 0;
  const q: MonitorColumnQuality = {
    column: c.name,
    role: c.role,
    missing: state.missing,
    missingShare,
    missingShareViolated: false,
    outOfRange: { count: 0, examples: [] },
    newCategories: { count: 0, examples: [] },
    schemaViolations: { count: state.invalid, examples: state.invalidExamples.map((e) => e[1]) },
  };
  if (!r) return q;
  q.referenceMissingShare = r.missingShare;
  q.missingShareViolated = rows > 0 && missingShareViolated(missingShare, r.missingShare);
  const kind = c.kind ?? r.kind;
  const refKeys =
    kind === "categorical" && r.categories && !r.otherCount
      ? new Set(r.categories.map(([v]) => categoryKey(v)))
      : undefined;
  if (exact) {
    // Every row is at hand: count against this window's reference, whichever reference the rows were added with.
    for (const [, cells] of agg.sample.toEntries()) {
      const v = cells[i];
      if (!isValue(v)) continue;
      if (
        kind === "numeric" &&
        typeof v === "number" &&
        r.min !== undefined &&
        r.max !== undefined &&
        (v < r.min || v > r.max)
      ) {
        q.outOfRange.count++;
        if (q.outOfRange.examples.length < EXAMPLES) q.outOfRange.examples.push(v);
      }
      if (refKeys && !refKeys.has(categoryKey(v))) q.newCategories.count++;
    }
  } else {
    q.outOfRange = { count: state.outOfRange, examples: state.outOfRangeExamples.map((e) => e[1]) };
    q.newCategories.count = state.newCategories;
  }
  if (refKeys) {
    const distinct = exact ? sampleCounts(agg.sample.toEntries(), i) : state.distinct;
    q.newCategories.examples = distinct
      .filter(([v]) => !refKeys.has(categoryKey(v)))
      .sort((a, b) => b[1] - a[1] || compareCategories(a[0], b[0]))
      .slice(0, EXAMPLES)
      .map(([v]) => v);
  }
  return q;
}

function label(v: Cell): string | number | undefined {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "string") return v;
  return undefined;
}

function performanceOf(input: ReportInput): MonitorPerformance | undefined {
  const { config, aggregate: agg } = input;
  const li = config.columns.findIndex((c) => c.role === "label");
  const pi = config.columns.findIndex((c) => c.role === "prediction");
  if (li < 0 || pi < 0 || agg.labelled === 0) return undefined;
  const qi = config.columns.findIndex((c) => c.role === "probability");
  const yTrue: (string | number)[] = [];
  const yPred: (string | number)[] = [];
  const probabilities: number[] = [];
  let withProbability = qi >= 0;
  for (const [, cells] of agg.labelledSample.toEntries()) {
    const t = label(cells[li]);
    const p = label(cells[pi]);
    if (t === undefined || p === undefined) continue;
    yTrue.push(t);
    yPred.push(p);
    const prob = qi >= 0 ? cells[qi] : undefined;
    if (typeof prob === "number") probabilities.push(prob);
    else withProbability = false;
  }
  const out: MonitorPerformance = { task: config.task, labelled: agg.labelled, evaluated: yTrue.length, metrics: {} };
  if (yTrue.length === 0) {
    out.notes = ["no labelled row has a prediction"];
    return out;
  }
  try {
    const r = evaluate({
      task: config.task,
      yTrue,
      yPred,
      ...(config.task === "classification" && withProbability ? { probabilities } : {}),
      ...(config.task === "classification" && config.positiveLabel !== undefined
        ? { positiveLabel: config.positiveLabel }
        : {}),
    });
    out.metrics = r.metrics;
    if (r.notes) out.notes = r.notes;
  } catch (error) {
    if (!isMlcycleError(error, "VALIDATION")) throw error;
    out.notes = [`metrics left out: ${error.message}`];
  }
  return out;
}

function serviceOf(input: ReportInput, seconds: number | undefined): MonitorService | undefined {
  const agg = input.aggregate;
  if (!input.deployment || (agg.calls === 0 && agg.failed === 0)) return undefined;
  const latencies = sortFloat64(Float64Array.from(agg.latencySample.toEntries().map((e) => e[1])));
  const q = (p: number) => (latencies.length ? quantileSorted(latencies, p) : 0);
  const out: MonitorService = {
    calls: agg.calls,
    errors: agg.failed,
    errorRate: agg.failed / (agg.calls + agg.failed),
    latencyMs: {
      p50: q(0.5),
      p90: q(0.9),
      p95: q(0.95),
      p99: q(0.99),
      mean: agg.calls ? agg.latencySum / agg.calls : 0,
      max: agg.latencyMax,
    },
  };
  if (seconds) out.callsPerSecond = agg.calls / seconds;
  return out;
}

/**
 * Computes a window's report from its merged aggregate and the reference: drift per column (the
 * column's method, else Evidently's default for the reference) and over the features and the
 * predictions; data quality; performance of the labelled rows with the evaluation module's metrics;
 * the deployment's latency, errors and throughput. Everything is exact while the window holds at
 * most `sampleSize` rows; beyond, see {@link MonitorColumnDrift.approximate}.
 */
export function windowReport(input: ReportInput): WindowReport {
  const { config, aggregate: agg } = input;
  const exact = agg.rows <= config.sampleSize;
  const notes = [...(input.notes ?? [])];
  const report: WindowReport = {
    monitor: input.monitor,
    window: input.window,
    start: input.start,
    end: input.end,
    rows: agg.rows,
    exact,
    quality: [],
    notes,
  };
  if (input.reference)
    report.reference = {
      version: input.reference.version,
      rows: input.reference.profile.rows,
      ...(input.reference.model ? { model: input.reference.model } : {}),
    };
  else if (agg.rows > 0) notes.push("no reference profile: drift and range checks need one (setReference)");
  if (input.model) report.model = input.model;
  if (agg.rows > 0) {
    const features: MonitorColumnDrift[] = [];
    const predictions: MonitorColumnDrift[] = [];
    config.columns.forEach((c, i) => {
      if (!c.drift || (c.role !== "feature" && c.role !== "prediction") || !input.reference) return;
      const d = columnDriftOf(input, c, i, exact, notes);
      if (d) (c.role === "feature" ? features : predictions).push(d);
    });
    if (input.reference) {
      report.drift = datasetDriftOf(features, config.driftShare);
      if (config.columns.some((c) => c.role === "prediction"))
        report.predictionDrift = datasetDriftOf(predictions, config.driftShare);
    }
    report.quality = config.columns.map((c, i) => qualityOf(input, c, i, exact));
    const perf = performanceOf(input);
    if (perf) report.performance = perf;
  }
  const seconds =
    config.window.kind === "time" ? config.window.ms / 1000 : agg.rows > 1 ? (agg.to - agg.from) / 1000 : undefined;
  const service = serviceOf(input, seconds);
  if (service) report.service = service;
  if (seconds && agg.rows > 0) report.rowsPerSecond = agg.rows / seconds;
  return report;
}

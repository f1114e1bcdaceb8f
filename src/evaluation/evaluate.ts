import { invalid } from "../core/errors.js";
import { classificationContext, classificationMetrics } from "./classification-evaluation.js";
import { checkGate, type Gate, type GateResult } from "./gate.js";
import { checkNumbers, checkSameLength, checkLabels } from "./metric-input.js";
import { put } from "./metric-notes.js";
import {
  explainedVarianceScore,
  maxError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  medianAbsoluteError,
  r2Score,
  rootMeanSquaredError,
} from "./regression-metrics.js";
import { partitionSlices, type SliceSpec } from "./slices.js";

/** Options of {@link evaluate}. */
export interface EvaluationOptions {
  task: "classification" | "regression";
  /** True labels (classification) or targets (regression), one per example. */
  yTrue: (number | string)[];
  /** Predicted labels or values, one per example. */
  yPred: (number | string)[];
  /**
   * Classification only: for two classes, the probability of `positiveLabel` per example, or an
   * n × 2 matrix; for more, an n × k matrix of class probabilities (rows sum to 1) with columns in
   * `labels` order. Enables log loss, ROC AUC and, for binary, PR AUC and Brier.
   */
  probabilities?: number[][] | number[];
  /** Classification: every class, in column order of `probabilities`. Default the sorted classes of `yTrue` ∪ `yPred`. */
  labels?: (number | string)[];
  /** Binary classification: the positive class. Default the greater of the two classes (1 for 0/1 labels). */
  positiveLabel?: number | string;
  /** Subsets to compute metrics on as well; needs `rows`. */
  slices?: SliceSpec[];
  /** One record per example (features, metadata) that slices read. */
  rows?: Record<string, unknown>[];
}

/** Metrics computed on one slice. */
export interface EvaluationSliceResult {
  name: string;
  /** Examples in the slice. */
  count: number;
  metrics: Record<string, number>;
  /** For a column slice, the column and its value. */
  column?: string;
  value?: unknown;
  /** Metrics left out because they are undefined on this slice (e.g. ROC AUC with one class). */
  notes?: string[];
}

/** The result of {@link evaluate}: plain data, safe to store as JSON. */
export interface EvaluationResult {
  task: "classification" | "regression";
  /** Number of examples. */
  count: number;
  /** Metric name (MLflow's names, e.g. `accuracy_score`, `root_mean_squared_error`) → value. */
  metrics: Record<string, number>;
  /** Classification: rows are true classes, columns predicted classes, both in `labels` order. */
  confusionMatrix?: { labels: (number | string)[]; matrix: number[][] };
  /** Binary classification: the class counted as positive. */
  positiveLabel?: number | string;
  slices?: EvaluationSliceResult[];
  /** Metrics left out because they are undefined on this data (e.g. ROC AUC with one class in `yTrue`). */
  notes?: string[];
}

/** What {@link evaluate} returns when slices were asked for: `slices` is always present. */
export type SlicedEvaluationResult = EvaluationResult & { slices: EvaluationSliceResult[] };

function regressionMetrics(yTrue: number[], yPred: number[], notes: string[]): Record<string, number> {
  const m: Record<string, number> = { example_count: yTrue.length };
  put(m, notes, "mean_absolute_error", () => meanAbsoluteError(yTrue, yPred));
  put(m, notes, "mean_squared_error", () => meanSquaredError(yTrue, yPred));
  put(m, notes, "root_mean_squared_error", () => rootMeanSquaredError(yTrue, yPred));
  let sum = 0;
  for (const v of yTrue) sum += v;
  m.sum_on_target = sum;
  m.mean_on_target = sum / yTrue.length;
  put(m, notes, "r2_score", () => r2Score(yTrue, yPred));
  put(m, notes, "max_error", () => maxError(yTrue, yPred));
  put(m, notes, "mean_absolute_percentage_error", () => meanAbsolutePercentageError(yTrue, yPred));
  put(m, notes, "explained_variance_score", () => explainedVarianceScore(yTrue, yPred));
  put(m, notes, "median_absolute_error", () => medianAbsoluteError(yTrue, yPred));
  return m;
}

function pick<T>(xs: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => xs[i]);
}

/**
 * Computes a model's metrics on labelled data, with MLflow's default set (`mlflow.evaluate`), and
 * optionally on slices. Pure: nothing is stored; the registry stores the result with a version.
 *
 * Classification reports `example_count`, `accuracy_score`, `precision_score`, `recall_score`,
 * `f1_score` (binary average for two classes, weighted for more), their `_macro`, `_micro` and
 * `_weighted` variants, `matthews_corrcoef`; for two classes `true_positives`, `true_negatives`,
 * `false_positives`, `false_negatives`; with probabilities `log_loss` and `roc_auc` (one-vs-rest,
 * weighted, plus `roc_auc_macro`, for more than two classes) and for two classes
 * `precision_recall_auc` (average precision) and `brier_score_loss`. Regression reports
 * `example_count`, `mean_absolute_error`, `mean_squared_error`, `root_mean_squared_error`,
 * `sum_on_target`, `mean_on_target`, `r2_score`, `max_error`, `mean_absolute_percentage_error`,
 * `explained_variance_score`, `median_absolute_error`. A metric undefined on the data (ROC AUC with one
 * class) is left out with a line in `notes`.
 *
 * @example
 * ```ts
 * const result = evaluate({
 *   task: "classification",
 *   yTrue: [0, 1, 1, 0], yPred: [0, 1, 0, 0], probabilities: [0.2, 0.9, 0.4, 0.1],
 *   rows: [{ country: "fr" }, { country: "de" }, { country: "fr" }, { country: "de" }],
 *   slices: [{ column: "country" }],
 * });
 * result.metrics.accuracy_score; // 0.75
 * result.slices.map((s) => s.name); // ["country=de", "country=fr"] (typed present: slices were asked for)
 * ```
 */
export function evaluate(opts: EvaluationOptions & { slices: SliceSpec[] }): SlicedEvaluationResult;
/** Computes a model's metrics on labelled data (see the overload with `slices`). */
export function evaluate(opts: EvaluationOptions): EvaluationResult;
export function evaluate(opts: EvaluationOptions): EvaluationResult {
  if (opts === null || typeof opts !== "object") throw invalid([], "evaluate() needs an options object");
  const { task } = opts;
  if (task !== "classification" && task !== "regression")
    throw invalid(["task"], `must be "classification" or "regression", got ${JSON.stringify(task)}`);
  const notes: string[] = [];
  let result: EvaluationResult;
  let sliceMetrics: (indices: number[], sliceNotes: string[]) => Record<string, number>;
  if (task === "regression") {
    for (const key of ["probabilities", "labels", "positiveLabel"] as const)
      if (opts[key] !== undefined) throw invalid([key], "applies to classification only");
    const yTrue = checkNumbers("yTrue", opts.yTrue);
    const yPred = checkNumbers("yPred", opts.yPred);
    checkSameLength("yTrue", yTrue, "yPred", yPred);
    result = { task, count: yTrue.length, metrics: regressionMetrics(yTrue, yPred, notes) };
    sliceMetrics = (idx, n) => regressionMetrics(pick(yTrue, idx), pick(yPred, idx), n);
  } else {
    const yTrue = checkLabels("yTrue", opts.yTrue);
    const yPred = checkLabels("yPred", opts.yPred);
    checkSameLength("yTrue", yTrue, "yPred", yPred);
    const ctx = classificationContext(opts, yTrue, yPred);
    const { trueIdx, predIdx, score, probabilities } = ctx;
    const { metrics, matrix } = classificationMetrics({ yTrue, trueIdx, predIdx, score, probabilities }, ctx, notes);
    result = { task, count: yTrue.length, metrics, confusionMatrix: { labels: ctx.classes, matrix } };
    if (ctx.positive !== undefined) result.positiveLabel = ctx.positive;
    sliceMetrics = (idx, n) =>
      classificationMetrics(
        {
          yTrue: pick(yTrue, idx),
          trueIdx: Int32Array.from(idx, (i) => trueIdx[i]),
          predIdx: Int32Array.from(idx, (i) => predIdx[i]),
          score: score && pick(score, idx),
          probabilities: probabilities && pick(probabilities, idx),
        },
        ctx,
        n,
      ).metrics;
  }
  if (notes.length > 0) result.notes = notes;
  if (opts.slices !== undefined) {
    result.slices = partitionSlices(opts.slices, opts.rows, result.count).map((s) => {
      const sliceNotes: string[] = [];
      const out: EvaluationSliceResult = {
        name: s.name,
        count: s.indices.length,
        metrics: s.indices.length === 0 ? {} : sliceMetrics(s.indices, sliceNotes),
      };
      if (s.column !== undefined) {
        out.column = s.column;
        out.value = s.value;
      }
      if (s.indices.length === 0) sliceNotes.push("no example falls in this slice");
      if (sliceNotes.length > 0) out.notes = sliceNotes;
      return out;
    });
  } else if (opts.rows !== undefined && (!Array.isArray(opts.rows) || opts.rows.length !== result.count)) {
    throw invalid(["rows"], `must hold one record per example (${result.count})`);
  }
  return result;
}

/** The change of one metric from the baseline to the candidate. */
export interface MetricDelta {
  /** `candidate − baseline`. */
  absolute: number;
  /** `(candidate − baseline) / |baseline|`; 0 when both are 0, NaN when only the baseline is 0. */
  relative: number;
}

/** The result of {@link compareWithBaseline}. */
export interface BaselineComparison {
  candidate: EvaluationResult;
  baseline: EvaluationResult;
  /** One entry per metric present in both results. */
  deltas: Record<string, MetricDelta>;
  /** Per slice name present in both results, the deltas of its metrics. */
  sliceDeltas?: Record<string, Record<string, MetricDelta>>;
  /** The gate's verdict on the candidate's metrics against the baseline's, when a gate was given. */
  gate?: GateResult;
}

function deltas(candidate: Record<string, number>, baseline: Record<string, number>): Record<string, MetricDelta> {
  const out: Record<string, MetricDelta> = {};
  for (const [name, c] of Object.entries(candidate)) {
    if (!Object.hasOwn(baseline, name)) continue;
    const b = baseline[name];
    const absolute = c - b;
    out[name] = { absolute, relative: b === 0 ? (absolute === 0 ? 0 : Number.NaN) : absolute / Math.abs(b) };
  }
  return out;
}

/**
 * Compares a candidate's evaluation with a baseline's (e.g. the current champion's) on the same data:
 * per-metric deltas, per-slice deltas, and the verdict of `gate` when given. Throws `VALIDATION` when
 * the two results are of different tasks or were computed on different numbers of examples.
 *
 * @example
 * ```ts
 * const cmp = compareWithBaseline(candidateResult, championResult, {
 *   name: "beats-champion",
 *   thresholds: [{ metric: "f1_score", threshold: 0.8, minAbsoluteChange: 0.01 }],
 * });
 * if (cmp.gate?.passed) { ... }
 * ```
 */
export function compareWithBaseline(
  candidate: EvaluationResult,
  baseline: EvaluationResult,
  gate?: Gate,
): BaselineComparison {
  for (const [what, r] of [
    ["candidate", candidate],
    ["baseline", baseline],
  ] as const) {
    if (r === null || typeof r !== "object" || r.metrics === null || typeof r.metrics !== "object")
      throw invalid([what], "must be an EvaluationResult (from evaluate())");
  }
  if (candidate.task !== baseline.task)
    throw invalid(["baseline"], `is a ${baseline.task} result but the candidate is ${candidate.task}`);
  if (candidate.count !== baseline.count)
    throw invalid(
      ["baseline"],
      `was evaluated on ${baseline.count} examples but the candidate on ${candidate.count}; compare them on the same data`,
    );
  const out: BaselineComparison = { candidate, baseline, deltas: deltas(candidate.metrics, baseline.metrics) };
  if (candidate.slices && baseline.slices) {
    const base = new Map(baseline.slices.map((s) => [s.name, s]));
    const sd: Record<string, Record<string, MetricDelta>> = {};
    for (const s of candidate.slices) {
      const b = base.get(s.name);
      if (b) sd[s.name] = deltas(s.metrics, b.metrics);
    }
    out.sliceDeltas = sd;
  }
  if (gate !== undefined) out.gate = checkGate(gate, candidate.metrics, baseline.metrics);
  return out;
}

import { invalid, isMlcycleError } from "../core/errors.js";
import {
  accuracyScore,
  confusionMatrix,
  matthewsCorrcoef,
  type PrfOptions,
  precisionRecallFscore,
} from "./classification-metrics.js";
import { checkGate, type Gate, type GateResult } from "./gate.js";
import {
  checkLabelList,
  checkLabels,
  checkMatrix,
  checkNumbers,
  checkProbabilities,
  checkSameLength,
  type ClassLabel,
  uniqueLabels,
} from "./metric-input.js";
import { brierScoreLoss, logLoss } from "./probability-metrics.js";
import { averagePrecisionScore, rocAucScore } from "./ranking-metrics.js";
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

interface ClassContext {
  classes: ClassLabel[];
  /** Present for two classes. */
  positive?: ClassLabel;
  /** Probability rows in `classes` order, when given. */
  probabilities?: number[][];
}

function undefinedMetric(e: unknown): boolean {
  return isMlcycleError(e, "VALIDATION") && e.issues.some((i) => i.code === "undefined_metric");
}

/** Sets `metrics[name]` unless the metric is undefined on this data, in which case a note says why. */
function put(metrics: Record<string, number>, notes: string[], name: string, compute: () => number): void {
  try {
    const v = compute();
    if (Number.isFinite(v)) metrics[name] = v;
    else notes.push(`${name} left out: it is ${v} on this data`);
  } catch (e) {
    if (!undefinedMetric(e)) throw e;
    notes.push(`${name} left out: ${(e as Error).message}`);
  }
}

function classificationContext(opts: EvaluationOptions, yTrue: ClassLabel[], yPred: ClassLabel[]): ClassContext {
  if (typeof yTrue[0] !== typeof yPred[0])
    throw invalid(["yPred"], `holds ${typeof yPred[0]} labels but yTrue holds ${typeof yTrue[0]}`);
  const classes = opts.labels !== undefined ? checkLabelList("labels", opts.labels) : uniqueLabels(yTrue, yPred);
  if (opts.labels !== undefined) {
    const known = new Set(classes);
    for (const [what, arr] of [
      ["yTrue", yTrue],
      ["yPred", yPred],
    ] as const) {
      const i = arr.findIndex((v) => !known.has(v));
      if (i >= 0) throw invalid([what, i], `${JSON.stringify(arr[i])} is not one of labels ${JSON.stringify(classes)}`);
    }
  }
  const ctx: ClassContext = { classes };
  if (classes.length <= 2) {
    const pos = opts.positiveLabel ?? classes[classes.length - 1];
    if (!classes.includes(pos))
      throw invalid(["positiveLabel"], `${JSON.stringify(pos)} is not one of the classes ${JSON.stringify(classes)}`);
    ctx.positive = pos;
  } else if (opts.positiveLabel !== undefined) {
    throw invalid(["positiveLabel"], `applies to binary classification; there are ${classes.length} classes`);
  }
  const probs = opts.probabilities;
  if (probs === undefined) return ctx;
  if (!Array.isArray(probs)) throw invalid(["probabilities"], "must be an array of numbers or of probability rows");
  if (probs.length > 0 && !Array.isArray(probs[0])) {
    if (classes.length < 2)
      throw invalid(
        ["labels"],
        `the data holds only the class ${JSON.stringify(classes[0])}; pass both classes through labels to use probabilities`,
      );
    if (classes.length > 2)
      throw invalid(
        ["probabilities"],
        `one probability per example fits two classes; there are ${classes.length}: give one row of ${classes.length} class probabilities per example`,
        "invalid_shape",
      );
    const p = checkNumbers("probabilities", probs);
    checkSameLength("yTrue", yTrue, "probabilities", p);
    checkProbabilities("probabilities", p);
    const posIdx = classes.indexOf(ctx.positive!);
    ctx.probabilities = p.map((v) => (posIdx === 1 ? [1 - v, v] : [v, 1 - v]));
  } else {
    if (classes.length < 2)
      throw invalid(["labels"], "probabilities need at least two classes; pass all classes through labels");
    if (Array.isArray(probs[0]) && probs[0].length !== classes.length)
      throw invalid(
        ["probabilities", 0],
        `has ${probs[0].length} columns but there are ${classes.length} classes ${JSON.stringify(classes)}; pass labels to name the columns`,
        "invalid_shape",
      );
    ctx.probabilities = checkMatrix("probabilities", probs, {
      rows: yTrue.length,
      columns: classes.length,
      probabilities: true,
    });
  }
  return ctx;
}

function classificationMetrics(
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  ctx: ClassContext,
  probabilities: number[][] | undefined,
  notes: string[],
): { metrics: Record<string, number>; matrix: number[][] } {
  const m: Record<string, number> = { example_count: yTrue.length };
  const { classes, positive } = ctx;
  const binary = positive !== undefined;
  put(m, notes, "accuracy_score", () => accuracyScore(yTrue, yPred));
  const main = binary
    ? ({ average: "binary", posLabel: positive } as const)
    : ({ average: "weighted", labels: classes } as const);
  const prf = (suffix: string, o: PrfOptions) => {
    const r = precisionRecallFscore(yTrue, yPred, o);
    m[`precision_score${suffix}`] = r.precision;
    m[`recall_score${suffix}`] = r.recall;
    m[`f1_score${suffix}`] = r.fScore;
  };
  prf("", main);
  for (const average of ["macro", "micro", "weighted"] as const) prf(`_${average}`, { average, labels: classes });
  put(m, notes, "matthews_corrcoef", () => matthewsCorrcoef(yTrue, yPred));
  const matrix = confusionMatrix(yTrue, yPred, { labels: classes });
  if (binary) {
    const p = classes.indexOf(positive);
    const n = classes.length === 2 ? 1 - p : -1;
    m.true_positives = matrix[p][p];
    m.false_negatives = n >= 0 ? matrix[p][n] : 0;
    m.false_positives = n >= 0 ? matrix[n][p] : 0;
    m.true_negatives = n >= 0 ? matrix[n][n] : 0;
  }
  if (probabilities !== undefined) {
    if (binary) {
      const p = classes.indexOf(positive);
      const yBin = yTrue.map((v) => (v === positive ? 1 : 0));
      const score = probabilities.map((row) => row[p]);
      put(m, notes, "log_loss", () => logLoss(yBin, score, { labels: [0, 1] }));
      put(m, notes, "roc_auc", () => rocAucScore(yBin, score));
      put(m, notes, "precision_recall_auc", () => averagePrecisionScore(yBin, score));
      put(m, notes, "brier_score_loss", () => brierScoreLoss(yBin, score));
    } else {
      put(m, notes, "log_loss", () => logLoss(yTrue, probabilities, { labels: classes }));
      put(m, notes, "roc_auc", () => rocAucScore(yTrue, probabilities, { labels: classes, average: "weighted" }));
      put(m, notes, "roc_auc_macro", () => rocAucScore(yTrue, probabilities, { labels: classes, average: "macro" }));
    }
  }
  return { metrics: m, matrix };
}

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
    const { metrics, matrix } = classificationMetrics(yTrue, yPred, ctx, ctx.probabilities, notes);
    result = { task, count: yTrue.length, metrics, confusionMatrix: { labels: ctx.classes, matrix } };
    if (ctx.positive !== undefined) result.positiveLabel = ctx.positive;
    sliceMetrics = (idx, n) =>
      classificationMetrics(
        pick(yTrue, idx),
        pick(yPred, idx),
        ctx,
        ctx.probabilities && pick(ctx.probabilities, idx),
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

import { invalid } from "../core/errors.js";
import { checkLabelList, checkLabels, checkSameLength, type ClassLabel, uniqueLabels } from "./metric-input.js";

/**
 * How per-class scores are combined, as scikit-learn's `average`:
 * `binary` (only the positive class), `macro` (unweighted mean over classes), `micro` (from the
 * summed counts), `weighted` (mean weighted by each class's support in `yTrue`).
 */
export type ClassificationAverage = "binary" | "macro" | "micro" | "weighted";

/**
 * The value of a score whose denominator is zero, as scikit-learn's `zero_division`
 * (`"warn"` behaves as 0; no warning is printed).
 */
export type ZeroDivision = 0 | 1 | "warn";

/** Options of {@link precisionScore}, {@link recallScore}, {@link f1Score} and {@link fbetaScore}. */
export interface PrfOptions {
  /** Default `"binary"`, as scikit-learn. */
  average?: ClassificationAverage;
  /** Classes to include (and their order) when `average` is not `binary`; default all classes seen. */
  labels?: ClassLabel[];
  /** The positive class when `average` is `binary`. Default `1`. */
  posLabel?: ClassLabel;
  /** Default `"warn"` (treated as 0). */
  zeroDivision?: ZeroDivision;
}

/** Per-class precision, recall, F-beta and support, as scikit-learn's `precision_recall_fscore_support(average=None)`. */
export interface PerClassScores {
  labels: ClassLabel[];
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[];
}

function checkPair(yTrue: unknown, yPred: unknown): { yTrue: ClassLabel[]; yPred: ClassLabel[] } {
  const t = checkLabels("yTrue", yTrue);
  const p = checkLabels("yPred", yPred);
  checkSameLength("yTrue", t, "yPred", p);
  if (typeof t[0] !== typeof p[0])
    throw invalid(["yPred"], `holds ${typeof p[0]} labels but yTrue holds ${typeof t[0]}`);
  return { yTrue: t, yPred: p };
}

/**
 * Fraction (or, with `normalize: false`, number) of predictions equal to the true label, as
 * scikit-learn's `accuracy_score`.
 *
 * @example
 * ```ts
 * accuracyScore([0, 1, 1, 0], [0, 1, 0, 0]); // 0.75
 * ```
 */
export function accuracyScore(yTrue: ClassLabel[], yPred: ClassLabel[], opts: { normalize?: boolean } = {}): number {
  const p = checkPair(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < p.yTrue.length; i++) if (p.yTrue[i] === p.yPred[i]) correct++;
  return opts.normalize === false ? correct : correct / p.yTrue.length;
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Rows and columns, in this order; default the sorted classes of `yTrue` ∪ `yPred`. */
  labels?: ClassLabel[];
  /** Divide by the row sums (`true`), column sums (`pred`) or the total (`all`). Default none (counts). */
  normalize?: "true" | "pred" | "all";
}

/**
 * Confusion matrix `C` where `C[i][j]` counts examples of true class `labels[i]` predicted as
 * `labels[j]`, as scikit-learn's `confusion_matrix`. Examples whose true or predicted class is not in
 * `labels` are left out.
 *
 * @example
 * ```ts
 * confusionMatrix([0, 1, 1], [0, 1, 0]); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  opts: ConfusionMatrixOptions = {},
): number[][] {
  const p = checkPair(yTrue, yPred);
  let labels: ClassLabel[];
  if (opts.labels !== undefined) {
    labels = checkLabelList("labels", opts.labels);
    const inTrue = new Set(p.yTrue);
    if (!labels.some((l) => inTrue.has(l))) throw invalid(["labels"], "at least one label must occur in yTrue");
  } else labels = uniqueLabels(p.yTrue, p.yPred);
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const m: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let n = 0; n < p.yTrue.length; n++) {
    const i = index.get(p.yTrue[n]);
    const j = index.get(p.yPred[n]);
    if (i !== undefined && j !== undefined) m[i][j]++;
  }
  if (opts.normalize === undefined) return m;
  // numpy's nan_to_num: a row/column with no examples normalizes to zeros.
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
  if (opts.normalize === "true") return m.map((row) => row.map((v) => div(v, sum(row))));
  if (opts.normalize === "pred") {
    const cols = labels.map((_, j) => sum(m.map((row) => row[j])));
    return m.map((row) => row.map((v, j) => div(v, cols[j])));
  }
  if (opts.normalize === "all") {
    const total = sum(m.map(sum));
    return m.map((row) => row.map((v) => div(v, total)));
  }
  throw invalid(["normalize"], `must be "true", "pred" or "all", got ${JSON.stringify(opts.normalize)}`);
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** The labels scikit-learn's `_check_set_wise_labels` picks for an averaging mode. */
function setWiseLabels(
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  opts: PrfOptions,
): { labels: ClassLabel[]; average: ClassificationAverage } {
  const average = opts.average ?? "binary";
  if (!["binary", "macro", "micro", "weighted"].includes(average))
    throw invalid(["average"], `must be "binary", "macro", "micro" or "weighted", got ${JSON.stringify(average)}`);
  const present = uniqueLabels(yTrue, yPred);
  if (average === "binary") {
    const pos = opts.posLabel ?? 1;
    if (present.length > 2)
      throw invalid(
        ["average"],
        `the target is multiclass (${present.length} classes) but average is "binary"; choose "macro", "micro" or "weighted"`,
      );
    if (!present.includes(pos) && present.length >= 2)
      throw invalid(
        ["posLabel"],
        `${JSON.stringify(pos)} is not a valid label; it should be one of ${JSON.stringify(present)}`,
      );
    return { labels: [pos], average };
  }
  return { labels: opts.labels !== undefined ? checkLabelList("labels", opts.labels) : present, average };
}

function zeroDivisionValue(z: ZeroDivision | undefined): number {
  if (z === undefined || z === "warn" || z === 0) return 0;
  if (z === 1) return 1;
  throw invalid(["zeroDivision"], `must be 0, 1 or "warn", got ${JSON.stringify(z)}`);
}

function divide(num: number, den: number, zd: number): number {
  return den === 0 ? zd : num / den;
}

function fFrom(precision: number, recall: number, beta2: number): number {
  // scikit-learn 1.2's formula: F from precision and recall, a zero denominator counted as 1.
  const denom = beta2 * precision + recall;
  return ((1 + beta2) * precision * recall) / (denom === 0 ? 1 : denom);
}

function perLabelCounts(yTrue: ClassLabel[], yPred: ClassLabel[], labels: ClassLabel[]) {
  const index = new Map(labels.map((l, i) => [l, i]));
  const tp = new Array<number>(labels.length).fill(0);
  const predSum = new Array<number>(labels.length).fill(0);
  const trueSum = new Array<number>(labels.length).fill(0);
  for (let n = 0; n < yTrue.length; n++) {
    const i = index.get(yTrue[n]);
    const j = index.get(yPred[n]);
    if (i !== undefined) trueSum[i]++;
    if (j !== undefined) predSum[j]++;
    if (i !== undefined && yTrue[n] === yPred[n]) tp[i]++;
  }
  return { tp, predSum, trueSum };
}

/**
 * Per-class precision, recall, F-beta and support for the given classes, as scikit-learn's
 * `precision_recall_fscore_support(average=None)`.
 */
export function precisionRecallFscoreSupport(
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  opts: { labels?: ClassLabel[]; beta?: number; zeroDivision?: ZeroDivision } = {},
): PerClassScores {
  const p = checkPair(yTrue, yPred);
  const labels = opts.labels !== undefined ? checkLabelList("labels", opts.labels) : uniqueLabels(p.yTrue, p.yPred);
  const beta = checkBeta(opts.beta ?? 1);
  const zd = zeroDivisionValue(opts.zeroDivision);
  const c = perLabelCounts(p.yTrue, p.yPred, labels);
  const precision = c.tp.map((t, i) => divide(t, c.predSum[i], zd));
  const recall = c.tp.map((t, i) => divide(t, c.trueSum[i], zd));
  const fScore = precision.map((pr, i) => (beta === Infinity ? recall[i] : fFrom(pr, recall[i], beta * beta)));
  return { labels, precision, recall, fScore, support: c.trueSum };
}

function checkBeta(beta: number): number {
  if (typeof beta !== "number" || Number.isNaN(beta) || beta < 0) throw invalid(["beta"], `must be ≥ 0, got ${beta}`);
  return beta;
}

/**
 * Precision, recall and F-beta in one pass, averaged as `opts.average` says (scikit-learn's
 * `precision_recall_fscore_support` with an `average`). `beta` defaults to 1 (F1).
 *
 * @example
 * ```ts
 * const { precision, recall, fScore } = precisionRecallFscore(yTrue, yPred, { average: "macro" });
 * ```
 */
export function precisionRecallFscore(
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  opts: PrfOptions & { beta?: number } = {},
): { precision: number; recall: number; fScore: number } {
  return averagedScores(yTrue, yPred, opts, checkBeta(opts.beta ?? 1));
}

function averagedScores(
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  opts: PrfOptions,
  beta: number,
): { precision: number; recall: number; fScore: number } {
  const p = checkPair(yTrue, yPred);
  const { labels, average } = setWiseLabels(p.yTrue, p.yPred, opts);
  return averageCounts(perLabelCounts(p.yTrue, p.yPred, labels), average, zeroDivisionValue(opts.zeroDivision), beta);
}

/** Per-class counts: true positives, predictions and true examples of each class. */
export interface ClassCounts {
  tp: number[];
  predSum: number[];
  trueSum: number[];
}

/**
 * Precision, recall and F-beta from per-class counts, averaged as scikit-learn does: the arithmetic
 * of {@link precisionRecallFscore}, for a caller that counted once for several averaging modes.
 * `zd` is the value of a zero division (0 or 1).
 */
export function averageCounts(
  counts: ClassCounts,
  average: ClassificationAverage,
  zd: number,
  beta: number,
): { precision: number; recall: number; fScore: number } {
  const beta2 = beta * beta;
  let { tp, predSum, trueSum } = counts;
  if (average === "micro") {
    tp = [sum(tp)];
    predSum = [sum(predSum)];
    trueSum = [sum(trueSum)];
  }
  const precision = tp.map((t, i) => divide(t, predSum[i], zd));
  const recall = tp.map((t, i) => divide(t, trueSum[i], zd));
  const fScore = precision.map((pr, i) => (beta === Infinity ? recall[i] : fFrom(pr, recall[i], beta2)));
  if (average === "weighted") {
    const total = sum(trueSum);
    if (total === 0) {
      if (sum(predSum) === 0) return { precision: zd, recall: zd, fScore: zd };
      return { precision: 0, recall: zd, fScore: 0 };
    }
    const w = (xs: number[]) => sum(xs.map((x, i) => x * trueSum[i])) / total;
    return { precision: w(precision), recall: w(recall), fScore: w(fScore) };
  }
  const mean = (xs: number[]) => sum(xs) / xs.length;
  return { precision: mean(precision), recall: mean(recall), fScore: mean(fScore) };
}

/**
 * Precision `tp / (tp + fp)`, as scikit-learn's `precision_score` (default `average: "binary"`,
 * `posLabel: 1`).
 *
 * @example
 * ```ts
 * precisionScore([0, 1, 2, 2], [0, 2, 2, 1], { average: "macro" });
 * ```
 */
export function precisionScore(yTrue: ClassLabel[], yPred: ClassLabel[], opts: PrfOptions = {}): number {
  return averagedScores(yTrue, yPred, opts, 1).precision;
}

/** Recall `tp / (tp + fn)`, as scikit-learn's `recall_score` (options as {@link precisionScore}). */
export function recallScore(yTrue: ClassLabel[], yPred: ClassLabel[], opts: PrfOptions = {}): number {
  return averagedScores(yTrue, yPred, opts, 1).recall;
}

/** F1, the harmonic mean of precision and recall, as scikit-learn's `f1_score` (options as {@link precisionScore}). */
export function f1Score(yTrue: ClassLabel[], yPred: ClassLabel[], opts: PrfOptions = {}): number {
  return averagedScores(yTrue, yPred, opts, 1).fScore;
}

/** F-beta (recall weighted `beta` times as much as precision), as scikit-learn's `fbeta_score`. */
export function fbetaScore(yTrue: ClassLabel[], yPred: ClassLabel[], beta: number, opts: PrfOptions = {}): number {
  return averagedScores(yTrue, yPred, opts, checkBeta(beta)).fScore;
}

/**
 * Matthews correlation coefficient (multiclass form), as scikit-learn's `matthews_corrcoef`; 0 when
 * undefined (a constant prediction or target).
 *
 * @example
 * ```ts
 * matthewsCorrcoef([1, 1, 0, 0], [1, 0, 0, 0]); // 0.577…
 * ```
 */
export function matthewsCorrcoef(yTrue: ClassLabel[], yPred: ClassLabel[]): number {
  return matthewsFromMatrix(confusionMatrix(yTrue, yPred));
}

/** The Matthews correlation coefficient of a confusion matrix of counts (see {@link matthewsCorrcoef}). */
export function matthewsFromMatrix(c: number[][]): number {
  const k = c.length;
  const tSum = c.map(sum);
  const pSum = c[0].map((_, j) => sum(c.map((row) => row[j])));
  let nCorrect = 0;
  for (let i = 0; i < k; i++) nCorrect += c[i][i];
  const n = sum(pSum);
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (let i = 0; i < k; i++) {
    tp += tSum[i] * pSum[i];
    pp += pSum[i] * pSum[i];
    tt += tSum[i] * tSum[i];
  }
  const covYtYp = nCorrect * n - tp;
  const covYpYp = n * n - pp;
  const covYtYt = n * n - tt;
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

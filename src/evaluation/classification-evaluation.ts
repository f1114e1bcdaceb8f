import { invalid } from "../core/errors.js";
import { averageCounts, type ClassCounts, matthewsFromMatrix } from "./classification-metrics.js";
import {
  checkLabelList,
  checkMatrix,
  checkNumbers,
  checkProbabilities,
  checkSameLength,
  type ClassLabel,
  uniqueLabels,
} from "./metric-input.js";
import { put } from "./metric-notes.js";
import { binaryBrier, binaryLogLossSum, logLoss } from "./probability-metrics.js";
import { averagePrecisionOfCounts, rankingCounts, rocAucOfCounts, rocAucScore } from "./ranking-metrics.js";

/** The options of `evaluate` that shape a classification. */
export interface ClassificationOptions {
  labels?: (number | string)[];
  positiveLabel?: number | string;
  probabilities?: number[][] | number[];
}

/** What a classification is evaluated against: its classes and, when given, probabilities. */
export interface ClassContext {
  classes: ClassLabel[];
  /** Index of each class in `classes`. */
  index: Map<ClassLabel, number>;
  /** Present for two classes. */
  positive?: ClassLabel;
  /** Two classes with probabilities: the positive class's probability per example. */
  score?: number[];
  /** More classes with probabilities: probability rows in `classes` order. */
  probabilities?: number[][];
}

/** The examples of a classification, as labels and as class indices (counted from once). */
export interface ClassExamples {
  yTrue: ClassLabel[];
  trueIdx: Int32Array;
  predIdx: Int32Array;
  score?: number[];
  probabilities?: number[][];
}

/**
 * The classes (given, or the sorted labels seen) and each example's class index: one map lookup per
 * label. A label outside given `labels` is `VALIDATION` (yTrue's checked before yPred's).
 */
function indexLabels(
  opts: ClassificationOptions,
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
): { classes: ClassLabel[]; index: Map<ClassLabel, number>; trueIdx: Int32Array; predIdx: Int32Array } {
  const trueIdx = new Int32Array(yTrue.length);
  const predIdx = new Int32Array(yPred.length);
  if (opts.labels !== undefined) {
    const classes = checkLabelList("labels", opts.labels);
    const index = new Map(classes.map((c, i) => [c, i]));
    for (const [what, arr, out] of [
      ["yTrue", yTrue, trueIdx],
      ["yPred", yPred, predIdx],
    ] as const) {
      for (let i = 0; i < arr.length; i++) {
        const j = index.get(arr[i]);
        if (j === undefined)
          throw invalid([what, i], `${JSON.stringify(arr[i])} is not one of labels ${JSON.stringify(classes)}`);
        out[i] = j;
      }
    }
    return { classes, index, trueIdx, predIdx };
  }
  // Ids in order of first sight, then renumbered in the sorted order of the classes.
  const seen = new Map<ClassLabel, number>();
  for (const [arr, out] of [
    [yTrue, trueIdx],
    [yPred, predIdx],
  ] as const) {
    for (let i = 0; i < arr.length; i++) {
      let id = seen.get(arr[i]);
      if (id === undefined) seen.set(arr[i], (id = seen.size));
      out[i] = id;
    }
  }
  const classes = uniqueLabels([...seen.keys()]);
  const index = new Map(classes.map((c, i) => [c, i]));
  const renumber = new Int32Array(seen.size);
  for (const [label, id] of seen) renumber[id] = index.get(label)!;
  for (const out of [trueIdx, predIdx]) for (let i = 0; i < out.length; i++) out[i] = renumber[out[i]];
  return { classes, index, trueIdx, predIdx };
}

/** Checks the labels and probabilities of a classification and indexes its labels (see {@link ClassContext}). */
export function classificationContext(
  opts: ClassificationOptions,
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
): ClassContext & { trueIdx: Int32Array; predIdx: Int32Array } {
  if (typeof yTrue[0] !== typeof yPred[0])
    throw invalid(["yPred"], `holds ${typeof yPred[0]} labels but yTrue holds ${typeof yTrue[0]}`);
  const { classes, index, trueIdx, predIdx } = indexLabels(opts, yTrue, yPred);
  const ctx: ClassContext & { trueIdx: Int32Array; predIdx: Int32Array } = { classes, index, trueIdx, predIdx };
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
    // One probability per example is the positive class's.
    ctx.score = p;
  } else {
    if (classes.length < 2)
      throw invalid(["labels"], "probabilities need at least two classes; pass all classes through labels");
    if (Array.isArray(probs[0]) && probs[0].length !== classes.length)
      throw invalid(
        ["probabilities", 0],
        `has ${probs[0].length} columns but there are ${classes.length} classes ${JSON.stringify(classes)}; pass labels to name the columns`,
        "invalid_shape",
      );
    const rows = checkMatrix("probabilities", probs, {
      rows: yTrue.length,
      columns: classes.length,
      probabilities: true,
    });
    if (classes.length === 2) {
      const p = classes.indexOf(ctx.positive!);
      ctx.score = rows.map((row) => row[p]);
    } else ctx.probabilities = rows;
  }
  return ctx;
}

/**
 * The metrics of a classification. The confusion matrix is counted once, and accuracy, every
 * averaging mode of precision / recall / F1 and the Matthews coefficient come from it; for two
 * classes, the scores are sorted once for both ROC AUC and average precision.
 */
export function classificationMetrics(
  ex: ClassExamples,
  ctx: ClassContext,
  notes: string[],
): { metrics: Record<string, number>; matrix: number[][] } {
  const { trueIdx, predIdx } = ex;
  const n = trueIdx.length;
  const m: Record<string, number> = { example_count: n };
  const { classes, positive } = ctx;
  const k = classes.length;
  const binary = positive !== undefined;
  const matrix: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) matrix[trueIdx[i]][predIdx[i]]++;
  const counts = (labels: number[]): ClassCounts => ({
    tp: labels.map((c) => matrix[c][c]),
    predSum: labels.map((c) => matrix.reduce((s, row) => s + row[c], 0)),
    trueSum: labels.map((c) => matrix[c].reduce((s, v) => s + v, 0)),
  });
  put(m, notes, "accuracy_score", () => {
    let correct = 0;
    for (let c = 0; c < k; c++) correct += matrix[c][c];
    return correct / n;
  });
  const all = classes.map((_, c) => c);
  const prf = (suffix: string, r: { precision: number; recall: number; fScore: number }) => {
    m[`precision_score${suffix}`] = r.precision;
    m[`recall_score${suffix}`] = r.recall;
    m[`f1_score${suffix}`] = r.fScore;
  };
  const p = binary ? ctx.index.get(positive)! : -1;
  prf("", binary ? averageCounts(counts([p]), "binary", 0, 1) : averageCounts(counts(all), "weighted", 0, 1));
  const perClass = counts(all);
  for (const average of ["macro", "micro", "weighted"] as const)
    prf(`_${average}`, averageCounts(perClass, average, 0, 1));
  put(m, notes, "matthews_corrcoef", () => matthewsFromMatrix(matrix));
  if (binary) {
    const q = k === 2 ? 1 - p : -1;
    m.true_positives = matrix[p][p];
    m.false_negatives = q >= 0 ? matrix[p][q] : 0;
    m.false_positives = q >= 0 ? matrix[q][p] : 0;
    m.true_negatives = q >= 0 ? matrix[q][q] : 0;
  }
  if (binary && ex.score !== undefined) {
    const score = ex.score;
    const yBin = new Uint8Array(n);
    let nPos = 0;
    for (let i = 0; i < n; i++) if (trueIdx[i] === p) nPos += yBin[i] = 1;
    put(m, notes, "log_loss", () => binaryLogLossSum(yBin, score) / n);
    const ranked = rankingCounts(yBin, score);
    put(m, notes, "roc_auc", () => {
      if (nPos === 0 || nPos === n)
        throw invalid(["yTrue"], "only one class is present, so ROC AUC is not defined", "undefined_metric");
      return rocAucOfCounts(ranked);
    });
    put(m, notes, "precision_recall_auc", () => averagePrecisionOfCounts(ranked));
    put(m, notes, "brier_score_loss", () => binaryBrier(yBin, score));
  } else if (ex.probabilities !== undefined) {
    const { yTrue, probabilities } = ex;
    put(m, notes, "log_loss", () => logLoss(yTrue, probabilities, { labels: classes }));
    put(m, notes, "roc_auc", () => rocAucScore(yTrue, probabilities, { labels: classes, average: "weighted" }));
    put(m, notes, "roc_auc_macro", () => rocAucScore(yTrue, probabilities, { labels: classes, average: "macro" }));
  }
  return { metrics: m, matrix };
}

import { invalid } from "../core/errors.js";
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

/** Options of {@link logLoss}. */
export interface LogLossOptions {
  /**
   * Probabilities are clipped to `[eps, 1 − eps]` before the log. Default `"auto"`: the float64
   * machine epsilon (2.22e-16), as scikit-learn 1.2's `eps="auto"`.
   */
  eps?: number | "auto";
  /** Mean loss per example (`true`, default) or the sum. */
  normalize?: boolean;
  /** Classes, sorted, one per column of `yPred`; default the sorted classes of `yTrue`. */
  labels?: ClassLabel[];
}

/**
 * Cross-entropy loss `−mean(log p(true class))`, as scikit-learn's `log_loss`. `yPred` is either one
 * probability per example (of the greater class, binary only) or an n × k matrix of class
 * probabilities whose rows sum to 1 (columns in sorted class order). Clipped values are renormalized
 * per row, as scikit-learn does.
 *
 * @example
 * ```ts
 * logLoss([0, 1, 1], [0.1, 0.8, 0.6]);
 * logLoss(["a", "b"], [[0.9, 0.1], [0.2, 0.8]]);
 * ```
 */
export function logLoss(yTrue: ClassLabel[], yPred: number[] | number[][], opts: LogLossOptions = {}): number {
  const t = checkLabels("yTrue", yTrue);
  const eps = opts.eps === undefined || opts.eps === "auto" ? Number.EPSILON : opts.eps;
  if (typeof eps !== "number" || !(eps >= 0 && eps < 0.5)) throw invalid(["eps"], `must be in [0, 0.5), got ${eps}`);
  const classes = opts.labels !== undefined ? checkLabelList("labels", opts.labels) : uniqueLabels(t);
  if (classes.length < 2)
    throw invalid(
      opts.labels !== undefined ? ["labels"] : ["yTrue"],
      `holds only the label ${JSON.stringify(classes[0])}; pass all classes through labels`,
    );
  const index = new Map(classes.map((c, i) => [c, i]));
  const yIdx = t.map((v, i) => {
    const j = index.get(v);
    if (j === undefined)
      throw invalid(["yTrue", i], `${JSON.stringify(v)} is not one of labels ${JSON.stringify(classes)}`);
    return j;
  });
  if (!Array.isArray(yPred)) throw invalid(["yPred"], "must be an array of probabilities or of probability rows");
  let total = 0;
  if (Array.isArray(yPred[0])) {
    const rows = checkMatrix("yPred", yPred, { rows: t.length, probabilities: true });
    if (rows[0].length !== classes.length)
      throw invalid(
        ["yPred"],
        `has ${rows[0].length} columns but there are ${classes.length} classes ${JSON.stringify(classes)}`,
        "invalid_shape",
      );
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      let s = 0;
      for (let j = 0; j < row.length; j++) s += clip(row[j], eps);
      total -= Math.log(clip(row[yIdx[i]], eps) / s);
    }
  } else {
    const p = checkNumbers("yPred", yPred);
    checkSameLength("yTrue", t, "yPred", p);
    checkProbabilities("yPred", p);
    if (classes.length !== 2)
      throw invalid(
        ["yPred"],
        `has 1 column (the positive class's probability) but there are ${classes.length} classes ${JSON.stringify(classes)}`,
        "invalid_shape",
      );
    total = binaryLogLossSum(yIdx, p, eps);
  }
  return opts.normalize === false ? total : total / t.length;
}

/**
 * The summed log loss of one probability per example (of the positive class; `positive[i]` truthy
 * for a positive example), as scikit-learn's one-column path: clip p, form the row [1 − p, p],
 * renormalize it. Inputs are checked by the caller.
 */
export function binaryLogLossSum(
  positive: ArrayLike<boolean | number>,
  p: ArrayLike<number>,
  eps: number = Number.EPSILON,
): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const c = clip(p[i], eps);
    const s = 1 - c + c;
    total -= Math.log((positive[i] ? c : 1 - c) / s);
  }
  return total;
}

/** The Brier score of one probability per example of the positive class (`positive[i]` truthy). Inputs are checked by the caller. */
export function binaryBrier(positive: ArrayLike<boolean | number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const d = (positive[i] ? 1 : 0) - p[i];
    s += d * d;
  }
  return s / p.length;
}

function clip(v: number, eps: number): number {
  return v < eps ? eps : Math.min(v, 1 - eps);
}

/**
 * Mean squared difference between the predicted probability of the positive class and the outcome
 * (1 for the positive class, else 0), as scikit-learn's `brier_score_loss`. Binary only.
 * `posLabel` defaults to 1 when `yTrue` ⊆ {-1, 0, 1}, to the greater class for other numbers, and is
 * required for string labels.
 *
 * @example
 * ```ts
 * brierScoreLoss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]); // 0.0375
 * ```
 */
export function brierScoreLoss(yTrue: ClassLabel[], yProb: number[], opts: { posLabel?: ClassLabel } = {}): number {
  const t = checkLabels("yTrue", yTrue);
  const p = checkNumbers("yProb", yProb);
  checkSameLength("yTrue", t, "yProb", p);
  const classes = uniqueLabels(t);
  if (classes.length > 2)
    throw invalid(["yTrue"], `has ${classes.length} classes; the Brier score loss here is for binary targets only`);
  checkProbabilities("yProb", p);
  let pos = opts.posLabel;
  if (pos === undefined) {
    if (typeof classes[0] === "string")
      throw invalid(["posLabel"], `is required for string labels ${JSON.stringify(classes)}`);
    pos = classes.every((c) => c === -1 || c === 0 || c === 1) ? 1 : classes[classes.length - 1];
  }
  const positive = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) positive[i] = t[i] === pos ? 1 : 0;
  return binaryBrier(positive, p);
}

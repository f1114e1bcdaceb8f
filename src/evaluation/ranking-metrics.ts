import { invalid } from "../core/errors.js";
import {
  checkLabelList,
  checkLabels,
  checkMatrix,
  checkNumbers,
  checkSameLength,
  compareLabels,
  type ClassLabel,
  sumsToOne,
  uniqueLabels,
} from "./metric-input.js";

/** Points of a ROC curve, as scikit-learn's `roc_curve` (thresholds decreasing; the first is `max + 1`). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** Points of a precision-recall curve, as scikit-learn's `precision_recall_curve` (recall decreasing). */
export interface PrecisionRecallCurve {
  precision: number[];
  recall: number[];
  thresholds: number[];
}

/** How {@link rocAucScore} and {@link averagePrecisionScore} combine per-class scores in the multiclass case. */
export type RankingAverage = "macro" | "weighted" | "micro";

/**
 * Counts of true and false positives at each distinct score, scores decreasing
 * (scikit-learn's `_binary_clf_curve`): the first `length` entries of each array.
 */
export interface RankingCounts {
  tps: Float64Array;
  fps: Float64Array;
  thresholds: Float64Array;
  length: number;
}

/**
 * The {@link RankingCounts} of scores whose positives are marked truthy in `positive` (booleans or
 * 0/1): one pass to split them, two native float64 sorts and a merge — several times faster than
 * sorting indices with a comparator.
 */
export function rankingCounts(positive: ArrayLike<boolean | number>, score: ArrayLike<number>): RankingCounts {
  let nPos = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) nPos++;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(score.length - nPos);
  let a = 0;
  let b = 0;
  for (let i = 0; i < score.length; i++) {
    if (positive[i]) pos[a++] = score[i];
    else neg[b++] = score[i];
  }
  pos.sort();
  neg.sort();
  const tps = new Float64Array(score.length);
  const fps = new Float64Array(score.length);
  const thresholds = new Float64Array(score.length);
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  let length = 0;
  while (i >= 0 || j >= 0) {
    const v = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] === v) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      fp++;
      j--;
    }
    tps[length] = tp;
    fps[length] = fp;
    thresholds[length] = v;
    length++;
  }
  return { tps, fps, thresholds, length };
}

/** The counts as plain arrays, for the curves that return them. */
function binaryClfCurve(positive: readonly boolean[], score: readonly number[]) {
  const c = rankingCounts(positive, score);
  return {
    tps: Array.from(c.tps.subarray(0, c.length)),
    fps: Array.from(c.fps.subarray(0, c.length)),
    thresholds: Array.from(c.thresholds.subarray(0, c.length)),
  };
}

/**
 * Area under the ROC curve of the counts: the trapezoidal rule over the curve's corners (those
 * `roc_curve(drop_intermediate=True)` keeps), walked in place — the same sums, in the same order,
 * as building the curve first.
 */
export function rocAucOfCounts(c: RankingCounts): number {
  const { tps, fps, length: m } = c;
  const lastF = fps[m - 1];
  const lastT = tps[m - 1];
  let px = lastF <= 0 ? Number.NaN : 0 / lastF;
  let py = lastT <= 0 ? Number.NaN : 0 / lastT;
  let area = 0;
  for (let i = 0; i < m; i++) {
    // Keep the corners only: a point whose neighbours lie on one line with it adds nothing to the area.
    if (
      m > 2 &&
      i > 0 &&
      i < m - 1 &&
      fps[i + 1] - 2 * fps[i] + fps[i - 1] === 0 &&
      tps[i + 1] - 2 * tps[i] + tps[i - 1] === 0
    )
      continue;
    const x = lastF <= 0 ? Number.NaN : fps[i] / lastF;
    const y = lastT <= 0 ? Number.NaN : tps[i] / lastT;
    area += ((x - px) * (y + py)) / 2;
    px = x;
    py = y;
  }
  return area;
}

/**
 * Average precision of the counts, `Σ (Rₙ − Rₙ₋₁) Pₙ` over the precision-recall curve, walked in
 * place from the highest recall down — the same sums, in the same order, as building the curve first.
 */
export function averagePrecisionOfCounts(c: RankingCounts): number {
  const { tps, fps, length: m } = c;
  const lastT = tps[m - 1];
  // No positive example: scikit-learn sets recall to 1 at every threshold.
  const recall = (j: number) => (lastT === 0 ? 1 : tps[j] / lastT);
  let ap = 0;
  for (let j = m - 1; j >= 0; j--) {
    const t = tps[j];
    const precision = t + fps[j] === 0 ? 0 : t / (t + fps[j]);
    ap -= ((j >= 1 ? recall(j - 1) : 0) - recall(j)) * precision;
  }
  return ap;
}

/** scikit-learn's `_check_pos_label_consistency`: without `posLabel`, classes must be {0, 1} or {-1, 1}. */
function consistentPosLabel(yTrue: ClassLabel[], posLabel: ClassLabel | undefined): ClassLabel {
  if (posLabel !== undefined) return posLabel;
  const classes = uniqueLabels(yTrue);
  const ok = classes.every((c) => c === 0 || c === 1 || c === -1) && !(classes.includes(0) && classes.includes(-1));
  if (!ok)
    throw invalid(
      ["posLabel"],
      `yTrue takes the values ${JSON.stringify(classes)}; give posLabel (it defaults to 1 only for {0, 1} or {-1, 1})`,
    );
  return 1;
}

function checkBinaryInputs(yTrue: unknown, yScore: unknown): { yTrue: ClassLabel[]; yScore: number[] } {
  const t = checkLabels("yTrue", yTrue);
  const s = checkNumbers("yScore", yScore);
  checkSameLength("yTrue", t, "yScore", s);
  return { yTrue: t, yScore: s };
}

function rocFromPositives(positive: boolean[], score: number[], dropIntermediate: boolean): RocCurve {
  let { tps, fps, thresholds } = binaryClfCurve(positive, score);
  if (dropIntermediate && fps.length > 2) {
    // Keep the corners only: a point whose neighbours lie on one line with it adds nothing to the area.
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      if (fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    tps = keep.map((i) => tps[i]);
    fps = keep.map((i) => fps[i]);
    thresholds = keep.map((i) => thresholds[i]);
  }
  tps = [0, ...tps];
  fps = [0, ...fps];
  thresholds = [thresholds[0] + 1, ...thresholds];
  const lastF = fps[fps.length - 1];
  const lastT = tps[tps.length - 1];
  return {
    fpr: fps.map((f) => (lastF <= 0 ? Number.NaN : f / lastF)),
    tpr: tps.map((t) => (lastT <= 0 ? Number.NaN : t / lastT)),
    thresholds,
  };
}

/**
 * The ROC curve of a binary classifier's scores, as scikit-learn's `roc_curve`.
 * `posLabel` defaults to 1 when `yTrue` is {0, 1} or {-1, 1}; otherwise it is required.
 *
 * @example
 * ```ts
 * const { fpr, tpr } = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * ```
 */
export function rocCurve(
  yTrue: ClassLabel[],
  yScore: number[],
  opts: { posLabel?: ClassLabel; dropIntermediate?: boolean } = {},
): RocCurve {
  const p = checkBinaryInputs(yTrue, yScore);
  const pos = consistentPosLabel(p.yTrue, opts.posLabel);
  return rocFromPositives(
    p.yTrue.map((v) => v === pos),
    p.yScore,
    opts.dropIntermediate ?? true,
  );
}

/**
 * The precision-recall curve of a binary classifier's scores, as scikit-learn's
 * `precision_recall_curve` (last point precision 1, recall 0). `posLabel` as {@link rocCurve}.
 */
export function precisionRecallCurve(
  yTrue: ClassLabel[],
  yScore: number[],
  opts: { posLabel?: ClassLabel } = {},
): PrecisionRecallCurve {
  const p = checkBinaryInputs(yTrue, yScore);
  const pos = consistentPosLabel(p.yTrue, opts.posLabel);
  return prFromPositives(
    p.yTrue.map((v) => v === pos),
    p.yScore,
  );
}

function prFromPositives(positive: boolean[], score: number[]): PrecisionRecallCurve {
  const { tps, fps, thresholds } = binaryClfCurve(positive, score);
  const lastT = tps[tps.length - 1];
  const precision = tps.map((t, i) => (t + fps[i] === 0 ? 0 : t / (t + fps[i])));
  // No positive example: scikit-learn sets recall to 1 at every threshold.
  const recall = tps.map((t) => (lastT === 0 ? 1 : t / lastT));
  return {
    precision: [...precision.reverse(), 1],
    recall: [...recall.reverse(), 0],
    thresholds: thresholds.reverse(),
  };
}

function binaryAuc(positive: boolean[], score: number[], what: string): number {
  const nPos = positive.filter(Boolean).length;
  if (nPos === 0 || nPos === positive.length)
    throw invalid(["yTrue"], `${what}: only one class is present, so ROC AUC is not defined`, "undefined_metric");
  return rocAucOfCounts(rankingCounts(positive, score));
}

function binaryAp(positive: boolean[], score: number[]): number {
  return averagePrecisionOfCounts(rankingCounts(positive, score));
}

/** Options of {@link rocAucScore}. */
export interface RocAucOptions {
  /** Multiclass averaging of the one-vs-rest (or one-vs-one) scores. Default `"macro"`. */
  average?: RankingAverage;
  /**
   * Multiclass strategy: `ovr` (one-vs-rest, default) or `ovo` (Hand & Till's one-vs-one; `macro`
   * or `weighted` only). scikit-learn requires choosing one; here `ovr` is the default.
   */
  multiClass?: "ovr" | "ovo";
  /** Class of each column of a probability matrix, sorted; default the sorted classes of `yTrue`. */
  labels?: ClassLabel[];
}

interface MulticlassInput {
  classes: ClassLabel[];
  /** Index of each example's class in `classes`. */
  yIdx: number[];
  yScore: number[][];
}

function multiclassInput(
  yTrue: ClassLabel[],
  yScore: unknown,
  labels: ClassLabel[] | undefined,
  what: string,
): MulticlassInput {
  let classes: ClassLabel[];
  const rows = checkMatrix("yScore", yScore, { rows: yTrue.length });
  const k = rows[0]?.length ?? 0;
  if (labels !== undefined) {
    classes = checkLabelList("labels", labels);
    const sorted = [...classes].sort(compareLabels);
    if (sorted.some((l, i) => l !== classes[i]))
      throw invalid(["labels"], "must be sorted (the order of yScore's columns)");
    if (classes.length !== k)
      throw invalid(["labels"], `lists ${classes.length} classes but yScore has ${k} columns`, "invalid_shape");
  } else {
    classes = uniqueLabels(yTrue);
    if (classes.length !== k)
      throw invalid(
        ["yScore"],
        `${what}: yTrue has ${classes.length} classes but yScore has ${k} columns; pass labels to name the columns`,
        "invalid_shape",
      );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const yIdx = yTrue.map((v, i) => {
    const j = index.get(v);
    if (j === undefined) throw invalid(["yTrue", i], `${JSON.stringify(v)} is not one of labels`);
    return j;
  });
  return { classes, yIdx, yScore: rows };
}

function averageOneVsRest(
  input: MulticlassInput,
  average: RankingAverage,
  metric: (positive: boolean[], score: number[], what: string) => number,
): number {
  const { classes, yIdx, yScore } = input;
  if (average === "micro") {
    const positive: boolean[] = [];
    const score: number[] = [];
    for (let i = 0; i < yIdx.length; i++)
      for (let c = 0; c < classes.length; c++) {
        positive.push(yIdx[i] === c);
        score.push(yScore[i][c]);
      }
    return metric(positive, score, "micro average");
  }
  const support = classes.map((_, c) => yIdx.filter((y) => y === c).length);
  const scores = classes.map((cls, c) =>
    average === "weighted" && support[c] === 0
      ? 0
      : metric(
          yIdx.map((y) => y === c),
          yScore.map((row) => row[c]),
          `class ${JSON.stringify(cls)} against the rest`,
        ),
  );
  if (average === "weighted") {
    const total = support.reduce((a, b) => a + b, 0);
    return scores.reduce((acc, s, c) => acc + s * support[c], 0) / total;
  }
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

function checkRankingAverage(average: unknown, allowed: readonly RankingAverage[]): RankingAverage {
  if (!allowed.includes(average as RankingAverage))
    throw invalid(
      ["average"],
      `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(average)}`,
    );
  return average as RankingAverage;
}

function oneVsOne(input: MulticlassInput, average: RankingAverage): number {
  const present = [...new Set(input.yIdx)].sort((a, b) => a - b);
  const pairScores: number[] = [];
  const prevalence: number[] = [];
  for (let x = 0; x < present.length; x++)
    for (let y = x + 1; y < present.length; y++) {
      const a = present[x];
      const b = present[y];
      const rows = input.yIdx.flatMap((v, i) => (v === a || v === b ? [i] : []));
      prevalence.push(rows.length / input.yIdx.length);
      const aScore = binaryAuc(
        rows.map((i) => input.yIdx[i] === a),
        rows.map((i) => input.yScore[i][a]),
        "one-vs-one",
      );
      const bScore = binaryAuc(
        rows.map((i) => input.yIdx[i] === b),
        rows.map((i) => input.yScore[i][b]),
        "one-vs-one",
      );
      pairScores.push((aScore + bScore) / 2);
    }
  if (average === "weighted") {
    const total = prevalence.reduce((s, v) => s + v, 0);
    return pairScores.reduce((s, v, i) => s + v * prevalence[i], 0) / total;
  }
  return pairScores.reduce((s, v) => s + v, 0) / pairScores.length;
}

/**
 * Area under the ROC curve, as scikit-learn's `roc_auc_score`. Binary: `yScore` is the score of the
 * greater label (sorted order), one number per example. Multiclass: `yScore` is an n × k matrix of
 * class probabilities (rows summing to 1), columns in `labels` order, averaged one-vs-rest (default)
 * or one-vs-one. Ties between scores count one half, as the trapezoidal rule on the curve gives.
 *
 * @example
 * ```ts
 * rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * rocAucScore([0, 1, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]], { average: "weighted" });
 * ```
 */
export function rocAucScore(yTrue: ClassLabel[], yScore: number[] | number[][], opts: RocAucOptions = {}): number {
  const t = checkLabels("yTrue", yTrue);
  if (!Array.isArray(yScore)) throw invalid(["yScore"], "must be an array of scores or of probability rows");
  if (Array.isArray(yScore[0])) {
    const input = multiclassInput(t, yScore, opts.labels, "roc auc");
    for (let i = 0; i < input.yScore.length; i++) {
      const s = input.yScore[i].reduce((a, b) => a + b, 0);
      if (!sumsToOne(s))
        throw invalid(["yScore", i], `sums to ${s}; multiclass ROC AUC needs class probabilities summing to 1`);
    }
    const multiClass = opts.multiClass ?? "ovr";
    if (multiClass === "ovo")
      return oneVsOne(input, checkRankingAverage(opts.average ?? "macro", ["macro", "weighted"]));
    if (multiClass !== "ovr")
      throw invalid(["multiClass"], `must be "ovr" or "ovo", got ${JSON.stringify(multiClass)}`);
    return averageOneVsRest(
      input,
      checkRankingAverage(opts.average ?? "macro", ["macro", "weighted", "micro"]),
      binaryAuc,
    );
  }
  const p = checkBinaryInputs(t, yScore);
  const classes = uniqueLabels(p.yTrue);
  if (classes.length > 2)
    throw invalid(
      ["yScore"],
      `yTrue has ${classes.length} classes; pass one probability column per class`,
      "invalid_shape",
    );
  if (classes.length < 2)
    throw invalid(["yTrue"], "only one class is present, so ROC AUC is not defined", "undefined_metric");
  const pos = classes[1];
  return binaryAuc(
    p.yTrue.map((v) => v === pos),
    p.yScore,
    "roc auc",
  );
}

/** Options of {@link averagePrecisionScore}. */
export interface AveragePrecisionOptions {
  /** Binary: the positive class; default 1 (as scikit-learn). Not used in the multiclass case. */
  posLabel?: ClassLabel;
  /** Multiclass averaging over one-vs-rest scores. Default `"macro"`. */
  average?: RankingAverage;
  /** Multiclass: class of each column, sorted; default the sorted classes of `yTrue`. */
  labels?: ClassLabel[];
}

/**
 * ClassificationAverage precision `Σ (Rₙ − Rₙ₋₁) Pₙ` over the precision-recall curve (no interpolation), as
 * scikit-learn's `average_precision_score`. Binary: `yScore` holds the positive class's score.
 * Multiclass: an n × k score matrix, averaged one-vs-rest.
 *
 * @example
 * ```ts
 * averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333…
 * ```
 */
export function averagePrecisionScore(
  yTrue: ClassLabel[],
  yScore: number[] | number[][],
  opts: AveragePrecisionOptions = {},
): number {
  const t = checkLabels("yTrue", yTrue);
  if (!Array.isArray(yScore)) throw invalid(["yScore"], "must be an array of scores or of score rows");
  if (Array.isArray(yScore[0])) {
    if (opts.posLabel !== undefined && opts.posLabel !== 1)
      throw invalid(["posLabel"], "is fixed to 1 in the multiclass case; leave it out");
    const input = multiclassInput(t, yScore, opts.labels, "average precision");
    return averageOneVsRest(
      input,
      checkRankingAverage(opts.average ?? "macro", ["macro", "weighted", "micro"]),
      binaryAp,
    );
  }
  const p = checkBinaryInputs(t, yScore);
  const present = uniqueLabels(p.yTrue);
  if (present.length > 2)
    throw invalid(["yScore"], `yTrue has ${present.length} classes; pass one score column per class`, "invalid_shape");
  const pos = opts.posLabel ?? 1;
  if (present.length === 2 && !present.includes(pos))
    throw invalid(
      ["posLabel"],
      `${JSON.stringify(pos)} is not a valid label; it should be one of ${JSON.stringify(present)}`,
    );
  return binaryAp(
    p.yTrue.map((v) => v === pos),
    p.yScore,
  );
}

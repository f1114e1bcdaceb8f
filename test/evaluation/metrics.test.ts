import { describe, expect, it } from "vitest";
import { MlcycleError } from "../../src/core/errors.js";
import {
  accuracyScore,
  averagePrecisionScore,
  brierScoreLoss,
  confusionMatrix,
  explainedVarianceScore,
  f1Score,
  fbetaScore,
  logLoss,
  matthewsCorrcoef,
  maxError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  medianAbsoluteError,
  precisionRecallCurve,
  precisionRecallFscoreSupport,
  precisionScore,
  r2Score,
  recallScore,
  rocAucScore,
  rocCurve,
  rootMeanSquaredError,
} from "../../src/evaluation/index.js";

function expectValidation(fn: () => unknown, text?: string): MlcycleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlcycleError);
    expect((e as MlcycleError).code).toBe("VALIDATION");
    if (text) expect((e as MlcycleError).message).toContain(text);
    expect((e as MlcycleError).issues.length).toBeGreaterThan(0);
    return e as MlcycleError;
  }
  throw new Error("expected a VALIDATION error");
}

// Worked examples from scikit-learn's documentation, with the values computed by hand.
describe("classification metrics on scikit-learn's documented examples", () => {
  const yTrue = [0, 1, 2, 0, 1, 2];
  const yPred = [0, 2, 1, 0, 0, 1];

  it("precision, recall, F1 under each average", () => {
    expect(precisionScore(yTrue, yPred, { average: "macro" })).toBeCloseTo(2 / 9, 15);
    expect(precisionScore(yTrue, yPred, { average: "micro" })).toBeCloseTo(1 / 3, 15);
    expect(precisionScore(yTrue, yPred, { average: "weighted" })).toBeCloseTo(2 / 9, 15);
    expect(recallScore(yTrue, yPred, { average: "macro" })).toBeCloseTo(1 / 3, 15);
    expect(recallScore(yTrue, yPred, { average: "weighted" })).toBeCloseTo(1 / 3, 15);
    expect(f1Score(yTrue, yPred, { average: "macro" })).toBeCloseTo(0.8 / 3, 15);
    expect(f1Score(yTrue, yPred, { average: "micro" })).toBeCloseTo(1 / 3, 15);
    const per = precisionRecallFscoreSupport(yTrue, yPred);
    expect(per.labels).toEqual([0, 1, 2]);
    expect(per.precision).toEqual([2 / 3, 0, 0]);
    expect(per.recall).toEqual([1, 0, 0]);
    expect(per.fScore[0]).toBeCloseTo(0.8, 15);
    expect(per.support).toEqual([2, 2, 2]);
  });

  it("zeroDivision sets the value of a score with no predicted (or true) examples", () => {
    const allZero = [0, 0, 0, 0, 0, 0];
    expect(precisionRecallFscoreSupport(yTrue, allZero).precision).toEqual([1 / 3, 0, 0]);
    expect(precisionRecallFscoreSupport(yTrue, allZero, { zeroDivision: 1 }).precision).toEqual([1 / 3, 1, 1]);
    expect(precisionScore(yTrue, allZero, { average: "macro", zeroDivision: 1 })).toBeCloseTo(7 / 9, 15);
    // No positive at all, predicted or true: every score is the zeroDivision value.
    expect(f1Score([0, 0], [0, 0])).toBe(0);
    expect(f1Score([0, 0], [0, 0], { zeroDivision: 1 })).toBe(1);
    expect(recallScore([0, 0], [1, 1], { zeroDivision: 1 })).toBe(1);
    expect(f1Score([0, 0], [1, 1], { zeroDivision: 1 })).toBe(0);
  });

  it("labels restrict and order the classes averaged", () => {
    expect(precisionScore(yTrue, yPred, { average: "macro", labels: [0] })).toBeCloseTo(2 / 3, 15);
    expect(recallScore(yTrue, yPred, { average: "micro", labels: [0, 1] })).toBeCloseTo(2 / 4, 15);
    // A label absent from the data counts as a class with no examples.
    expect(precisionScore(yTrue, yPred, { average: "macro", labels: [0, 1, 2, 3] })).toBeCloseTo(2 / 12, 15);
  });

  it("binary average with posLabel and string labels", () => {
    const t = ["spam", "ham", "ham", "spam", "spam"];
    const p = ["spam", "spam", "ham", "ham", "spam"];
    expect(precisionScore(t, p, { posLabel: "spam" })).toBeCloseTo(2 / 3, 15);
    expect(recallScore(t, p, { posLabel: "ham" })).toBeCloseTo(1 / 2, 15);
    expect(fbetaScore(t, p, 2, { posLabel: "spam" })).toBeCloseTo((5 * (2 / 3) * (2 / 3)) / (4 * (2 / 3) + 2 / 3), 15);
  });

  it("accuracy, MCC and the confusion matrix", () => {
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3])).toBe(0.5);
    expect(accuracyScore([0, 1, 2, 3], [0, 2, 1, 3], { normalize: false })).toBe(2);
    expect(matthewsCorrcoef([1, 1, 1, -1], [1, -1, 1, 1])).toBeCloseTo(-1 / 3, 15);
    expect(matthewsCorrcoef([1, 1, 1, 1], [1, 1, 1, 1])).toBe(0);
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
    expect(
      confusionMatrix(["cat", "ant", "cat", "cat", "ant", "bird"], ["ant", "ant", "cat", "cat", "ant", "cat"], {
        labels: ["ant", "bird", "cat"],
      }),
    ).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
    expect(confusionMatrix([0, 1, 0, 1], [1, 1, 1, 0]).flat()).toEqual([0, 2, 1, 1]);
    expect(confusionMatrix([0, 1, 1], [0, 1, 0], { normalize: "true" })).toEqual([
      [1, 0],
      [0.5, 0.5],
    ]);
    expect(confusionMatrix([0, 0, 1], [0, 0, 0], { normalize: "pred" })).toEqual([
      [2 / 3, 0],
      [1 / 3, 0],
    ]);
    expect(confusionMatrix([0, 1], [0, 0], { normalize: "all" })).toEqual([
      [0.5, 0],
      [0.5, 0],
    ]);
    // Examples outside labels are left out.
    expect(confusionMatrix([0, 1, 2], [0, 1, 2], { labels: [2, 0] })).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
});

describe("ranking and probability metrics on documented examples", () => {
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it("ROC curve and AUC (positive = greater label)", () => {
    expect(rocCurve([1, 1, 2, 2], s, { posLabel: 2 })).toEqual({
      fpr: [0, 0, 0.5, 0.5, 1],
      tpr: [0, 0.5, 0.5, 1, 1],
      thresholds: [1.8, 0.8, 0.4, 0.35, 0.1],
    });
    expect(rocAucScore(y, s)).toBe(0.75);
    expect(rocAucScore([1, 1, 2, 2], s)).toBe(0.75);
    expect(rocAucScore(["a", "a", "b", "b"], s)).toBe(0.75);
  });

  it("ties count one half", () => {
    expect(rocAucScore([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAucScore([0, 0, 1, 1], [0.2, 0.5, 0.5, 0.9])).toBe(0.875);
  });

  it("precision-recall curve and average precision", () => {
    const c = precisionRecallCurve(y, s);
    expect(c.precision.map((v) => Math.round(v * 1e12) / 1e12)).toEqual([0.5, 0.666666666667, 0.5, 1, 1]);
    expect(c.recall).toEqual([1, 1, 0.5, 0.5, 0]);
    expect(c.thresholds).toEqual([0.1, 0.35, 0.4, 0.8]);
    expect(averagePrecisionScore(y, s)).toBeCloseTo(5 / 6, 15);
    expect(averagePrecisionScore(["n", "n", "p", "p"], s, { posLabel: "p" })).toBeCloseTo(5 / 6, 15);
  });

  it("multiclass ROC AUC: one-vs-rest averages and one-vs-one", () => {
    const yt = [0, 1, 2, 2, 1, 0, 2];
    const p = [
      [0.6, 0.3, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.5, 0.4],
      [0.3, 0.3, 0.4],
      [0.4, 0.4, 0.2],
      [0.3, 0.4, 0.3],
      [0.2, 0.2, 0.6],
    ];
    const col = (c: number) => p.map((r) => r[c]);
    const perClass = [0, 1, 2].map((c) =>
      rocAucScore(
        yt.map((v) => (v === c ? 1 : 0)),
        col(c),
      ),
    );
    expect(rocAucScore(yt, p)).toBeCloseTo((perClass[0] + perClass[1] + perClass[2]) / 3, 15);
    expect(rocAucScore(yt, p, { average: "weighted" })).toBeCloseTo(
      (2 * perClass[0] + 2 * perClass[1] + 3 * perClass[2]) / 7,
      15,
    );
    expect(rocAucScore(yt, p, { average: "micro" })).toBeCloseTo(
      rocAucScore(
        yt.flatMap((v) => [0, 1, 2].map((c) => (v === c ? 1 : 0))),
        p.flat(),
      ),
      15,
    );
    // One-vs-one (Hand & Till): mean over class pairs of the two directed AUCs on that pair's rows.
    const pair = (a: number, b: number) => {
      const rows = yt.flatMap((v, i) => (v === a || v === b ? [i] : []));
      const auc = (c: number) =>
        rocAucScore(
          rows.map((i) => (yt[i] === c ? 1 : 0)),
          rows.map((i) => p[i][c]),
        );
      return (auc(a) + auc(b)) / 2;
    };
    const pairs = [pair(0, 1), pair(0, 2), pair(1, 2)];
    expect(rocAucScore(yt, p, { multiClass: "ovo" })).toBeCloseTo((pairs[0] + pairs[1] + pairs[2]) / 3, 15);
    expect(rocAucScore(yt, p, { multiClass: "ovo", average: "weighted" })).toBeCloseTo(
      (4 * pairs[0] + 5 * pairs[1] + 5 * pairs[2]) / 14,
      15,
    );
    expect(averagePrecisionScore(yt, p)).toBeGreaterThan(0);
  });

  it("log loss and Brier score", () => {
    expect(
      logLoss(
        ["spam", "ham", "ham", "spam"],
        [
          [0.1, 0.9],
          [0.9, 0.1],
          [0.8, 0.2],
          [0.35, 0.65],
        ],
      ),
    ).toBeCloseTo(-(Math.log(0.9) * 2 + Math.log(0.8) + Math.log(0.65)) / 4, 15);
    expect(logLoss([0, 1], [0, 1])).toBeCloseTo(-Math.log(1 - Number.EPSILON), 15);
    // As scikit-learn: p is clipped, then the row [1 − p, p] is formed without clipping again.
    expect(logLoss([0, 1], [1, 0], { eps: 1e-15 })).toBeCloseTo((-Math.log(1 - (1 - 1e-15)) - Math.log(1e-15)) / 2, 12);
    expect(logLoss([0, 1], [0.2, 0.7], { normalize: false })).toBeCloseTo(-Math.log(0.8) - Math.log(0.7), 15);
    expect(logLoss([1, 1], [0.9, 0.8], { labels: [0, 1] })).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8)) / 2, 15);
    expect(brierScoreLoss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])).toBeCloseTo(0.0375, 15);
    expect(brierScoreLoss(["spam", "ham", "ham", "spam"], [0.1, 0.9, 0.8, 0.3], { posLabel: "ham" })).toBeCloseTo(
      0.0375,
      15,
    );
    expect(brierScoreLoss([0, 0], [0.5, 0.5])).toBeCloseTo(0.25, 15);
    expect(brierScoreLoss([3, 7], [0.2, 0.6])).toBeCloseTo((0.04 + 0.16) / 2, 15);
  });
});

describe("regression metrics on documented examples", () => {
  const t = [3, -0.5, 2, 7];
  const p = [2.5, 0, 2, 8];
  it("values", () => {
    expect(meanAbsoluteError(t, p)).toBe(0.5);
    expect(meanSquaredError(t, p)).toBe(0.375);
    expect(rootMeanSquaredError(t, p)).toBeCloseTo(Math.sqrt(0.375), 15);
    expect(r2Score(t, p)).toBeCloseTo(1 - 1.5 / 29.1875, 15);
    expect(explainedVarianceScore(t, p)).toBeCloseTo(1 - 0.3125 / 7.296875, 15);
    expect(meanAbsolutePercentageError(t, p)).toBeCloseTo((0.5 / 3 + 1 + 1 / 7) / 4, 15);
    expect(medianAbsoluteError(t, p)).toBe(0.5);
    expect(medianAbsoluteError([1, 2, 3], [1, 2, 5])).toBe(0);
    expect(maxError([3, 2, 7, 1], [4, 2, 7, 1])).toBe(1);
  });
  it("R² edge cases as scikit-learn's force_finite", () => {
    expect(r2Score([1, 2, 3], [3, 2, 1])).toBeCloseTo(-3, 15);
    expect(r2Score([-2, -2, -2], [-2, -2, -2])).toBe(1);
    expect(r2Score([-2, -2, -2], [-2, -2, -2 + 1e-8])).toBe(0);
    expect(r2Score([1], [1])).toBeNaN();
    expect(explainedVarianceScore([-2, -2, -2], [-2, -2, -1])).toBe(0);
    // A constant bias is not penalized by explained variance (it is by R²).
    expect(explainedVarianceScore([-2, -2, -2], [-1, -1, -1])).toBe(1);
  });
  it("MAPE divides by machine epsilon when the target is 0", () => {
    expect(meanAbsolutePercentageError([0], [1])).toBe(1 / Number.EPSILON);
  });
});

describe("metrics reject bad input with VALIDATION errors", () => {
  it("length mismatch names both arrays", () => {
    expectValidation(() => accuracyScore([0, 1], [0]), "yPred: has 1 entries but yTrue has 2");
    expectValidation(() => meanAbsoluteError([1, 2], [1, 2, 3]), "same length");
    expectValidation(() => rocAucScore([0, 1], [0.1]), "same length");
    expectValidation(() => logLoss([0, 1], [0.1]), "same length");
    expectValidation(() => brierScoreLoss([0, 1], [0.1]), "same length");
  });

  it("empty arrays", () => {
    expectValidation(() => accuracyScore([], []), "must not be empty");
    expectValidation(() => r2Score([], []), "must not be empty");
    expectValidation(() => rocAucScore([], []), "must not be empty");
  });

  it("NaN, Infinity and wrong types, with the index", () => {
    const e = expectValidation(() => meanSquaredError([1, 2, Number.NaN], [1, 2, 3]), "NaN");
    expect(e.issues[0].path).toEqual(["yTrue", 2]);
    expectValidation(() => maxError([1, 2], [1, Number.POSITIVE_INFINITY]), "finite");
    expectValidation(() => accuracyScore([0, Number.NaN], [0, 1]), "NaN");
    expectValidation(() => rocAucScore([0, 1], [0.2, Number.NaN]), "NaN");
    expectValidation(() => accuracyScore([0, null] as never, [0, 1]), "null");
    expectValidation(() => meanAbsoluteError("123" as never, [1]), "array");
  });

  it("mixed label kinds", () => {
    expectValidation(() => accuracyScore([0, "1"], [0, 1]), "mixes");
    expectValidation(() => f1Score([0, 1], ["0", "1"]), "string");
  });

  it("averaging and labels", () => {
    expectValidation(() => precisionScore([0, 1, 2], [0, 1, 2]), "multiclass");
    expectValidation(() => precisionScore([0, 1], [0, 1], { posLabel: 2 }), "not a valid label");
    expectValidation(() => precisionScore(["a", "b"], ["a", "b"]), "not a valid label");
    expectValidation(() => recallScore([0, 1], [0, 1], { average: "samples" as never }), "average");
    expectValidation(() => f1Score([0, 1], [0, 1], { zeroDivision: 2 as never }), "zeroDivision");
    expectValidation(() => precisionScore([0, 1], [0, 1], { average: "macro", labels: [0, 0] }), "repeats");
    expectValidation(() => fbetaScore([0, 1], [0, 1], -1), "beta");
    expectValidation(() => confusionMatrix([0, 1], [0, 1], { labels: [5] }), "yTrue");
    expectValidation(() => confusionMatrix([0, 1], [0, 1], { normalize: "rows" as never }), "normalize");
  });

  it("ROC AUC: one class, shape, rows not summing to 1, labels", () => {
    expectValidation(() => rocAucScore([1, 1], [0.2, 0.3]), "only one class");
    expectValidation(() => rocAucScore([0, 1, 2], [0.1, 0.2, 0.3]), "one probability column per class");
    expectValidation(
      () =>
        rocAucScore(
          [0, 1, 2],
          [
            [0.5, 0.5, 0.5],
            [0.2, 0.3, 0.5],
            [0.2, 0.3, 0.5],
          ],
        ),
      "sum",
    );
    expectValidation(
      () =>
        rocAucScore(
          [0, 1, 2],
          [
            [0.5, 0.5],
            [0.5, 0.5],
            [0.5, 0.5],
          ],
        ),
      "columns",
    );
    expectValidation(
      () =>
        rocAucScore(
          [0, 1],
          [
            [0.5, 0.5],
            [0.5, 0.5, 0],
          ],
        ),
      "columns",
    );
    expectValidation(
      () =>
        rocAucScore(
          [0, 1, 2],
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          { labels: [2, 1, 0] },
        ),
      "sorted",
    );
    expectValidation(
      () =>
        rocAucScore(
          [0, 1, 3],
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          { labels: [0, 1, 2] },
        ),
      "not one of labels",
    );
    expectValidation(
      () =>
        rocAucScore(
          [0, 1, 2],
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          { average: "micro", multiClass: "ovo" },
        ),
      "average",
    );
    expectValidation(
      () =>
        rocAucScore(
          [0, 1],
          [
            [1, 0],
            [0, 1],
          ],
          { multiClass: "x" as never },
        ),
      "multiClass",
    );
    expectValidation(() => rocCurve(["a", "b"], [0.1, 0.2]), "posLabel");
    expectValidation(() => rocCurve([1, 2], [0.1, 0.2]), "posLabel");
  });

  it("average precision: posLabel", () => {
    expectValidation(() => averagePrecisionScore([2, 3], [0.1, 0.2]), "not a valid label");
    expectValidation(
      () =>
        averagePrecisionScore(
          [0, 1, 2],
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          { posLabel: 2 },
        ),
      "posLabel",
    );
  });

  it("log loss: probabilities out of range or not summing to 1, wrong shape, one class", () => {
    expectValidation(() => logLoss([0, 1], [0.2, 1.1]), "within [0, 1]");
    expectValidation(
      () =>
        logLoss(
          [0, 1],
          [
            [0.2, 0.7],
            [0.5, 0.5],
          ],
        ),
      "sum to 1",
    );
    expectValidation(
      () =>
        logLoss(
          [0, 1],
          [
            [0.2, 0.3, 0.5],
            [0.5, 0.25, 0.25],
          ],
        ),
      "columns",
    );
    expectValidation(() => logLoss([0, 1, 2], [0.2, 0.3, 0.5]), "1 column");
    expectValidation(() => logLoss([1, 1], [0.2, 0.3]), "labels");
    expectValidation(() => logLoss([0, 1], [[0.5, 0.5]]), "rows");
    expectValidation(() => logLoss([0, 1], [0.2, 0.3], { eps: 0.7 }), "eps");
    expectValidation(() => logLoss([0, 5], [0.2, 0.3], { labels: [0, 1] }), "not one of labels");
  });

  it("Brier: multiclass, range, string labels without posLabel", () => {
    expectValidation(() => brierScoreLoss([0, 1, 2], [0.1, 0.2, 0.3]), "binary");
    expectValidation(() => brierScoreLoss([0, 1], [0.1, 1.2]), "within [0, 1]");
    expectValidation(() => brierScoreLoss(["a", "b"], [0.1, 0.2]), "posLabel");
  });
});

describe("every metric validates length, emptiness and NaN", () => {
  const labelMetrics: Array<[string, (t: never[], p: never[]) => unknown]> = [
    ["accuracyScore", accuracyScore],
    ["precisionScore", precisionScore],
    ["recallScore", recallScore],
    ["f1Score", f1Score],
    ["matthewsCorrcoef", matthewsCorrcoef],
    ["confusionMatrix", confusionMatrix],
  ];
  const scoreMetrics: Array<[string, (t: never[], p: never[]) => unknown]> = [
    ["rocAucScore", rocAucScore],
    ["averagePrecisionScore", averagePrecisionScore],
    ["logLoss", logLoss],
    ["brierScoreLoss", brierScoreLoss],
    ["rocCurve", rocCurve],
    ["precisionRecallCurve", precisionRecallCurve],
  ];
  const regressionMetrics: Array<[string, (t: never[], p: never[]) => unknown]> = [
    ["meanAbsoluteError", meanAbsoluteError],
    ["meanSquaredError", meanSquaredError],
    ["rootMeanSquaredError", rootMeanSquaredError],
    ["r2Score", r2Score],
    ["meanAbsolutePercentageError", meanAbsolutePercentageError],
    ["explainedVarianceScore", explainedVarianceScore],
    ["medianAbsoluteError", medianAbsoluteError],
    ["maxError", maxError],
  ];
  for (const [name, f] of labelMetrics)
    it(name, () => {
      expectValidation(() => f([0, 1, 1] as never[], [0, 1] as never[]), "same length");
      expectValidation(() => f([] as never[], [] as never[]), "empty");
      expectValidation(() => f([0, Number.NaN] as never[], [0, 1] as never[]), "NaN");
      expectValidation(() => f([0, 1] as never[], [0, Number.NaN] as never[]), "NaN");
    });
  for (const [name, f] of scoreMetrics)
    it(name, () => {
      expectValidation(() => f([0, 1, 1] as never[], [0.1, 0.9] as never[]), "same length");
      expectValidation(() => f([] as never[], [] as never[]), "empty");
      expectValidation(() => f([0, 1] as never[], [0.1, Number.NaN] as never[]), "NaN");
    });
  for (const [name, f] of regressionMetrics)
    it(name, () => {
      expectValidation(() => f([1, 2, 3] as never[], [1, 2] as never[]), "same length");
      expectValidation(() => f([] as never[], [] as never[]), "empty");
      expectValidation(() => f([1, Number.NaN] as never[], [1, 2] as never[]), "NaN");
      expectValidation(() => f([1, 2] as never[], [1, Number.POSITIVE_INFINITY] as never[]), "finite");
    });
});

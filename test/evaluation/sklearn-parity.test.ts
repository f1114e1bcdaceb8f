import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accuracyScore,
  averagePrecisionScore,
  brierScoreLoss,
  confusionMatrix,
  explainedVarianceScore,
  f1Score,
  logLoss,
  matthewsCorrcoef,
  maxError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  medianAbsoluteError,
  precisionScore,
  r2Score,
  recallScore,
  rocAucScore,
  rootMeanSquaredError,
} from "../../src/evaluation/index.js";
import { fixturePath } from "../helpers.js";

interface Case {
  kind: "binary" | "multiclass" | "regression";
  y_true: number[];
  y_pred: number[];
  y_score?: number[];
  y_proba?: number[][];
  labels?: number[];
  expected: Record<string, number | number[][]>;
}

const fixture = JSON.parse(readFileSync(fixturePath("evaluation", "sklearn-metrics.json"), "utf8")) as {
  meta: Record<string, unknown>;
  cases: Case[];
};

type Metric = (c: Case) => number | number[][];

/** scikit-learn's call behind each expected key of the fixture (defaults unless the key names an option). */
const metricsByKind: Record<Case["kind"], Record<string, Metric>> = {
  binary: {
    accuracy: (c) => accuracyScore(c.y_true, c.y_pred),
    precision: (c) => precisionScore(c.y_true, c.y_pred),
    recall: (c) => recallScore(c.y_true, c.y_pred),
    f1: (c) => f1Score(c.y_true, c.y_pred),
    roc_auc: (c) => rocAucScore(c.y_true, c.y_score!),
    average_precision: (c) => averagePrecisionScore(c.y_true, c.y_score!),
    log_loss: (c) => logLoss(c.y_true, c.y_score!),
    brier: (c) => brierScoreLoss(c.y_true, c.y_score!),
    matthews_corrcoef: (c) => matthewsCorrcoef(c.y_true, c.y_pred),
    confusion_matrix: (c) => confusionMatrix(c.y_true, c.y_pred),
  },
  multiclass: {
    accuracy: (c) => accuracyScore(c.y_true, c.y_pred),
    precision_macro: (c) => precisionScore(c.y_true, c.y_pred, { average: "macro" }),
    recall_macro: (c) => recallScore(c.y_true, c.y_pred, { average: "macro" }),
    f1_macro: (c) => f1Score(c.y_true, c.y_pred, { average: "macro" }),
    f1_weighted: (c) => f1Score(c.y_true, c.y_pred, { average: "weighted" }),
    f1_micro: (c) => f1Score(c.y_true, c.y_pred, { average: "micro" }),
    log_loss: (c) => logLoss(c.y_true, c.y_proba!, { labels: c.labels }),
    roc_auc_ovr_macro: (c) =>
      rocAucScore(c.y_true, c.y_proba!, { multiClass: "ovr", average: "macro", labels: c.labels }),
    confusion_matrix: (c) => confusionMatrix(c.y_true, c.y_pred, { labels: c.labels }),
  },
  regression: {
    mae: (c) => meanAbsoluteError(c.y_true, c.y_pred),
    mse: (c) => meanSquaredError(c.y_true, c.y_pred),
    rmse: (c) => rootMeanSquaredError(c.y_true, c.y_pred),
    r2: (c) => r2Score(c.y_true, c.y_pred),
    mape: (c) => meanAbsolutePercentageError(c.y_true, c.y_pred),
    explained_variance: (c) => explainedVarianceScore(c.y_true, c.y_pred),
    median_absolute_error: (c) => medianAbsoluteError(c.y_true, c.y_pred),
    max_error: (c) => maxError(c.y_true, c.y_pred),
  },
};

describe("parity with scikit-learn on every case of sklearn-metrics.json", () => {
  it("reads a fixture with cases of each kind", () => {
    expect(fixture.cases.length).toBeGreaterThan(0);
    expect(new Set(fixture.cases.map((c) => c.kind))).toEqual(new Set(["binary", "multiclass", "regression"]));
  });

  fixture.cases.forEach((c, n) => {
    describe(`case ${n} (${c.kind}, ${c.y_true.length} examples)`, () => {
      for (const [key, expected] of Object.entries(c.expected)) {
        it(key, () => {
          const metric = metricsByKind[c.kind][key];
          expect(metric, `no metric mapped to the fixture key '${key}'`).toBeDefined();
          const actual = metric(c);
          if (Array.isArray(expected)) expect(actual).toEqual(expected);
          else {
            expect(typeof actual).toBe("number");
            expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(1e-9);
          }
        });
      }
    });
  });
});

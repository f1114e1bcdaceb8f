import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MlcycleError } from "../../src/core/errors.js";
import { compareWithBaseline, type EvaluationResult, evaluate, precisionScore } from "../../src/evaluation/index.js";
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

const cases = (JSON.parse(readFileSync(fixturePath("evaluation", "sklearn-metrics.json"), "utf8")) as { cases: Case[] })
  .cases;

/** Fixture key → the name evaluate() reports it under. */
const names: Record<Case["kind"], Record<string, string>> = {
  binary: {
    accuracy: "accuracy_score",
    precision: "precision_score",
    recall: "recall_score",
    f1: "f1_score",
    roc_auc: "roc_auc",
    average_precision: "precision_recall_auc",
    log_loss: "log_loss",
    brier: "brier_score_loss",
    matthews_corrcoef: "matthews_corrcoef",
  },
  multiclass: {
    accuracy: "accuracy_score",
    precision_macro: "precision_score_macro",
    recall_macro: "recall_score_macro",
    f1_macro: "f1_score_macro",
    f1_weighted: "f1_score",
    f1_micro: "f1_score_micro",
    log_loss: "log_loss",
    roc_auc_ovr_macro: "roc_auc_macro",
  },
  regression: {
    mae: "mean_absolute_error",
    mse: "mean_squared_error",
    rmse: "root_mean_squared_error",
    r2: "r2_score",
    mape: "mean_absolute_percentage_error",
    explained_variance: "explained_variance_score",
    median_absolute_error: "median_absolute_error",
    max_error: "max_error",
  },
};

function run(c: Case): EvaluationResult {
  if (c.kind === "regression") return evaluate({ task: "regression", yTrue: c.y_true, yPred: c.y_pred });
  return evaluate({
    task: "classification",
    yTrue: c.y_true,
    yPred: c.y_pred,
    probabilities: c.kind === "binary" ? c.y_score : c.y_proba,
    ...(c.labels ? { labels: c.labels } : {}),
  });
}

function expectValidation(fn: () => unknown, text?: string): MlcycleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlcycleError);
    expect((e as MlcycleError).code).toBe("VALIDATION");
    if (text) expect((e as MlcycleError).message).toContain(text);
    return e as MlcycleError;
  }
  throw new Error("expected a VALIDATION error");
}

describe("evaluate() reports scikit-learn's values on every fixture case", () => {
  cases.forEach((c, n) => {
    it(`case ${n} (${c.kind})`, () => {
      const r = run(c);
      expect(r.task).toBe(c.kind === "regression" ? "regression" : "classification");
      expect(r.count).toBe(c.y_true.length);
      expect(r.metrics.example_count).toBe(c.y_true.length);
      expect(r.notes).toBeUndefined();
      for (const [key, expected] of Object.entries(c.expected)) {
        if (key === "confusion_matrix") {
          expect(r.confusionMatrix?.matrix).toEqual(expected);
          continue;
        }
        const name = names[c.kind][key];
        expect(name, `fixture key ${key} has no evaluate() name`).toBeDefined();
        expect(Math.abs(r.metrics[name] - (expected as number)), `${key} → ${name}`).toBeLessThanOrEqual(1e-9);
      }
    });
  });
});

const binary = cases.find((c) => c.kind === "binary")!;
const multiclass = cases.find((c) => c.kind === "multiclass")!;
const regression = cases.find((c) => c.kind === "regression")!;

describe("evaluate(): default metric set (mlflow.evaluate's, plus variants)", () => {
  it("binary classification", () => {
    const r = run(binary);
    expect(Object.keys(r.metrics).sort()).toEqual(
      [
        "example_count",
        "accuracy_score",
        "precision_score",
        "recall_score",
        "f1_score",
        ...["precision_score", "recall_score", "f1_score"].flatMap((m) => [
          `${m}_macro`,
          `${m}_micro`,
          `${m}_weighted`,
        ]),
        "matthews_corrcoef",
        "true_positives",
        "true_negatives",
        "false_positives",
        "false_negatives",
        "log_loss",
        "roc_auc",
        "precision_recall_auc",
        "brier_score_loss",
      ].sort(),
    );
    const [[tn, fp], [fn, tp]] = binary.expected.confusion_matrix as number[][];
    expect(r.metrics).toMatchObject({
      true_negatives: tn,
      false_positives: fp,
      false_negatives: fn,
      true_positives: tp,
    });
    expect(r.positiveLabel).toBe(1);
    expect(r.confusionMatrix?.labels).toEqual([0, 1]);
    expect(r.metrics.f1_score).toBeCloseTo(binary.expected.f1 as number, 9);
  });

  it("without probabilities, no probability metrics", () => {
    const r = evaluate({ task: "classification", yTrue: binary.y_true, yPred: binary.y_pred });
    for (const m of ["log_loss", "roc_auc", "precision_recall_auc", "brier_score_loss"])
      expect(r.metrics[m]).toBeUndefined();
    expect(r.metrics.accuracy_score).toBeCloseTo(binary.expected.accuracy as number, 12);
  });

  it("multiclass: weighted averages by default, ROC AUC one-vs-rest weighted and macro, no binary counts", () => {
    const r = run(multiclass);
    // Default (weighted) and the macro and micro variants, against scikit-learn's values.
    expect(r.metrics.f1_score).toBeCloseTo(multiclass.expected.f1_weighted as number, 9);
    expect(r.metrics.f1_score_macro).toBeCloseTo(multiclass.expected.f1_macro as number, 9);
    expect(r.metrics.f1_score_micro).toBeCloseTo(multiclass.expected.f1_micro as number, 9);
    expect(r.metrics.precision_score_macro).toBeCloseTo(multiclass.expected.precision_macro as number, 9);
    expect(r.metrics.roc_auc_macro).toBeCloseTo(multiclass.expected.roc_auc_ovr_macro as number, 9);
    expect(r.metrics.true_positives).toBeUndefined();
    expect(r.metrics.brier_score_loss).toBeUndefined();
    expect(r.positiveLabel).toBeUndefined();
  });

  it("regression: sum and mean on target", () => {
    const r = run(regression);
    const sum = regression.y_true.reduce((a, b) => a + b, 0);
    expect(r.metrics.sum_on_target).toBeCloseTo(sum, 9);
    expect(r.metrics.mean_on_target).toBeCloseTo(sum / regression.y_true.length, 12);
    expect(Object.keys(r.metrics)).toHaveLength(11);
    expect(r.confusionMatrix).toBeUndefined();
  });

  it("a metric that is not finite (R² on one example) is left out with a note", () => {
    const r = evaluate({ task: "regression", yTrue: [3], yPred: [2.5] });
    expect(r.metrics.r2_score).toBeUndefined();
    expect(r.metrics.mean_absolute_error).toBe(0.5);
    expect(r.notes).toEqual(["r2_score left out: it is NaN on this data"]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("the result is plain JSON data", () => {
    const r = run(binary);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe("evaluate(): labels and the positive class", () => {
  const names01 = (v: number) => (v === 1 ? "yes" : "no");

  it("string labels give the same metrics as 0/1 (positive = the greater class, 'yes')", () => {
    const r = evaluate({
      task: "classification",
      yTrue: binary.y_true.map(names01),
      yPred: binary.y_pred.map(names01),
      probabilities: binary.y_score,
    });
    const ref = run(binary);
    expect(r.positiveLabel).toBe("yes");
    for (const [k, v] of Object.entries(ref.metrics)) expect(r.metrics[k]).toBeCloseTo(v, 12);
  });

  it("positiveLabel: probabilities are of that class; metrics turn around", () => {
    const r = evaluate({
      task: "classification",
      yTrue: binary.y_true,
      yPred: binary.y_pred,
      probabilities: binary.y_score!.map((p) => 1 - p),
      positiveLabel: 0,
    });
    const ref = run(binary);
    expect(r.metrics.precision_score).toBeCloseTo(precisionScore(binary.y_true, binary.y_pred, { posLabel: 0 }), 12);
    expect(r.metrics.roc_auc).toBeCloseTo(ref.metrics.roc_auc, 12);
    expect(r.metrics.log_loss).toBeCloseTo(ref.metrics.log_loss, 12);
    expect(r.metrics.brier_score_loss).toBeCloseTo(ref.metrics.brier_score_loss, 12);
    expect(r.metrics.true_positives).toBe(ref.metrics.true_negatives);
  });

  it("binary probabilities as an n × 2 matrix equal the one-column form", () => {
    const r = evaluate({
      task: "classification",
      yTrue: binary.y_true,
      yPred: binary.y_pred,
      probabilities: binary.y_score!.map((p) => [1 - p, p]),
    });
    const ref = run(binary);
    for (const k of ["log_loss", "roc_auc", "precision_recall_auc", "brier_score_loss"])
      expect(r.metrics[k]).toBeCloseTo(ref.metrics[k], 12);
  });

  it("labels name classes absent from the data (a probability column for each)", () => {
    const r = evaluate({
      task: "classification",
      yTrue: [0, 1, 0, 1],
      yPred: [0, 1, 1, 1],
      labels: [0, 1, 2],
      probabilities: [
        [0.7, 0.2, 0.1],
        [0.1, 0.8, 0.1],
        [0.4, 0.5, 0.1],
        [0.2, 0.6, 0.2],
      ],
    });
    expect(r.confusionMatrix).toEqual({
      labels: [0, 1, 2],
      matrix: [
        [1, 1, 0],
        [0, 2, 0],
        [0, 0, 0],
      ],
    });
    // One-vs-rest macro needs every class in yTrue: left out with a note; weighted skips empty classes.
    expect(r.metrics.roc_auc_macro).toBeUndefined();
    expect(r.notes?.some((n) => n.startsWith("roc_auc_macro left out"))).toBe(true);
    expect(r.metrics.roc_auc).toBe(1);
    expect(r.metrics.log_loss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.8) + Math.log(0.4) + Math.log(0.6)) / 4, 12);
  });
});

describe("evaluate(): slices", () => {
  const rows = binary.y_true.map((_, i) => ({ group: ["a", "b", "c"][i % 3], score: binary.y_score![i], i }));

  it("by column: one slice per distinct value, each equal to evaluate() on that subset", () => {
    const r = evaluate({
      task: "classification",
      yTrue: binary.y_true,
      yPred: binary.y_pred,
      probabilities: binary.y_score,
      rows,
      slices: [{ column: "group" }],
    });
    expect(r.slices?.map((s) => s.name)).toEqual(["group=a", "group=b", "group=c"]);
    for (const s of r.slices!) {
      const idx = rows.flatMap((row, i) => (row.group === s.value ? [i] : []));
      expect(s.count).toBe(idx.length);
      expect(s.column).toBe("group");
      const sub = evaluate({
        task: "classification",
        yTrue: idx.map((i) => binary.y_true[i]),
        yPred: idx.map((i) => binary.y_pred[i]),
        probabilities: idx.map((i) => binary.y_score![i]),
      });
      expect(s.metrics).toEqual(sub.metrics);
    }
    expect(r.slices!.reduce((a, s) => a + s.count, 0)).toBe(binary.y_true.length);
  });

  it("by predicate, with a name; several specs concatenate", () => {
    const r = evaluate({
      task: "regression",
      yTrue: regression.y_true,
      yPred: regression.y_pred,
      rows: regression.y_true.map((y) => ({ y })),
      slices: [
        { name: "high", where: (row) => (row.y as number) >= 50 },
        { name: "first ten", where: (_row, i) => i < 10 },
      ],
    });
    expect(r.slices?.map((s) => s.name)).toEqual(["high", "first ten"]);
    const high = regression.y_true.flatMap((y, i) => (y >= 50 ? [i] : []));
    expect(r.slices![0].count).toBe(high.length);
    expect(r.slices![0].metrics).toEqual(
      evaluate({
        task: "regression",
        yTrue: high.map((i) => regression.y_true[i]),
        yPred: high.map((i) => regression.y_pred[i]),
      }).metrics,
    );
    expect(r.slices![1].count).toBe(10);
    expect(r.slices![0].column).toBeUndefined();
  });

  it("numeric column values are sorted numerically and named with the spec's name", () => {
    const r = evaluate({
      task: "regression",
      yTrue: [1, 2, 3, 4],
      yPred: [1, 2, 3, 5],
      rows: [{ k: 10 }, { k: 9 }, { k: 10 }, { k: 100 }],
      slices: [{ column: "k", name: "bucket" }],
    });
    expect(r.slices?.map((s) => [s.name, s.count])).toEqual([
      ["bucket=9", 1],
      ["bucket=10", 2],
      ["bucket=100", 1],
    ]);
  });

  it("a missing column value forms its own slice", () => {
    const r = evaluate({
      task: "regression",
      yTrue: [1, 2, 3],
      yPred: [1, 2, 4],
      rows: [{ k: "x" }, {}, { k: null }],
      slices: [{ column: "k" }],
    });
    expect(r.slices?.map((s) => s.name).sort()).toEqual(["k=null", "k=undefined", "k=x"].sort());
  });

  it("a slice with one class keeps the metrics that exist and notes the ones that do not", () => {
    const r = evaluate({
      task: "classification",
      yTrue: [0, 0, 1, 1],
      yPred: [0, 1, 1, 1],
      probabilities: [0.2, 0.6, 0.7, 0.9],
      rows: [{ g: "neg" }, { g: "neg" }, { g: "pos" }, { g: "pos" }],
      slices: [{ column: "g" }],
    });
    const neg = r.slices!.find((s) => s.name === "g=neg")!;
    expect(neg.metrics.accuracy_score).toBe(0.5);
    expect(neg.metrics.roc_auc).toBeUndefined();
    expect(neg.metrics.log_loss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.4)) / 2, 12);
    expect(neg.notes?.[0]).toContain("roc_auc left out");
    expect(r.metrics.roc_auc).toBe(1);
  });

  it("an empty predicate slice has count 0 and no metrics", () => {
    const r = evaluate({
      task: "regression",
      yTrue: [1, 2],
      yPred: [1, 2],
      rows: [{}, {}],
      slices: [{ name: "none", where: () => false }],
    });
    expect(r.slices).toEqual([{ name: "none", count: 0, metrics: {}, notes: ["no example falls in this slice"] }]);
  });

  it("bad slice input is a VALIDATION error", () => {
    const base = { task: "regression" as const, yTrue: [1, 2], yPred: [1, 2] };
    expectValidation(() => evaluate({ ...base, slices: [{ column: "a" }] }), "rows");
    expectValidation(() => evaluate({ ...base, rows: [{}], slices: [{ column: "a" }] }), "same length");
    expectValidation(() => evaluate({ ...base, rows: [{}, {}], slices: [{ column: "" }] }));
    expectValidation(() => evaluate({ ...base, rows: [{}, {}], slices: [{ name: "", where: () => true }] }), "name");
    expectValidation(() => evaluate({ ...base, rows: [{}, 3 as never], slices: [{ column: "a" }] }), "record");
    expectValidation(() => evaluate({ ...base, rows: [{}] }), "one record per example");
  });
});

describe("compareWithBaseline()", () => {
  const candidate = run(binary);
  const baseline = evaluate({
    task: "classification",
    yTrue: binary.y_true,
    yPred: binary.y_true.map((v, i) => (i % 4 === 0 ? 1 - v : v)),
    probabilities: binary.y_score,
  });

  it("gives absolute and relative deltas of every shared metric", () => {
    const cmp = compareWithBaseline(candidate, baseline);
    expect(cmp.candidate).toBe(candidate);
    expect(cmp.baseline).toBe(baseline);
    const d = cmp.deltas.accuracy_score;
    expect(d.absolute).toBeCloseTo(candidate.metrics.accuracy_score - baseline.metrics.accuracy_score, 15);
    expect(d.relative).toBeCloseTo(d.absolute / baseline.metrics.accuracy_score, 15);
    expect(Object.keys(cmp.deltas).sort()).toEqual(Object.keys(candidate.metrics).sort());
    expect(cmp.gate).toBeUndefined();
  });

  it("relative delta uses |baseline| and handles a zero baseline", () => {
    const a: EvaluationResult = { task: "regression", count: 3, metrics: { r2: -0.5, z: 0, w: 1 } };
    const b: EvaluationResult = { task: "regression", count: 3, metrics: { r2: -1, z: 0, w: 0 } };
    const d = compareWithBaseline(a, b).deltas;
    expect(d.r2).toEqual({ absolute: 0.5, relative: 0.5 });
    expect(d.z).toEqual({ absolute: 0, relative: 0 });
    expect(d.w.relative).toBeNaN();
  });

  it("checks a gate against the baseline's metrics", () => {
    const better = candidate.metrics.accuracy_score > baseline.metrics.accuracy_score;
    const cmp = compareWithBaseline(candidate, baseline, {
      name: "beats-baseline",
      thresholds: [{ metric: "accuracy_score", minAbsoluteChange: 0 }],
    });
    expect(cmp.gate?.passed).toBe(better);
    expect(cmp.gate?.checks[0].baseline).toBe(baseline.metrics.accuracy_score);
    const reverse = compareWithBaseline(baseline, candidate, {
      name: "beats-baseline",
      thresholds: [{ metric: "accuracy_score", minAbsoluteChange: 0 }],
    });
    expect(reverse.gate?.passed).toBe(!better);
  });

  it("compares slices by name", () => {
    const rows = binary.y_true.map((_, i) => ({ g: i % 2 }));
    const opts = { task: "classification" as const, yTrue: binary.y_true, rows, slices: [{ column: "g" }] };
    const c = evaluate({ ...opts, yPred: binary.y_pred });
    const b = evaluate({ ...opts, yPred: binary.y_true });
    const cmp = compareWithBaseline(c, b);
    expect(Object.keys(cmp.sliceDeltas!)).toEqual(["g=0", "g=1"]);
    expect(cmp.sliceDeltas!["g=0"].accuracy_score.absolute).toBeCloseTo(c.slices![0].metrics.accuracy_score - 1, 15);
  });

  it("refuses results of different tasks or on different data sizes", () => {
    expectValidation(() => compareWithBaseline(candidate, run(regression)), "regression");
    const smaller = evaluate({ task: "classification", yTrue: [0, 1], yPred: [0, 1] });
    expectValidation(() => compareWithBaseline(candidate, smaller), "same data");
    expectValidation(() => compareWithBaseline(candidate, null as never), "EvaluationResult");
  });
});

describe("evaluate(): bad input is a VALIDATION error saying what is wrong", () => {
  const y = [0, 1, 1, 0];
  const cls = (o: Record<string, unknown>) => () =>
    evaluate({ task: "classification", yTrue: y, yPred: y, ...o } as never);

  it("unknown task", () => {
    expectValidation(() => evaluate({ task: "ranking" } as never), "task");
    expectValidation(() => evaluate(undefined as never));
  });
  it("length mismatch", () => {
    expectValidation(cls({ yPred: [0, 1, 1] }), "same length");
    expectValidation(() => evaluate({ task: "regression", yTrue: [1, 2], yPred: [1] }), "same length");
  });
  it("empty arrays", () => {
    expectValidation(cls({ yTrue: [], yPred: [] }), "empty");
    expectValidation(() => evaluate({ task: "regression", yTrue: [], yPred: [] }), "empty");
  });
  it("NaN and non-numbers", () => {
    const e = expectValidation(() => evaluate({ task: "regression", yTrue: [1, Number.NaN], yPred: [1, 2] }), "NaN");
    expect(e.issues[0].path).toEqual(["yTrue", 1]);
    expectValidation(() => evaluate({ task: "regression", yTrue: [1, 2], yPred: [1, "2"] }), "not a number");
    expectValidation(cls({ yTrue: [0, 1, Number.NaN, 0] }), "NaN");
    expectValidation(cls({ probabilities: [0.1, Number.NaN, 0.5, 0.5] }), "NaN");
  });
  it("mixed label kinds", () => {
    expectValidation(cls({ yPred: [0, 1, "1", 0] }), "mixes");
    expectValidation(cls({ yPred: ["0", "1", "1", "0"] }), "string");
  });
  it("probabilities: out of range, not summing to 1, wrong shape", () => {
    expectValidation(cls({ probabilities: [0.1, 1.2, 0.5, 0.5] }), "within [0, 1]");
    expectValidation(cls({ probabilities: [0.1, 0.2] }), "same length");
    expectValidation(
      cls({
        probabilities: [
          [0.5, 0.6],
          [0.5, 0.5],
          [0.5, 0.5],
          [0.5, 0.5],
        ],
      }),
      "sum to 1",
    );
    expectValidation(
      cls({
        probabilities: [
          [0.2, 0.3, 0.5],
          [1, 0, 0],
          [1, 0, 0],
          [1, 0, 0],
        ],
      }),
      "columns",
    );
    expectValidation(
      cls({
        probabilities: [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
      }),
      "rows",
    );
    expectValidation(
      () =>
        evaluate({
          task: "classification",
          yTrue: [0, 1, 2],
          yPred: [0, 1, 2],
          probabilities: [0.1, 0.2, 0.3],
        }),
      "two classes",
    );
  });
  it("one class in the data with probabilities asks for labels; with labels it works", () => {
    expectValidation(
      () => evaluate({ task: "classification", yTrue: [1, 1], yPred: [1, 1], probabilities: [0.9, 0.4] }),
      "labels",
    );
    const r = evaluate({
      task: "classification",
      yTrue: [1, 1],
      yPred: [1, 1],
      probabilities: [0.9, 0.4],
      labels: [0, 1],
    });
    expect(r.metrics.recall_score).toBe(1);
    expect(r.metrics.log_loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4)) / 2, 12);
    expect(r.metrics.roc_auc).toBeUndefined();
    expect(r.notes?.[0]).toContain("only one class");
  });
  it("labels and positiveLabel", () => {
    expectValidation(cls({ labels: [0] }), "not one of labels");
    expectValidation(cls({ labels: [0, 1, 1] }), "repeats");
    expectValidation(cls({ positiveLabel: 2 }), "positiveLabel");
    expectValidation(
      () => evaluate({ task: "classification", yTrue: [0, 1, 2], yPred: [0, 1, 2], positiveLabel: 1 }),
      "binary",
    );
  });
  it("classification options on a regression", () => {
    expectValidation(
      () => evaluate({ task: "regression", yTrue: [1, 2], yPred: [1, 2], labels: [1] }),
      "classification",
    );
    expectValidation(
      () => evaluate({ task: "regression", yTrue: [1, 2], yPred: [1, 2], probabilities: [0.1, 0.2] }),
      "classification",
    );
  });
});

import { describe, expect, it } from "vitest";
import { MlcycleError } from "../../src/core/errors.js";
import { checkGate, type Gate, type MetricThreshold } from "../../src/evaluation/index.js";

const gate = (...thresholds: MetricThreshold[]): Gate => ({ name: "g", thresholds });

function validationError(fn: () => unknown): MlcycleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlcycleError);
    expect((e as MlcycleError).code).toBe("VALIDATION");
    return e as MlcycleError;
  }
  throw new Error("expected a VALIDATION error");
}

describe("checkGate: absolute threshold", () => {
  it("greater is better (default): passes at or above the threshold, fails below", () => {
    const g = gate({ metric: "acc", threshold: 0.8 });
    expect(checkGate(g, { acc: 0.9 }).passed).toBe(true);
    expect(checkGate(g, { acc: 0.8 }).passed).toBe(true);
    const r = checkGate(g, { acc: 0.79 });
    expect(r.passed).toBe(false);
    expect(r.checks[0]).toMatchObject({ metric: "acc", value: 0.79, passed: false });
    expect(r.checks[0].reasons[0]).toContain("threshold 0.8");
  });

  it("lower is better: passes at or below the threshold, fails above", () => {
    const g = gate({ metric: "rmse", threshold: 10, greaterIsBetter: false });
    expect(checkGate(g, { rmse: 9 }).passed).toBe(true);
    expect(checkGate(g, { rmse: 10 }).passed).toBe(true);
    expect(checkGate(g, { rmse: 10.5 }).passed).toBe(false);
  });

  it("needs no baseline", () => {
    const r = checkGate(gate({ metric: "acc", threshold: 0.5 }), { acc: 0.6 });
    expect(r.passed).toBe(true);
    expect(r.baseline).toBeUndefined();
    expect(r.checks[0].reasons).toEqual([]);
  });
});

describe("checkGate: minimum absolute change", () => {
  it("greater is better: value ≥ baseline + change", () => {
    const g = gate({ metric: "acc", minAbsoluteChange: 0.05 });
    expect(checkGate(g, { acc: 0.85 }, { acc: 0.8 }).passed).toBe(true);
    expect(checkGate(g, { acc: 0.9 }, { acc: 0.8 }).passed).toBe(true);
    const r = checkGate(g, { acc: 0.84 }, { acc: 0.8 });
    expect(r.passed).toBe(false);
    expect(r.checks[0]).toMatchObject({ value: 0.84, baseline: 0.8 });
    expect(r.checks[0].reasons[0]).toContain("min absolute change 0.05");
  });

  it("lower is better: value ≤ baseline − change", () => {
    const g = gate({ metric: "loss", minAbsoluteChange: 0.1, greaterIsBetter: false });
    expect(checkGate(g, { loss: 0.5 }, { loss: 0.6 }).passed).toBe(true);
    expect(checkGate(g, { loss: 0.4 }, { loss: 0.6 }).passed).toBe(true);
    expect(checkGate(g, { loss: 0.55 }, { loss: 0.6 }).passed).toBe(false);
    // Worse than the baseline fails too.
    expect(checkGate(g, { loss: 0.7 }, { loss: 0.6 }).passed).toBe(false);
  });

  it("a zero change asks for no regression", () => {
    const g = gate({ metric: "acc", minAbsoluteChange: 0 });
    expect(checkGate(g, { acc: 0.8 }, { acc: 0.8 }).passed).toBe(true);
    expect(checkGate(g, { acc: 0.79 }, { acc: 0.8 }).passed).toBe(false);
  });
});

describe("checkGate: minimum relative change", () => {
  it("greater is better: value ≥ baseline × (1 + change)", () => {
    const g = gate({ metric: "auc", minRelativeChange: 0.1 });
    expect(checkGate(g, { auc: 0.8 }, { auc: 0.7 }).passed).toBe(true); // 0.8 ≥ 0.77
    expect(checkGate(g, { auc: 0.76 }, { auc: 0.7 }).passed).toBe(false);
    expect(checkGate(g, { auc: 0.76 }, { auc: 0.7 }).checks[0].reasons[0]).toContain("min relative change 0.1");
  });

  it("lower is better: value ≤ baseline × (1 − change)", () => {
    const g = gate({ metric: "mae", minRelativeChange: 0.2, greaterIsBetter: false });
    expect(checkGate(g, { mae: 7.9 }, { mae: 10 }).passed).toBe(true); // ≤ 8
    expect(checkGate(g, { mae: 8.1 }, { mae: 10 }).passed).toBe(false);
  });
});

describe("checkGate: several rules", () => {
  it("passes only when every condition of every threshold passes, and lists each failure", () => {
    const g = gate(
      { metric: "acc", threshold: 0.9, minAbsoluteChange: 0.01 },
      { metric: "loss", threshold: 0.3, greaterIsBetter: false },
    );
    const ok = checkGate(g, { acc: 0.95, loss: 0.2 }, { acc: 0.9, loss: 0.25 });
    expect(ok.passed).toBe(true);
    expect(ok.checks.map((c) => c.passed)).toEqual([true, true]);
    const bad = checkGate(g, { acc: 0.85, loss: 0.2 }, { acc: 0.9, loss: 0.25 });
    expect(bad.passed).toBe(false);
    expect(bad.checks[0].reasons).toHaveLength(2); // below the threshold and no improvement
    expect(bad.checks[1].passed).toBe(true);
  });

  it("returns the gate, the candidate and the baseline as given", () => {
    const g = gate({ metric: "acc", threshold: 0.5 });
    const r = checkGate(g, { acc: 0.6, other: 1 }, { acc: 0.5 });
    expect(r.gate).toEqual(g);
    expect(r.candidate).toEqual({ acc: 0.6, other: 1 });
    expect(r.baseline).toEqual({ acc: 0.5 });
  });
});

describe("checkGate: missing data fails with a reason", () => {
  it("a metric the candidate lacks", () => {
    const r = checkGate(gate({ metric: "f1", threshold: 0.5 }), { acc: 0.9 });
    expect(r.passed).toBe(false);
    expect(r.checks[0].value).toBeUndefined();
    expect(r.checks[0].reasons).toEqual(["candidate has no metric 'f1'"]);
  });

  it("a change requirement with no baseline says no baseline was given", () => {
    for (const t of [{ minAbsoluteChange: 0.01 }, { minRelativeChange: 0.01 }]) {
      const r = checkGate(gate({ metric: "acc", ...t }), { acc: 0.9 });
      expect(r.passed).toBe(false);
      expect(r.checks[0].reasons[0]).toContain("no baseline was given");
    }
  });

  it("a baseline without the metric", () => {
    const r = checkGate(gate({ metric: "acc", minAbsoluteChange: 0 }), { acc: 0.9 }, { f1: 0.5 });
    expect(r.passed).toBe(false);
    expect(r.checks[0].reasons[0]).toContain("baseline has no metric 'acc'");
  });

  it("NaN in the candidate or the baseline fails", () => {
    const t = gate({ metric: "acc", threshold: 0 });
    expect(checkGate(t, { acc: Number.NaN }).passed).toBe(false);
    expect(checkGate(t, { acc: Number.NaN }).checks[0].reasons[0]).toContain("NaN");
    const c = gate({ metric: "acc", minAbsoluteChange: 0 });
    const r = checkGate(c, { acc: 0.9 }, { acc: Number.NaN });
    expect(r.passed).toBe(false);
    expect(r.checks[0].reasons[0]).toContain("NaN");
    // Lower-is-better must not let NaN through either (NaN ≤ x is false, but so is NaN ≥ x).
    expect(checkGate(gate({ metric: "l", threshold: 1, greaterIsBetter: false }), { l: Number.NaN }).passed).toBe(
      false,
    );
  });

  it("the threshold part still reports when the baseline is missing", () => {
    const r = checkGate(gate({ metric: "acc", threshold: 0.95, minAbsoluteChange: 0 }), { acc: 0.9 });
    expect(r.checks[0].reasons).toHaveLength(2);
  });
});

describe("checkGate: a malformed gate is a VALIDATION error", () => {
  const cases: Array<[string, unknown]> = [
    ["no name", { thresholds: [{ metric: "a", threshold: 1 }] }],
    ["empty name", { name: "", thresholds: [{ metric: "a", threshold: 1 }] }],
    ["no thresholds", { name: "g", thresholds: [] }],
    ["threshold without any limit", { name: "g", thresholds: [{ metric: "a" }] }],
    ["empty metric", { name: "g", thresholds: [{ metric: "", threshold: 1 }] }],
    ["NaN threshold", { name: "g", thresholds: [{ metric: "a", threshold: Number.NaN }] }],
    ["infinite threshold", { name: "g", thresholds: [{ metric: "a", threshold: Number.POSITIVE_INFINITY }] }],
    ["negative absolute change", { name: "g", thresholds: [{ metric: "a", minAbsoluteChange: -0.1 }] }],
    ["relative change above 1", { name: "g", thresholds: [{ metric: "a", minRelativeChange: 1.5 }] }],
    ["greaterIsBetter not boolean", { name: "g", thresholds: [{ metric: "a", threshold: 1, greaterIsBetter: "yes" }] }],
    ["unknown key (typo)", { name: "g", thresholds: [{ metric: "a", treshold: 1 }] }],
    ["not an object", "gate"],
  ];
  for (const [what, g] of cases) {
    it(what, () => {
      const e = validationError(() => checkGate(g as Gate, { a: 1 }));
      expect(e.issues.length).toBeGreaterThan(0);
      expect(e.message).toContain("gate is invalid");
    });
  }

  it("the issue points at the bad field", () => {
    const e = validationError(() => checkGate(gate({ metric: "a", minRelativeChange: 2 }), { a: 1 }));
    expect(e.issues[0].path).toEqual(["thresholds", 0, "minRelativeChange"]);
  });

  it("a candidate that is not a record", () => {
    validationError(() => checkGate(gate({ metric: "a", threshold: 1 }), null as never));
    validationError(() => checkGate(gate({ metric: "a", threshold: 1 }), { a: 1 }, [1] as never));
  });
});

describe("checkGate: float rounding", () => {
  it("a value that reaches baseline + change exactly passes despite float rounding, a clearly lower one fails", () => {
    const g = gate({ metric: "acc", minAbsoluteChange: 0.05 });
    expect(0.8 + 0.05).toBeGreaterThan(0.85);
    expect(checkGate(g, { acc: 0.85 }, { acc: 0.8 }).passed).toBe(true);
    expect(checkGate(g, { acc: 0.849999999 }, { acc: 0.8 }).passed).toBe(false);
  });
});

describe("checkGate: odd candidate values", () => {
  it("a non-number value fails with its type", () => {
    const r = checkGate(gate({ metric: "acc", threshold: 0.5 }), { acc: "0.9" } as never);
    expect(r.passed).toBe(false);
    expect(r.checks[0].reasons[0]).toContain("string");
  });

  it("two rules on one metric are both checked", () => {
    const g = gate({ metric: "acc", threshold: 0.5 }, { metric: "acc", threshold: 0.95 });
    const r = checkGate(g, { acc: 0.9 });
    expect(r.checks.map((c) => c.passed)).toEqual([true, false]);
    expect(r.passed).toBe(false);
  });

  it("an inherited property is not a metric", () => {
    const r = checkGate(gate({ metric: "toString", threshold: 0 }), {});
    expect(r.checks[0].reasons).toEqual(["candidate has no metric 'toString'"]);
  });
});

import { describe, expectTypeOf, it } from "vitest";
import {
  type EvaluationResult,
  type EvaluationSliceResult,
  evaluate,
  type SliceSpec,
  type Workspace,
} from "../../src/index.js";

const base = { task: "classification" as const, yTrue: [0, 1], yPred: [0, 1] };

describe("evaluate() types", () => {
  it("types slices as present when slices were asked for", () => {
    const r = evaluate({ ...base, rows: [{ c: "a" }, { c: "b" }], slices: [{ column: "c" }] });
    expectTypeOf(r.slices).toEqualTypeOf<EvaluationSliceResult[]>();
    expectTypeOf(r).toExtend<EvaluationResult>();
  });

  it("keeps slices optional when none were asked for, or maybe not", () => {
    expectTypeOf(evaluate(base).slices).toEqualTypeOf<EvaluationSliceResult[] | undefined>();
    const maybe: SliceSpec[] | undefined = undefined as SliceSpec[] | undefined;
    expectTypeOf(evaluate({ ...base, slices: maybe }).slices).toEqualTypeOf<EvaluationSliceResult[] | undefined>();
  });

  it("does the same for ws.registry.evaluate", () => {
    const ws = {} as Workspace;
    const gate = { name: "g", thresholds: [] };
    const data = { inputs: [[1]], yTrue: [1] };
    const sliced = ws.registry.evaluate("m@1", {
      data,
      task: "regression",
      gate,
      rows: [{}],
      slices: [{ column: "c" }],
    });
    expectTypeOf(sliced)
      .resolves.toHaveProperty("evaluation")
      .toHaveProperty("slices")
      .toEqualTypeOf<EvaluationSliceResult[]>();
    const plain = ws.registry.evaluate("m@1", { data, task: "regression", gate });
    expectTypeOf(plain)
      .resolves.toHaveProperty("evaluation")
      .toHaveProperty("slices")
      .toEqualTypeOf<EvaluationSliceResult[] | undefined>();
  });
});

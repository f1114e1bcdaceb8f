import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { onnxFlavor } from "../../src/adapters/onnx/index.js";
import { functionModel } from "../../src/index.js";
import { fixturePath } from "../helpers.js";
import { caught, registerScale, servingWorkspaces } from "./serving-fixtures.js";

const iris = JSON.parse(readFileSync(fixturePath("models", "iris-logreg.expected.json"), "utf8")) as {
  test_rows: number[][];
  expected_proba: number[][];
  expected_label: number[];
};

describe.each(servingWorkspaces())("micro-batching on %s", (_name, open) => {
  it("coalesces concurrent calls into one model call each batch; every caller gets its own rows", async () => {
    await using ws = await open();
    const seen = registerScale(ws);
    await ws.registry.register("sum", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy<number[][], number[]>("sum@1", { batching: { maxBatchSize: 8, maxWaitMs: 20 } });
    const calls = Array.from({ length: 20 }, (_, i) => d.predict([[i, 1000]]));
    const answers = await Promise.all(calls);
    // 20 single-row calls, at most 8 rows per model call: 8 + 8 + 4.
    expect(seen.calls).toEqual([8, 8, 4]);
    expect(answers.map((a) => a.outputs)).toEqual(Array.from({ length: 20 }, (_, i) => [i + 1000]));
    expect(new Set(answers.map((a) => a.predictionId)).size).toBe(20);
    // Calls of several rows are batched by rows, never split across model calls.
    seen.calls.length = 0;
    const multi = await Promise.all([
      d.predict([
        [1, 0],
        [2, 0],
        [3, 0],
      ]),
      d.predict([
        [4, 0],
        [5, 0],
        [6, 0],
        [7, 0],
      ]),
      d.predict([
        [8, 0],
        [9, 0],
      ]),
    ]);
    expect(seen.calls).toEqual([7, 2]);
    expect(multi.map((m) => m.outputs)).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    // Batching is off by default: each call is its own model call.
    const plain = await ws.serving.deploy<number[][], number[]>("sum@1", { name: "plain" });
    seen.calls.length = 0;
    await Promise.all([plain.predict([[1, 1]]), plain.predict([[2, 2]])]);
    expect(seen.calls).toEqual([1, 1]);
  });

  it("batches named inputs (a record of rows) and splits a record of outputs; other inputs run alone", async () => {
    await using ws = await open();
    const calls: unknown[] = [];
    ws.registry.registerFunction("pairs", () => (inputs: unknown) => {
      calls.push(inputs);
      if (Array.isArray(inputs)) return inputs.length;
      if (typeof inputs !== "object" || inputs === null) return inputs;
      const { a, b } = inputs as { a: number[]; b: number[] };
      return { sum: a.map((x, i) => x + b[i]), product: Float64Array.from(a.map((x, i) => x * b[i])) };
    });
    await ws.registry.register("pairs", { model: functionModel("pairs", {}) });
    const d = await ws.serving.deploy("pairs@1", { batching: { maxBatchSize: 100, maxWaitMs: 10 } });
    const [x, y, z1, alone] = await Promise.all([
      d.predict({ a: [1, 2], b: [10, 20] }),
      d.predict({ b: [30], a: [3] }),
      d.predict({ a: [4], b: [40] }),
      d.predict(42),
    ]);
    expect(calls).toContainEqual({ a: [1, 2, 3, 4], b: [10, 20, 30, 40] });
    expect(calls).toContain(42);
    expect(calls).toHaveLength(2);
    expect(x.outputs).toEqual({ sum: [11, 22], product: Float64Array.from([10, 40]) });
    expect(y.outputs).toEqual({ sum: [33], product: Float64Array.from([90]) });
    expect(z1.outputs).toEqual({ sum: [44], product: Float64Array.from([160]) });
    expect(alone.outputs).toBe(42);
    // A model whose outputs are not one row per input row cannot be batched: its callers are told so.
    const [p, q] = await Promise.allSettled([d.predict([[1], [2]]), d.predict([[3]])]);
    expect(p.status).toBe("rejected");
    expect((p as PromiseRejectedResult).reason.message).toContain("turn batching off");
    expect(q.status).toBe("rejected");
  });

  it("a model error fails only its batch; a bad input fails only its caller", async () => {
    await using ws = await open();
    ws.registry.registerFunction("picky", () => (rows: number[][]) => {
      if (rows.some((r) => r[0] === 13)) throw new Error("unlucky row");
      return rows.map((r) => r[0] * 2);
    });
    await ws.registry.register("picky", {
      model: functionModel("picky", {}),
      signature: { inputs: z.array(z.array(z.number())) },
    });
    const d = await ws.serving.deploy("picky@1", { batching: { maxBatchSize: 3, maxWaitMs: 50 } });
    const results = await Promise.allSettled([
      d.predict([[1]]),
      d.predict([[13]]),
      d.predict([[2]]), // first batch: fails together
      d.predict([[3]]),
      d.predict([["x"]] as never), // refused alone, the rest of its batch answers
      d.predict([[4]]),
      d.predict([[5]]),
    ]);
    const status = results.map((r) => (r.status === "fulfilled" ? (r.value.outputs as number[])[0] : "failed"));
    expect(status).toEqual(["failed", "failed", "failed", 6, "failed", 8, 10]);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe("unlucky row");
    expect((results[4] as PromiseRejectedResult).reason.code).toBe("VALIDATION");
    expect(d.health()).toMatchObject({ served: 3, failed: 4, inFlight: 0 });
  });

  it("serves the iris ONNX model batched with scikit-learn's probabilities (1e-5)", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    await ws.registry.register("iris", { model: fixturePath("models", "iris-logreg.onnx"), flavor: "onnx" });
    await ws.registry.setAlias("iris", "champion", 1);
    const d = await ws.serving.deploy<number[][], { label: number[]; probabilities: number[][] }>("iris@champion", {
      batching: { maxBatchSize: 16, maxWaitMs: 5 },
      warmup: [iris.test_rows[0]],
    });
    const answers = await Promise.all(iris.test_rows.map((row) => d.predict([row])));
    answers.forEach((a, i) => {
      expect(a.outputs.label).toEqual([iris.expected_label[i]]);
      expect(a.outputs.probabilities).toHaveLength(1);
      for (let j = 0; j < 3; j++)
        expect(Math.abs(a.outputs.probabilities[0][j] - iris.expected_proba[i][j])).toBeLessThan(1e-5);
    });
    const whole = await d.predict(iris.test_rows);
    expect(whole.outputs.label).toEqual(iris.expected_label);
    // A call larger than a batch runs alone.
    expect(whole.outputs.probabilities).toHaveLength(iris.test_rows.length);
    expect((await caught(d.predict([[1, 2]]))).code).toBe("VALIDATION");
  });
});

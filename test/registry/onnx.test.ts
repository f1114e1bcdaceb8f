import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { onnxFlavor, type OrtTensorLike } from "../../src/adapters/onnx/index.js";
import { createWorkspace, isMlcycleError, openWorkspace, type Workspace } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";

const model = (name: string) => fixturePath("models", `${name}.onnx`);
const expected = (name: string) => JSON.parse(readFileSync(fixturePath("models", `${name}.expected.json`), "utf8"));

const dir = tempDir();
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${Math.random()}`))],
];

describe.each(workspaces)("the onnx flavor on %s", (_name, open) => {
  it("reproduces scikit-learn's iris probabilities and labels to 1e-5", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    const exp = expected("iris-logreg");
    const v = await ws.registry.register("iris", { model: model("iris-logreg"), flavor: "onnx" });
    expect(v.flavorMeta).toMatchObject({
      inputNames: [exp.input_name],
      outputNames: expect.arrayContaining(exp.outputs),
    });
    const m = await ws.registry.load("iris@latest");
    const out = (await m.predict(exp.test_rows)) as { probabilities: number[][]; label: number[] };
    expect(out.label).toEqual(exp.expected_label);
    expect(out.probabilities).toHaveLength(exp.expected_proba.length);
    for (let i = 0; i < out.probabilities.length; i++)
      for (let j = 0; j < 3; j++)
        expect(Math.abs(out.probabilities[i][j] - exp.expected_proba[i][j])).toBeLessThanOrEqual(1e-5);
    const accuracy = out.label.filter((l, i) => l === exp.test_labels[i]).length / out.label.length;
    expect(accuracy).toBe(exp.expected_test_accuracy);
    await m.close();
  });

  it("reproduces scikit-learn's diabetes predictions to 1e-5 relative", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    const exp = expected("diabetes-linreg");
    const bytes = new Uint8Array(readFileSync(model("diabetes-linreg")));
    await ws.registry.register("diabetes", { model: bytes, flavor: "onnx" });
    await using m = await ws.registry.load("diabetes@1");
    const out = (await m.predict({ [exp.input_name]: exp.test_rows })) as Record<string, number[][]>;
    const pred = out[exp.outputs[0]].map((r) => r[0]);
    expect(pred).toHaveLength(exp.expected.length);
    for (let i = 0; i < pred.length; i++)
      expect(Math.abs(pred[i] - exp.expected[i]) / Math.abs(exp.expected[i])).toBeLessThanOrEqual(1e-5);
  });

  it("evaluates an ONNX classifier through the registry with its label and probabilities outputs", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    const exp = expected("iris-logreg");
    await ws.registry.register("iris", { model: model("iris-logreg"), flavor: "onnx" });
    const res = await ws.registry.evaluate("iris@1", {
      data: { inputs: exp.test_rows, yTrue: exp.test_labels },
      task: "classification",
      labels: exp.classes,
      gate: { name: "floor", thresholds: [{ metric: "accuracy_score", threshold: 0.9 }] },
    });
    expect(res.evaluation.metrics.accuracy_score).toBeCloseTo(exp.expected_test_accuracy, 12);
    expect(res.evaluation.metrics.log_loss).toBeGreaterThan(0);
    expect(res.gateResult.passed).toBe(true);
  });

  it("evaluates an ONNX regressor: its R² on the held-out rows matches scikit-learn's", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    const exp = expected("diabetes-linreg");
    await ws.registry.register("diabetes", { model: model("diabetes-linreg"), flavor: "onnx" });
    const res = await ws.registry.evaluate("diabetes@1", {
      data: { inputs: exp.test_rows, yTrue: exp.test_targets },
      task: "regression",
      gate: { name: "r2-floor", thresholds: [{ metric: "r2_score", threshold: 0.5 }] },
    });
    expect(Math.abs(res.evaluation.metrics.r2_score - exp.expected_test_r2)).toBeLessThanOrEqual(1e-5);
    expect(res.gateResult.passed).toBe(true);
    expect((await ws.registry.evaluations("diabetes@1"))[0]).toMatchObject({ gate: "r2-floor", passed: true });
  });

  it("rejects a file that is not an ONNX model and ragged inputs", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    const e = await ws.registry
      .register("bad", { model: new TextEncoder().encode("not onnx"), flavor: "onnx" })
      .catch((x) => x);
    expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    await ws.registry.register("iris", { model: model("iris-logreg"), flavor: "onnx" });
    const m = await ws.registry.load("iris@1");
    const ragged = await m
      .predict([
        [1, 2, 3, 4],
        [1, 2],
      ])
      .catch((x) => x);
    expect(isMlcycleError(ragged, "VALIDATION")).toBe(true);
    const missing = await m.predict({ other: [[1, 2, 3, 4]] }).catch((x) => x);
    expect(isMlcycleError(missing, "VALIDATION")).toBe(true);
    const wrongWidth = await m.predict([[1, 2, 3]]).catch((x) => x);
    expect(isMlcycleError(wrongWidth, "VALIDATION")).toBe(true);
    expect(wrongWidth.message).toContain("onnxruntime rejected");
    const labelsOnly = await ws.registry.load("iris@1", { flavorOptions: { outputs: ["label"] } });
    expect(Object.keys(await labelsOnly.predict([[5.1, 3.5, 1.4, 0.2]]))).toEqual(["label"]);
    await labelsOnly.close();
    const unknownOutput = await ws.registry.load("iris@1", { flavorOptions: { outputs: ["nope"] } }).catch((x) => x);
    expect(isMlcycleError(unknownOutput, "VALIDATION")).toBe(true);
    await m.close();
  });
});

describe("onnxFlavor with an injected runtime", () => {
  it("accepts the onnxruntime-node module itself", async () => {
    await using ws = await createWorkspace();
    ws.registry.registerFlavor(onnxFlavor({ ort, sessionOptions: { intraOpNumThreads: 1 } }));
    const exp = expected("iris-logreg");
    await ws.registry.register("iris", { model: model("iris-logreg"), flavor: "onnx" });
    const out = (await (await ws.registry.load("iris@1")).predict(exp.test_rows.slice(0, 3))) as { label: number[] };
    expect(out.label).toEqual(exp.expected_label.slice(0, 3));
  });

  it("uses the given module instead of importing onnxruntime-node", async () => {
    const created: unknown[] = [];
    const fake = {
      InferenceSession: {
        async create(bytes: Uint8Array) {
          created.push(bytes.length);
          return {
            inputNames: ["x"],
            outputNames: ["y"],
            async run(feeds: Record<string, OrtTensorLike>) {
              const x = feeds.x;
              const data = Float32Array.from(x.data as ArrayLike<number>, (v) => v * 2);
              return { y: { type: "float32", dims: [x.dims[0]], data } };
            },
          };
        },
      },
      Tensor: class {
        constructor(
          readonly type: string,
          readonly data: unknown,
          readonly dims: readonly number[],
        ) {}
      },
    };
    await using ws = await createWorkspace();
    ws.registry.registerFlavor(onnxFlavor({ ort: fake }));
    await ws.registry.register("double", { model: new Uint8Array([1, 2, 3]), flavor: "onnx" });
    const m = await ws.registry.load("double@1");
    expect(await m.predict([[1], [2.5]])).toEqual({ y: [2, 5] });
    expect(created).toEqual([3, 3]);
  });
});

// The models the HTTP tests serve, registered on memory and SQLite workspaces.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { onnxFlavor } from "../../src/adapters/onnx/index.js";
import { createWorkspace, functionModel, openWorkspace, type Workspace } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";

/** The iris ONNX fixture's rows and scikit-learn's outputs. */
export interface Iris {
  feature_names: string[];
  test_rows: number[][];
  expected_proba: number[][];
  expected_label: number[];
}
export const iris = (): Iris =>
  JSON.parse(readFileSync(fixturePath("models", "iris-logreg.expected.json"), "utf8")) as Iris;
export const irisModelPath = () => fixturePath("models", "iris-logreg.onnx");

/** Memory and SQLite workspaces, each made fresh. */
export function httpWorkspaces(): Array<[string, () => Promise<Workspace>]> {
  const dir = tempDir("mlcycle-http-");
  let n = 0;
  return [
    ["memory", () => createWorkspace()],
    ["sqlite", () => openWorkspace(join(dir, `ws-${n++}`))],
  ];
}

/** Rows as objects, for a model that takes records. */
export const Sale = z.object({ price: z.number(), qty: z.number().int(), region: z.string() });

/**
 * Registers the test models:
 * - `iris@1` — the ONNX export of scikit-learn's logistic regression, no signature (as the CLI registers it);
 * - `iris@2` — the same with a tensor signature (4 numbers per row);
 * - `sales@1` — takes rows as objects ({@link Sale}), returns price × qty (+1 in region "eu");
 * - `diff@1` — takes rows [a, b] (the tuple's items titled) and returns a − b: order matters;
 * - `pair@1` — takes named inputs { left, right } and returns left + right.
 */
export async function registerModels(ws: Workspace): Promise<void> {
  ws.registry.registerFlavor(onnxFlavor());
  await ws.registry.register("iris", { model: irisModelPath(), flavor: "onnx" });
  await ws.registry.register("iris", {
    model: irisModelPath(),
    flavor: "onnx",
    signature: { inputs: z.array(z.array(z.number()).length(4)).min(1) },
  });
  ws.registry.registerFunction(
    "sales",
    () => (rows: Array<z.infer<typeof Sale>>) => rows.map((r) => r.price * r.qty + (r.region === "eu" ? 1 : 0)),
  );
  await ws.registry.register("sales", {
    model: functionModel("sales", {}),
    signature: { inputs: z.array(Sale).min(1), outputs: z.array(z.number()) },
  });
  ws.registry.registerFunction("diff", () => (rows: number[][]) => rows.map(([a, b]) => a - b));
  await ws.registry.register("diff", {
    model: functionModel("diff", {}),
    signature: { inputs: z.array(z.tuple([z.number().meta({ title: "a" }), z.number().meta({ title: "b" })])) },
  });
  ws.registry.registerFunction(
    "pair",
    () => (x: { left: number[]; right: number[] }) => x.left.map((l, i) => l + x.right[i]),
  );
  await ws.registry.register("pair", {
    model: functionModel("pair", {}),
    signature: { inputs: z.object({ left: z.array(z.number()), right: z.array(z.number()) }) },
  });
}

/** Checks probabilities against scikit-learn's to 1e-5. */
export function closeTo(actual: number[][], expected: number[][], tolerance = 1e-5): boolean {
  if (actual.length !== expected.length) return false;
  return actual.every(
    (row, i) => row.length === expected[i].length && row.every((v, j) => Math.abs(v - expected[i][j]) <= tolerance),
  );
}

import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkGate,
  createWorkspace,
  EventBus,
  functionModel,
  isMlcycleError,
  manualClock,
  memoryArtifactStore,
  memoryStore,
  type ModelLoader,
  ModelRegistry,
  type RegistryEvents,
  type RegistryLineage,
  type RegistryRunAccess,
} from "../../src/index.js";

const linear = (s: { w: number[]; b: number }) => (rows: number[][]) =>
  rows.map((r) => r.reduce((a, x, i) => a + x * s.w[i], s.b));

const src = resolve(import.meta.dirname, "../../src");

/** Every relative import specifier of the TypeScript files under `dir`, resolved against `src/`. */
function importsUnder(dir: string): Array<{ file: string; target: string }> {
  const out: Array<{ file: string; target: string }> = [];
  for (const entry of readdirSync(join(src, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const file = join(entry.parentPath, entry.name);
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"/g))
      out.push({ file: relative(src, file), target: relative(src, resolve(entry.parentPath, m[1])) });
  }
  return out;
}

describe("the registry's layering", () => {
  it("the onnx adapter imports only core and stores", () => {
    const outside = importsUnder("adapters/onnx").filter((i) => !/^(core|stores|adapters\/onnx)\//.test(i.target));
    expect(outside).toEqual([]);
  });

  it("the model flavor port imports only core", () => {
    const text = readFileSync(join(src, "stores/model-flavor.ts"), "utf8");
    const targets = [...text.matchAll(/from\s+"(\.[^"]+)"/g)].map((m) => relative(src, resolve(src, "stores", m[1])));
    expect(targets.filter((t) => !t.startsWith("core/"))).toEqual([]);
  });

  it("the registry reaches neither the workspace nor the tracking store", () => {
    const bad = importsUnder("registry").filter(
      (i) => /^workspace/.test(i.target) || i.target === "stores/tracking-store.js",
    );
    expect(bad).toEqual([]);
  });
});

describe("a registry built from its options", () => {
  function build() {
    const metadata = memoryStore();
    const events = new EventBus<RegistryEvents>();
    const clock = manualClock(1_000);
    const recorded: string[] = [];
    const logged: Array<{ runId: string; metrics?: Record<string, number>; tags?: Record<string, string> }> = [];
    const lineage: RegistryLineage = {
      recordArtifact: async (n) => {
        recorded.push(n.externalId ?? n.name);
        return { id: "a1", kind: "artifact", ...n } as never;
      },
      recordExecution: async (n) => ({ id: "e1", kind: "execution", ...n }) as never,
      find: async () => undefined,
      addEvent: async () => undefined,
    };
    const tracking: RegistryRunAccess = {
      getRun: async (id) => {
        if (id !== "R1") throw Object.assign(new Error("no run"), { code: "NOT_FOUND" });
        return { id, name: "train", metrics: { rmse: 1.5 } } as never;
      },
      readArtifact: async () => new TextEncoder().encode(JSON.stringify({ w: [3], b: 0 })),
      logBatch: async (runId, batch) => {
        logged.push({ runId, ...batch });
      },
    };
    const registry = new ModelRegistry({
      store: metadata.registry,
      artifacts: memoryArtifactStore(),
      events,
      clock,
      lineage,
      tracking,
    });
    registry.registerFunction("linear", linear);
    return { registry, events, recorded, logged };
  }

  it("uses exactly the stores, clock, events, lineage and tracking it is given", async () => {
    const { registry, events, recorded, logged } = build();
    const seen: string[] = [];
    events.on("model.version.created", (e) => seen.push(`${e.model}@${e.version}@${e.at}`));
    const v = await registry.register("price", { model: functionModel("linear", { w: [2], b: 1 }), runId: "R1" });
    expect(v).toMatchObject({ version: 1, runId: "R1", metrics: { rmse: 1.5 }, createdAt: 1_000 });
    expect(seen).toEqual(["price@1@1000"]);
    expect(recorded).toEqual(["model_version:price/1"]);
    const gate = { name: "cap", thresholds: [{ metric: "rmse", threshold: 5, greaterIsBetter: false }] };
    await registry.recordEvaluation("price@1", { gateResult: checkGate(gate, { rmse: 2 }), runId: "R1" });
    expect(logged).toEqual([
      {
        runId: "R1",
        metrics: { rmse: 2 },
        tags: { "mlcycle.evaluated_model": "price@1", "mlcycle.gate.cap": "passed" },
      },
    ]);
  });

  it("is a ModelLoader: load(ref) gives a predictor and the version it resolved", async () => {
    const { registry } = build();
    await registry.register("price", { model: functionModel("linear", { w: [2], b: 1 }) });
    const loader: ModelLoader = registry;
    await using m = await loader.load<number[][], number[]>("price@latest");
    expect(m.version).toMatchObject({ model: "price", version: 1, aliases: [] });
    expect(await m.predict([[3]])).toEqual([7]);
    const { version } = await loader.resolve("price@1");
    expect(version.id).toBe(m.version.id);
  });
});

describe("evaluation metrics logged through tracking", () => {
  it("go through the metric buffer of a running run, which stays running", async () => {
    await using ws = await createWorkspace();
    ws.registry.registerFunction("linear", linear);
    await ws.registry.register("price", { model: functionModel("linear", { w: [1], b: 0 }) });
    const run = await ws.experiments.startRun({ experiment: "eval" });
    run.logMetric("loss", 0.5);
    const gate = { name: "cap", thresholds: [{ metric: "rmse", threshold: 5, greaterIsBetter: false }] };
    await ws.registry.recordEvaluation("price@1", { gateResult: checkGate(gate, { rmse: 4 }), runId: run.id });
    const info = await ws.experiments.getRun(run.id);
    // The run's own buffered point was written with the evaluation's (one buffer, in order).
    expect(info.metrics).toMatchObject({ loss: 0.5, rmse: 4 });
    expect(info.status).toBe("running");
    expect(info.tags["mlcycle.gate.cap"]).toBe("passed");
    await run.end();
  });

  it("refuse a gate whose name is not a valid tag key before anything is stored", async () => {
    await using ws = await createWorkspace();
    ws.registry.registerFunction("linear", linear);
    await ws.registry.register("price", { model: functionModel("linear", { w: [1], b: 0 }) });
    const run = await ws.experiments.startRun({ experiment: "eval" });
    const gate = { name: "cap!", thresholds: [{ metric: "rmse", threshold: 5, greaterIsBetter: false }] };
    const e = await ws.registry
      .recordEvaluation("price@1", { gateResult: checkGate(gate, { rmse: 4 }), runId: run.id })
      .catch((x) => x);
    expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    expect(await ws.registry.evaluations("price@1")).toEqual([]);
  });
});

import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkGate,
  createWorkspace,
  functionModel,
  isMlcycleError,
  openWorkspace,
  type Workspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${Math.random()}`))],
];

const linear = (s: { w: number[]; b: number }) => (rows: number[][]) =>
  rows.map((r) => r.reduce((a, x, i) => a + x * s.w[i], s.b));

describe.each(workspaces)("the registry with tracking runs on %s", (_name, open) => {
  it("registers a version from a run: source run, copied metrics, lineage from the run", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    const run = await ws.experiments.startRun({ experiment: "price" });
    await run.logMetric("rmse", 3.5);
    await run.end();
    const v = await ws.registry.register("price", {
      model: functionModel("linear", { w: [1], b: 0 }),
      runId: run.id,
      metrics: { mae: 2 },
    });
    expect(v).toMatchObject({ runId: run.id, metrics: { rmse: 3.5, mae: 2 } });
    const up = await ws.lineage.upstream({ kind: "artifact", externalId: "model_version:price/1" });
    expect(up.nodes.map((n) => [n.externalId, n.hops])).toContainEqual([`run:${run.id}`, 1]);
    const missing = await ws.registry
      .register("price", { model: functionModel("linear", { w: [1], b: 0 }), runId: "no-such-run" })
      .catch((e) => e);
    expect(isMlcycleError(missing, "NOT_FOUND")).toBe(true);
  });

  it("registers the bytes of a run artifact", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    const run = await ws.experiments.startRun({ experiment: "price" });
    await run.logArtifact("model/state.json", JSON.stringify({ w: [2], b: 1 }));
    await run.end();
    const v = await ws.registry.register("price", {
      fromRun: { runId: run.id, path: "model/state.json" },
      flavor: "function",
      flavorMeta: { factory: "linear" },
    });
    expect(v.runId).toBe(run.id);
    expect(await (await ws.registry.load("price@1")).predict([[3]])).toEqual([7]);
  });

  it("logs recorded evaluation metrics and the gate outcome on the run", async () => {
    await using ws = await open();
    const recorded: unknown[] = [];
    ws.events.on("model.evaluation.recorded", (e) => recorded.push(e));
    await ws.registry.register("price", { model: functionModel("linear", { w: [1], b: 0 }) });
    const run = await ws.experiments.startRun({ experiment: "eval" });
    await run.end();
    const gate = { name: "rmse-cap", thresholds: [{ metric: "rmse", threshold: 5, greaterIsBetter: false }] };
    await ws.registry.recordEvaluation("price@1", { gateResult: checkGate(gate, { rmse: 4 }), runId: run.id });
    const info = await ws.experiments.getRun(run.id);
    expect(info.metrics.rmse).toBe(4);
    expect(info.tags["mlcycle.gate.rmse-cap"]).toBe("passed");
    expect(info.status).toBe("finished");
    expect(recorded).toMatchObject([
      { model: "price", version: 1, gate: "rmse-cap", passed: true, metrics: { rmse: 4 } },
    ]);
  });
});

describe("an artifact changed on disk", () => {
  it("fails to load with INTEGRITY instead of returning a different model", async () => {
    const folder = join(dir, "integrity");
    await using ws = await openWorkspace(folder);
    ws.registry.registerFunction("linear", linear);
    const v = await ws.registry.register("price", { model: functionModel("linear", { w: [1], b: 0 }) });
    expect(await (await ws.registry.load("price@1")).predict([[2]])).toEqual([2]);
    const file = join(folder, "artifacts", v.digest.slice(0, 2), v.digest.slice(2));
    expect(readdirSync(join(folder, "artifacts", v.digest.slice(0, 2)))).toContain(v.digest.slice(2));
    writeFileSync(file, JSON.stringify({ w: [100], b: 0 }));
    const e = await ws.registry.load("price@1").catch((x) => x);
    expect(isMlcycleError(e, "INTEGRITY")).toBe(true);
  });
});

import { createHash } from "node:crypto";
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

  it("registers MLflow's runs:/<run-id>/<artifact-path> as the model: the run's artifact, the run as source", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    const run = await ws.experiments.startRun({ experiment: "price" });
    await run.logArtifact("model/state.json", JSON.stringify({ w: [2], b: 1 }));
    await run.logMetric("rmse", 1.25);
    await run.end();
    const created: unknown[] = [];
    ws.events.on("model.version.created", (e) => created.push(e));
    const v = await ws.registry.register("price", {
      model: `runs:/${run.id}/model/state.json`,
      flavor: "function",
      flavorMeta: { factory: "linear" },
    });
    expect(v).toMatchObject({ version: 1, runId: run.id, metrics: { rmse: 1.25 }, flavor: "function" });
    expect(created).toMatchObject([{ model: "price", version: 1, runId: run.id }]);
    expect(await (await ws.registry.load("price@1")).predict([[3]])).toEqual([7]);
    const bytes = await ws.experiments.readArtifact(run.id, "model/state.json");
    expect(v.digest).toBe(createHash("sha256").update(bytes).digest("hex"));
    const up = await ws.lineage.upstream({ kind: "artifact", externalId: "model_version:price/1" });
    expect(up.nodes.map((n) => [n.externalId, n.hops])).toContainEqual([`run:${run.id}`, 1]);

    // The same URI as fromRun, and with runId naming the same run.
    const w = await ws.registry.register("price", {
      fromRun: `runs:/${run.id}/model/state.json`,
      runId: run.id,
      flavor: "function",
      flavorMeta: { factory: "linear" },
    });
    expect(w).toMatchObject({ version: 2, runId: run.id, digest: v.digest });
  });

  it("refuses a malformed runs:/ URI, a missing artifact or run, and a runId naming another run", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "price" });
    await run.logArtifact("model/state.json", "{}");
    await run.end();
    const other = await ws.experiments.startRun({ experiment: "price" });
    await other.end();
    const attempt = (model: string, extra: Record<string, unknown> = {}) =>
      ws.registry
        .register("price", { model, flavor: "function", flavorMeta: { factory: "linear" }, ...extra })
        .catch((e) => e);
    for (const bad of ["runs:/", `runs:/${run.id}`, `runs:/${run.id}/`, `runs://model`, `runs:/${run.id}/../x`])
      expect(isMlcycleError(await attempt(bad), "VALIDATION"), bad).toBe(true);
    expect(isMlcycleError(await attempt(`runs:/${run.id}/model/other.json`), "NOT_FOUND")).toBe(true);
    expect(isMlcycleError(await attempt("runs:/NO-SUCH-RUN/model/state.json"), "NOT_FOUND")).toBe(true);
    const conflict = await attempt(`runs:/${run.id}/model/state.json`, { runId: other.id });
    expect(isMlcycleError(conflict, "VALIDATION")).toBe(true);
    expect(String(conflict.message)).toContain(other.id);
    const unnamed = await ws.registry.register("price", { model: `runs:/${run.id}/model/state.json` }).catch((e) => e);
    expect(isMlcycleError(unnamed, "VALIDATION")).toBe(true);
    expect(await ws.registry.listModels()).toEqual([]);
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

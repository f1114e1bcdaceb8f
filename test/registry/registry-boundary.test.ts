import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createWorkspace,
  functionModel,
  isMlcycleError,
  type MlcycleError,
  openWorkspace,
  type Workspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

async function caught(p: Promise<unknown> | (() => unknown)): Promise<MlcycleError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw e;
  }
  throw new Error("expected an MlcycleError");
}

const dir = tempDir();
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${Math.random()}`))],
];

const linear = (s: { w: number[] }) => (rows: number[][]) => rows.map((r) => r[0] * s.w[0]);

describe.each(workspaces)("ws.registry at its boundary on %s", (_name, open) => {
  it("records a version and its lineage together (regression: SIGKILL left a version without lineage)", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    const run = await ws.experiments.startRun({ experiment: "e" });
    await run.end();
    const v = await ws.registry.register("price", { model: functionModel("linear", { w: [2] }), runId: run.id });
    const node = await ws.lineage.get({ kind: "artifact", externalId: `model_version:price/${v.version}` });
    expect(node.properties).toMatchObject({ versionId: v.id, version: 1 });
    const up = await ws.lineage.upstream(node.id);
    expect(up.nodes.map((n) => n.type)).toContain("tracking_run");
  });

  it("finds non-ASCII names case-insensitively (regression: 'über%' found nothing on SQLite)", async () => {
    await using ws = await open();
    await ws.registry.createModel("Über Model");
    await ws.registry.createModel("other");
    expect((await ws.registry.searchModels({ nameLike: "über%" })).map((m) => m.name)).toEqual(["Über Model"]);
  });

  it("refuses bigint, cyclic and 20,000-deep function-model state with VALIDATION (regression: loaded as {$bigint})", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    const cyclic: Record<string, unknown> = { w: [1] };
    cyclic.self = cyclic;
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { d: deep };
    for (const state of [{ w: [1], big: 10n }, cyclic, { w: [1], deep }, { w: [Number.NaN] }, { w: new Map() }]) {
      const e = await caught(ws.registry.register("m", { model: functionModel("linear", state) }));
      expect(e.code).toBe("VALIDATION");
      expect(e.issues[0]?.path[0]).toBe("state");
    }
    expect(await ws.registry.listModels()).toEqual([]);
    const v = await ws.registry.register("m", { model: functionModel("linear", { w: [3] }) });
    const m = await ws.registry.load(`m@${v.version}`);
    expect(await m.predict([[2]])).toEqual([6]);
  });

  it("refuses cyclic or bigint evaluation extras with VALIDATION", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    await ws.registry.register("m", { model: functionModel("linear", { w: [3] }) });
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    for (const extra of [cyclic, { n: 1n }]) {
      const e = await caught(ws.registry.recordEvaluation("m@1", { evaluation: { metrics: { a: 1 } }, extra }));
      expect(e.code).toBe("VALIDATION");
    }
  });

  it("checks every argument at the boundary, naming it (regression: searchModels({ after: {} }) escaped raw)", async () => {
    await using ws = await open();
    ws.registry.registerFunction("linear", linear);
    await ws.registry.register("m", { model: functionModel("linear", { w: [3] }) });
    const r = ws.registry as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const cases: Array<[string, () => Promise<unknown>]> = [
      ["filter", () => r.searchModels({ after: {} })],
      ["filter", () => r.searchModels({ limit: 2.5 })],
      ["filter", () => r.searchModels({ limit: 0 })],
      ["filter", () => r.searchModels({ nameLike: 5 })],
      ["filter", () => r.searchModels({ tags: 5 })],
      ["filter", () => r.searchModels(5)],
      ["options", () => r.listModels({ limit: -1 })],
      ["model", () => r.getModel(5)],
      ["model", () => r.listVersions({})],
      ["options", () => r.listVersions("m", { includeDeleted: "yes" })],
      ["ref", () => r.getVersion({ model: "m", version: "1" })],
      ["ref", () => r.getVersion({ model: 5, version: 1 })],
      ["ref", () => r.getVersion({ id: 5 })],
      ["ref", () => r.load(null)],
      ["options", () => r.load("m@1", { validate: "no" })],
      ["alias", () => r.setAlias("m", 5, 1)],
      ["target", () => r.setAlias("m", "champion", 1.5)],
      ["audit", () => r.setAlias("m", "champion", 1, { actor: 5 })],
      ["audit", () => r.rollback("m", "champion", "why")],
      ["options", () => r.aliasHistory("m", undefined, { limit: 1.5 })],
      ["policy", () => r.setPolicy("m", "champion", { requireApproval: "yes" })],
      ["options", () => r.approve("m@1", { comment: 5 })],
      ["patch", () => r.updateVersion("m@1", { metrics: { a: "1" } })],
      ["patch", () => r.updateModel("m", { description: 5 })],
      ["options", () => r.register("m", { model: functionModel("linear", { w: [1] }), createModel: "no" })],
      ["options", () => r.register("m", null)],
      ["options", () => r.createModel("n", { tags: 5 })],
      ["options", () => r.evaluate("m@1", { task: "other" })],
    ];
    for (const [arg, call] of cases) {
      const e = await caught(call());
      expect(e.code, `${arg}: ${e.message}`).toBe("VALIDATION");
      expect(e.issues[0]?.path[0], e.message).toBe(arg);
    }
  });

  it("answers every call after close with closedError (regression: 'driver has already been destroyed')", async () => {
    const ws = await open();
    ws.registry.registerFunction("linear", linear);
    await ws.registry.register("m", { model: functionModel("linear", { w: [3] }) });
    await ws.close();
    const calls: Array<() => Promise<unknown>> = [
      () => ws.registry.getModel("m"),
      () => ws.registry.searchModels({}),
      () => ws.registry.listModels(),
      () => ws.registry.register("m", { model: functionModel("linear", { w: [1] }) }),
      () => ws.registry.getVersion("m@1"),
      () => ws.registry.load("m@1"),
      () => ws.registry.setAlias("m", "champion", 1),
      () => ws.registry.aliases("m"),
      () => ws.registry.approve("m@1"),
      () => ws.registry.resolve("m@1"),
      () => ws.registry.createModel("x"),
    ];
    for (const call of calls) {
      const e = await caught(call());
      expect(e.code).toBe("UNAVAILABLE");
      expect(e.details.closed).toBe(true);
    }
  });
});

describe("the registry store's driver errors", () => {
  it("come out as MlcycleError with the driver's error as cause", async () => {
    await using ws = await createWorkspace();
    const store = ws.metadata.registry as unknown as { getModel: (n: string) => Promise<unknown> };
    const boom = new TypeError("socket hang up");
    store.getModel = async () => {
      throw boom;
    };
    const e = await caught(ws.registry.getModel("m"));
    expect(e.code).toBe("INTERNAL");
    expect(e.cause).toBe(boom);
  });
});

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createWorkspace, isMlcycleError, openSqliteDatabase, openWorkspace, type Workspace } from "../../src/index.js";
import { MemoryLineageStore } from "../../src/stores/memory/memory-lineage-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlLineageStore } from "../../src/stores/sql/sql-lineage-store.js";
import { lineageStoreSuite } from "../../src/testing/index.js";
import { tempDir } from "../helpers.js";

lineageStoreSuite("memory", async () => new MemoryLineageStore());
lineageStoreSuite("sqlite", async () => {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return new SqlLineageStore(db);
});

const dir = tempDir();
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${Math.random()}`))],
];

describe.each(workspaces)("ws.lineage on %s", (_name, open) => {
  // Regression: on SQLite a call after close() was a raw "driver has already been destroyed".
  it("answers every call after the workspace closed with the closed error", async () => {
    const ws = await open();
    const node = await ws.lineage.recordArtifact({ type: "dataset", name: "d" });
    await ws.close();
    const closed = (e: unknown) => isMlcycleError(e, "UNAVAILABLE") && e.details.closed === true;
    await expect(ws.lineage.recordArtifact({ type: "dataset", name: "e" })).rejects.toSatisfy(closed);
    await expect(ws.lineage.recordExecution({ type: "run", name: "r" })).rejects.toSatisfy(closed);
    await expect(ws.lineage.get(node.id)).rejects.toSatisfy(closed);
    await expect(ws.lineage.list()).rejects.toSatisfy(closed);
    await expect(ws.lineage.upstream(node.id)).rejects.toSatisfy(closed);
  });

  it("answers upstream and downstream with a hop limit", async () => {
    await using ws = await open();
    const raw = await ws.lineage.recordArtifact({ type: "dataset", name: "raw.csv" });
    const clean = await ws.lineage.recordArtifact({ type: "dataset", name: "clean" });
    const model = await ws.lineage.recordArtifact({ type: "model", name: "rf", externalId: "model_version:rf/1" });
    const run = await ws.lineage.recordContext({ type: "pipeline_run", name: "train-1" });
    const prep = await ws.lineage.recordExecution({
      type: "step_run",
      name: "prepare",
      inputs: [{ artifact: raw.id, slot: "raw" }],
      outputs: [{ artifact: clean.id, slot: "clean" }],
      contexts: [run.id],
    });
    const train = await ws.lineage.recordExecution({
      type: "step_run",
      name: "train",
      inputs: [{ artifact: clean.id, slot: "data" }],
      outputs: [{ artifact: model.id, slot: "model" }],
      contexts: [run.id],
    });

    const up = await ws.lineage.upstream({ kind: "artifact", externalId: "model_version:rf/1" });
    expect(up.nodes.map((n) => [n.name, n.hops])).toEqual(
      expect.arrayContaining([
        ["rf", 0],
        ["train", 1],
        ["clean", 2],
        ["prepare", 3],
        ["raw.csv", 4],
      ]),
    );
    expect(up.nodes).toHaveLength(5);
    expect(up.edges).toHaveLength(4);

    const near = await ws.lineage.upstream(model.id, { maxHops: 2 });
    expect(near.nodes.map((n) => n.name).sort()).toEqual(["clean", "rf", "train"]);

    const down = await ws.lineage.downstream(raw.id);
    expect(down.nodes.map((n) => n.name).sort()).toEqual(["clean", "prepare", "raw.csv", "rf", "train"]);
    // Walking down from the model finds nothing further.
    expect((await ws.lineage.downstream(model.id)).nodes).toHaveLength(1);

    const withCtx = await ws.lineage.downstream(prep.id, { maxHops: 1, includeContexts: true });
    expect(withCtx.nodes.map((n) => n.name).sort()).toEqual(["clean", "prepare", "train-1"]);
    expect(train.kind).toBe("execution");
  });

  it("rejects edges between the wrong kinds and unknown nodes", async () => {
    await using ws = await open();
    const a = await ws.lineage.recordArtifact({ type: "dataset", name: "a" });
    const b = await ws.lineage.recordArtifact({ type: "dataset", name: "b" });
    await expect(ws.lineage.addEvent(a.id, b.id, "input")).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
    const ctx = await ws.lineage.recordContext({ type: "pipeline_run", name: "p" });
    await expect(
      ws.lineage.recordExecution({ type: "step_run", name: "bad", inputs: [{ artifact: ctx.id }] }),
    ).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
    // Refused before anything was written.
    expect(await ws.lineage.list({ kind: "execution" })).toEqual([]);
    await expect(ws.lineage.upstream("nope")).rejects.toSatisfy((e) => isMlcycleError(e, "NOT_FOUND"));
    await expect(ws.lineage.upstream(a.id, { maxHops: -1 })).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
  });
});

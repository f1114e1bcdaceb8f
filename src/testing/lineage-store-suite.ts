import { describe, expect, it } from "./vitest.js";
import { putLineageBatch } from "../stores/lineage-store.js";
import type { LineageStore } from "../stores/lineage-store.js";

/**
 * The {@link LineageStore} conformance suite: nodes upserted by external id, filters, idempotent
 * edges and adjacency queries, and batches (`putBatch` when the store has it, else the fallback).
 *
 * @example
 * ```ts
 * lineageStoreSuite("memory", async () => new MemoryLineageStore());
 * ```
 */
export function lineageStoreSuite(name: string, factory: () => Promise<LineageStore>): void {
  describe(`LineageStore conformance: ${name}`, () => {
    it("adds nodes and finds them by id, external id and filters", async () => {
      const s = await factory();
      const a = await s.putNode({ kind: "artifact", type: "dataset", name: "iris", digest: "d".repeat(64) });
      const e = await s.putNode({ kind: "execution", type: "step_run", name: "train", externalId: "step:1" });
      expect(await s.getNode(a.id)).toMatchObject({ kind: "artifact", type: "dataset", name: "iris" });
      expect((await s.findByExternalId("execution", "step:1"))?.id).toBe(e.id);
      expect(await s.findByExternalId("artifact", "step:1")).toBeUndefined();
      expect((await s.listNodes({ type: "dataset" })).map((n) => n.id)).toEqual([a.id]);
      expect((await s.listNodes({ digest: "d".repeat(64) })).map((n) => n.id)).toEqual([a.id]);
      expect(await s.getNode("missing")).toBeUndefined();
    });

    it("updates a node recorded twice with the same external id, merging properties", async () => {
      const s = await factory();
      const first = await s.putNode({
        kind: "artifact",
        type: "model",
        name: "m",
        externalId: "mv:1",
        properties: { a: 1 },
      });
      const second = await s.putNode({
        kind: "artifact",
        type: "model",
        name: "m2",
        externalId: "mv:1",
        properties: { b: 2 },
      });
      expect(second.id).toBe(first.id);
      expect(second.name).toBe("m2");
      expect((await s.getNode(first.id))?.properties).toEqual({ a: 1, b: 2 });
      expect(await s.listNodes({ type: "model" })).toHaveLength(1);
    });

    it("keeps one copy of a repeated edge and answers edges by either end", async () => {
      const s = await factory();
      const a = await s.putNode({ kind: "artifact", type: "dataset", name: "x" });
      const e = await s.putNode({ kind: "execution", type: "step_run", name: "s" });
      const c = await s.putNode({ kind: "context", type: "pipeline_run", name: "p" });
      await s.addEdge({ type: "event", from: e.id, to: a.id, direction: "input", slot: "data" });
      await s.addEdge({ type: "event", from: e.id, to: a.id, direction: "input", slot: "data" });
      await s.addEdge({ type: "association", from: e.id, to: c.id });
      const ofA = await s.edgesOf([a.id]);
      expect(ofA).toHaveLength(1);
      expect(ofA[0]).toMatchObject({ type: "event", from: e.id, to: a.id, direction: "input", slot: "data" });
      expect(await s.edgesOf([e.id])).toHaveLength(2);
      expect(await s.edgesOf([])).toEqual([]);
    });

    it("puts a batch of nodes and edges: upserts by external id, edges by index or id, one copy each", async () => {
      const s = await factory();
      const ctx = await s.putNode({ kind: "context", type: "pipeline_run", name: "p", externalId: "pr:1" });
      const [exec, art] = await putLineageBatch(
        s,
        [
          { kind: "execution", type: "step_run", name: "fit", externalId: "sr:1", properties: { a: 1 } },
          { kind: "artifact", type: "step_output", name: "out", externalId: "so:1", digest: "e".repeat(64) },
        ],
        [
          { type: "event", from: 0, to: 1, direction: "output", slot: "output" },
          { type: "association", from: 0, to: ctx.id },
          { type: "attribution", from: 1, to: ctx.id },
        ],
      );
      expect(exec).toMatchObject({ kind: "execution", name: "fit", externalId: "sr:1", properties: { a: 1 } });
      expect(art).toMatchObject({ kind: "artifact", digest: "e".repeat(64) });
      expect(await s.getNode(exec!.id)).toEqual(exec);
      const again = await putLineageBatch(
        s,
        [{ kind: "execution", type: "step_run", name: "fit", externalId: "sr:1", properties: { b: 2 } }],
        [{ type: "event", from: 0, to: art!.id, direction: "output", slot: "output" }],
      );
      expect(again[0]!.id).toBe(exec!.id);
      expect(again[0]!.properties).toEqual({ a: 1, b: 2 });
      const edges = await s.edgesOf([exec!.id]);
      expect(edges.map((e) => e.type).sort()).toEqual(["association", "event"]);
      expect(await s.edgesOf([ctx.id])).toHaveLength(2);
      exec!.properties.a = 99;
      expect((await s.getNode(exec!.id))?.properties.a).toBe(1);
      await expect(putLineageBatch(s, [], [{ type: "association", from: 3, to: ctx.id }])).rejects.toMatchObject({
        code: "VALIDATION",
      });
    });

    it("treats an empty external id as an external id: recorded twice, one node", async () => {
      const s = await factory();
      const a = await s.putNode({ kind: "artifact", type: "dataset", name: "first", externalId: "" });
      const b = await s.putNode({ kind: "artifact", type: "dataset", name: "second", externalId: "" });
      expect(b.id).toBe(a.id);
      expect((await s.findByExternalId("artifact", ""))?.name).toBe("second");
      expect(await s.listNodes({ type: "dataset" })).toHaveLength(1);
    });

    it("keeps one edge when the same edge is added with an empty slot and without one", async () => {
      const s = await factory();
      const a = await s.putNode({ kind: "artifact", type: "dataset", name: "d" });
      const c = await s.putNode({ kind: "context", type: "experiment", name: "x" });
      await s.addEdge({ type: "attribution", from: a.id, to: c.id });
      await s.addEdge({ type: "attribution", from: a.id, to: c.id, slot: "" });
      expect(await s.edgesOf([a.id])).toHaveLength(1);
    });

    it("writes nothing of a batch with an edge naming a node outside it", async () => {
      const s = await factory();
      const ctx = await s.putNode({ kind: "context", type: "pipeline_run", name: "p", externalId: "pr:2" });
      await expect(
        putLineageBatch(
          s,
          [{ kind: "execution", type: "step_run", name: "lost", externalId: "sr:lost" }],
          [
            { type: "association", from: 0, to: ctx.id },
            { type: "event", from: 0, to: 1, direction: "output", slot: "output" },
          ],
        ),
      ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/node 1 of a batch of 1/) });
      expect(await s.findByExternalId("execution", "sr:lost")).toBeUndefined();
      expect(await s.listNodes({ name: "lost" })).toEqual([]);
      expect(await s.edgesOf([ctx.id])).toEqual([]);
    });

    it("gives the same batch result through the one-call-per-node fallback", async () => {
      const s = await factory();
      const plain: LineageStore = {
        putNode: (n) => s.putNode(n),
        getNode: (id) => s.getNode(id),
        findByExternalId: (k, x) => s.findByExternalId(k, x),
        listNodes: (f) => s.listNodes(f),
        addEdge: (e) => s.addEdge(e),
        edgesOf: (ids) => s.edgesOf(ids),
      };
      const [a, b] = await putLineageBatch(
        plain,
        [
          { kind: "artifact", type: "dataset", name: "d", externalId: "ds:1" },
          { kind: "execution", type: "step_run", name: "s" },
        ],
        [{ type: "event", from: 1, to: 0, direction: "input", slot: "x" }],
      );
      expect(await s.edgesOf([a!.id])).toEqual([
        expect.objectContaining({ type: "event", from: b!.id, to: a!.id, direction: "input", slot: "x" }),
      ]);
    });
  });
}

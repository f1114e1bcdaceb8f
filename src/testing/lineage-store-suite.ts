import { describe, expect, it } from "vitest";
import type { LineageStore } from "../stores/lineage-store.js";

/**
 * The {@link LineageStore} conformance suite: nodes upserted by external id, filters, idempotent
 * edges and adjacency queries.
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
  });
}

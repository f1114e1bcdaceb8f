import { describe, expect, it } from "./vitest.js";
import { isMlcycleError } from "../core/errors.js";
import { byCodePoint, CODE_POINT_NAMES } from "./code-point-order.js";
import type { LineageStore } from "../stores/lineage-store.js";
import type { ModelVersionInput, RegistryStore } from "../stores/registry-store.js";

const DIGEST = "a".repeat(64);

function versionInput(modelId: string, extra: Partial<ModelVersionInput> = {}): ModelVersionInput {
  return {
    modelId,
    flavor: "json",
    flavorMeta: { className: "X" },
    digest: DIGEST,
    size: 10,
    metrics: { acc: 0.9 },
    tags: { t: "1" },
    modelCard: "# card",
    description: "",
    createdAt: 1000,
    ...extra,
  };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(isMlcycleError(caught) ? caught.code : caught).toBe(code);
}

/**
 * The {@link RegistryStore} conformance suite: unique model names, atomic consecutive version
 * numbers (also under concurrent writers), compare-and-set alias moves with their audit records,
 * policies, approvals, evaluations and model search.
 *
 * @example
 * With `options.withLineage` (a registry store and the lineage store it commits a version's lineage
 * to), the suite also checks `createVersionWithLineage`: the version and its lineage nodes and edges
 * are stored together or not at all, read back from the lineage store.
 *
 * ```ts
 * registryStoreSuite("memory", async () => new MemoryRegistryStore());
 * ```
 */
export function registryStoreSuite(
  name: string,
  factory: () => Promise<RegistryStore>,
  options: {
    withLineage?: () => Promise<{ registry: RegistryStore; lineage: LineageStore }>;
  } = {},
): void {
  describe(`RegistryStore conformance: ${name}`, () => {
    it("creates models with unique names and reads them back", async () => {
      const s = await factory();
      const m = await s.createModel({
        name: "iris",
        description: "d",
        tags: { team: "a" },
        createdAt: 1,
        updatedAt: 1,
      });
      expect(m).toMatchObject({ name: "iris", description: "d", tags: { team: "a" } });
      expect(await s.getModel("iris")).toEqual(m);
      expect(await s.getModelById(m.id)).toEqual(m);
      expect(await s.getModel("nope")).toBeUndefined();
      await expectCode(
        s.createModel({ name: "iris", description: "", tags: {}, createdAt: 2, updatedAt: 2 }),
        "CONFLICT",
      );
    });

    it("renames, describes and tags a model; a taken name is a CONFLICT", async () => {
      const s = await factory();
      const a = await s.createModel({ name: "a", description: "", tags: { x: "1" }, createdAt: 1, updatedAt: 1 });
      await s.createModel({ name: "b", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const r = await s.updateModel(a.id, { name: "a2", description: "new", tags: { x: null, y: "2" }, updatedAt: 5 });
      expect(r).toMatchObject({ id: a.id, name: "a2", description: "new", tags: { y: "2" }, updatedAt: 5 });
      expect(await s.getModel("a")).toBeUndefined();
      await expectCode(s.updateModel(a.id, { name: "b", updatedAt: 6 }), "CONFLICT");
      await expectCode(s.updateModel("missing", { updatedAt: 6 }), "NOT_FOUND");
    });

    it("searches models by LIKE pattern (case-insensitive) and tags, by name with a cursor", async () => {
      const s = await factory();
      for (const [n, team] of [
        ["iris-rf", "vision"],
        ["iris-lr", "tabular"],
        ["Diabetes", "tabular"],
        ["wine_q", "tabular"],
      ])
        await s.createModel({ name: n, description: "", tags: { team }, createdAt: 1, updatedAt: 1 });
      const names = async (f: Parameters<RegistryStore["listModels"]>[0]) => (await s.listModels(f)).map((m) => m.name);
      expect(await names({ nameLike: "iris%" })).toEqual(["iris-lr", "iris-rf"]);
      expect(await names({ nameLike: "%BET%" })).toEqual(["Diabetes"]);
      expect(await names({ nameLike: "wine_q" })).toEqual(["wine_q"]);
      expect(await names({ nameLike: "iris-_r" })).toEqual(["iris-lr"]);
      expect(await names({ tags: { team: "tabular" } })).toEqual(["Diabetes", "iris-lr", "wine_q"]);
      expect(await names({ nameLike: "iris%", tags: { team: "tabular" } })).toEqual(["iris-lr"]);
      expect(await names({ limit: 2 })).toEqual(["Diabetes", "iris-lr"]);
      expect(await names({ after: "iris-lr", limit: 2 })).toEqual(["iris-rf", "wine_q"]);
      expect(await names({ nameLike: "'; drop table x; --" })).toEqual([]);
    });

    it("nameLike folds case beyond ASCII on every store (regression: 'über%' found nothing on SQLite)", async () => {
      const s = await factory();
      for (const n of ["Über Model", "ÉTÉ", "straße", "plain"])
        await s.createModel({ name: n, description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const names = async (nameLike: string) => (await s.listModels({ nameLike })).map((m) => m.name);
      expect(await names("über%")).toEqual(["Über Model"]);
      expect(await names("ÜBER MODEL")).toEqual(["Über Model"]);
      expect(await names("%été")).toEqual(["ÉTÉ"]);
      expect(await names("STRAßE")).toEqual(["straße"]);
      expect(await names("_ber%")).toEqual(["Über Model"]);
      expect(await names("%\\%")).toEqual([]);
    });

    it("lists models and aliases by name in code point order, whatever the database's collation", async () => {
      const s = await factory();
      for (const n of CODE_POINT_NAMES)
        await s.createModel({ name: n, description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const sorted = [...CODE_POINT_NAMES].sort(byCodePoint);
      expect((await s.listModels()).map((m) => m.name)).toEqual(sorted);
      // The cursor continues in the same order.
      expect((await s.listModels({ after: sorted[3], limit: 4 })).map((m) => m.name)).toEqual(sorted.slice(4, 8));
      const m = (await s.getModel("ab")) as { id: string };
      for (const alias of CODE_POINT_NAMES)
        await s.moveAlias(m.id, alias, { action: "set", to: 1, actor: "x", reason: "", at: 1 });
      expect((await s.listAliases(m.id)).map((a) => a.alias)).toEqual(sorted);
    });

    it("numbers versions 1, 2, 3 per model and keeps every field", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "m", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const other = await s.createModel({ name: "o", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const v1 = await s.createVersion(
        versionInput(m.id, {
          signature: { inputs: { type: "array" } },
          runId: "run1",
          pipelineRunId: "p1",
          step: "train",
          featureService: "fs",
          createdBy: "ana",
        }),
      );
      const v2 = await s.createVersion(versionInput(m.id));
      const o1 = await s.createVersion(versionInput(other.id));
      expect([v1.version, v2.version, o1.version]).toEqual([1, 2, 1]);
      expect(await s.getVersion(m.id, 1)).toEqual(v1);
      expect(await s.getVersionById(v1.id)).toMatchObject({
        signature: { inputs: { type: "array" } },
        runId: "run1",
        pipelineRunId: "p1",
        step: "train",
        featureService: "fs",
        createdBy: "ana",
        flavorMeta: { className: "X" },
        metrics: { acc: 0.9 },
        tags: { t: "1" },
        modelCard: "# card",
      });
      expect((await s.latestVersion(m.id))?.version).toBe(2);
      expect((await s.listVersions(m.id)).map((v) => v.version)).toEqual([1, 2]);
      expect(await s.getVersion(m.id, 3)).toBeUndefined();
      await expectCode(s.createVersion(versionInput("missing")), "NOT_FOUND");
    });

    it("gives distinct consecutive numbers to concurrent writers", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "c", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const made = await Promise.all(Array.from({ length: 20 }, () => s.createVersion(versionInput(m.id))));
      expect(made.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it("updates a version's tags, card and metrics", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "u", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const v = await s.createVersion(versionInput(m.id));
      const u = await s.updateVersion(v.id, { tags: { t: null, k: "v" }, modelCard: "new", metrics: { f1: 0.5 } });
      expect(u).toMatchObject({ tags: { k: "v" }, modelCard: "new", metrics: { acc: 0.9, f1: 0.5 } });
      expect(await s.getVersionById(v.id)).toEqual(u);
      await expectCode(s.updateVersion("missing", {}), "NOT_FOUND");
    });

    it("marks versions deleted without reusing their numbers", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "d", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      await s.createVersion(versionInput(m.id));
      const v2 = await s.createVersion(versionInput(m.id));
      const gone = await s.updateVersion(v2.id, { deletedAt: 99 });
      expect(gone.deletedAt).toBe(99);
      expect((await s.getVersionById(v2.id))?.deletedAt).toBe(99);
      expect((await s.getVersion(m.id, 2))?.deletedAt).toBe(99);
      expect((await s.latestVersion(m.id))?.version).toBe(1);
      expect((await s.listVersions(m.id)).map((v) => [v.version, v.deletedAt])).toEqual([
        [1, undefined],
        [2, 99],
      ]);
      expect((await s.createVersion(versionInput(m.id))).version).toBe(3);
    });

    it("moves aliases with audit records and compare-and-set", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "a", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const e1 = await s.moveAlias(m.id, "champion", { action: "set", to: 1, actor: "ana", reason: "first", at: 10 });
      expect(e1).toMatchObject({ alias: "champion", action: "set", to: 1, actor: "ana", reason: "first", at: 10 });
      expect(e1.from).toBeUndefined();
      const e2 = await s.moveAlias(m.id, "champion", {
        action: "set",
        to: 2,
        actor: "bo",
        reason: "better",
        at: 20,
        expected: 1,
      });
      expect(e2).toMatchObject({ from: 1, to: 2 });
      await expectCode(
        s.moveAlias(m.id, "champion", { action: "set", to: 3, actor: "x", reason: "", at: 30, expected: 1 }),
        "CONFLICT",
      );
      expect(await s.getAlias(m.id, "champion")).toMatchObject({ version: 2, updatedAt: 20 });
      await s.moveAlias(m.id, "challenger", { action: "set", to: 3, actor: "x", reason: "", at: 40, expected: null });
      expect((await s.listAliases(m.id)).map((a) => [a.alias, a.version])).toEqual([
        ["challenger", 3],
        ["champion", 2],
      ]);
      const del = await s.moveAlias(m.id, "challenger", { action: "delete", actor: "x", reason: "gone", at: 50 });
      expect(del).toMatchObject({ action: "delete", from: 3 });
      expect(del.to).toBeUndefined();
      expect(await s.getAlias(m.id, "challenger")).toBeUndefined();
      expect((await s.aliasEvents(m.id, "champion")).map((e) => e.to)).toEqual([2, 1]);
      expect((await s.aliasEvents(m.id)).map((e) => e.action)).toEqual(["delete", "set", "set", "set"]);
      expect(await s.aliasEvents(m.id, undefined, 1)).toHaveLength(1);
      await expectCode(
        s.moveAlias("missing", "x", { action: "set", to: 1, actor: "x", reason: "", at: 1 }),
        "NOT_FOUND",
      );
    });

    it("lets exactly one of several concurrent compare-and-set moves win", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "race", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      await s.moveAlias(m.id, "champion", { action: "set", to: 1, actor: "x", reason: "", at: 1 });
      const results = await Promise.allSettled(
        [2, 3, 4, 5].map((to) =>
          s.moveAlias(m.id, "champion", { action: "set", to, actor: "x", reason: "", at: 2, expected: 1 }),
        ),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await s.aliasEvents(m.id, "champion")).toHaveLength(2);
    });

    it("says what a compare-and-set move found: the missing model, or where the alias is", async () => {
      const s = await factory();
      await expectCode(
        s.moveAlias("missing", "x", { action: "set", to: 1, actor: "x", reason: "", at: 1, expected: 1 }),
        "NOT_FOUND",
      );
      const m = await s.createModel({ name: "cas", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      await expect(
        s.moveAlias(m.id, "champion", { action: "set", to: 2, actor: "x", reason: "", at: 2, expected: 1 }),
      ).rejects.toMatchObject({ code: "CONFLICT", details: { expected: 1, found: null } });
      await s.moveAlias(m.id, "champion", { action: "set", to: 1, actor: "x", reason: "", at: 3, expected: null });
      await expect(
        s.moveAlias(m.id, "champion", { action: "delete", actor: "x", reason: "", at: 4, expected: 2 }),
      ).rejects.toMatchObject({ code: "CONFLICT", details: { expected: 2, found: 1 } });
      const del = await s.moveAlias(m.id, "champion", { action: "delete", actor: "x", reason: "", at: 5, expected: 1 });
      expect(del).toMatchObject({ action: "delete", from: 1 });
      expect(await s.getAlias(m.id, "champion")).toBeUndefined();
      expect((await s.aliasEvents(m.id, "champion")).map((e) => [e.action, e.from, e.to])).toEqual([
        ["delete", 1, undefined],
        ["set", undefined, 1],
      ]);
    });

    it("reads an alias and its policy together (getAliasState, when the store has it)", async (ctx) => {
      const s = await factory();
      if (!s.getAliasState) return ctx.skip();
      const m = await s.createModel({ name: "state", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      expect(await s.getAliasState(m.id, "champion")).toEqual({});
      await s.moveAlias(m.id, "champion", { action: "set", to: 1, actor: "x", reason: "", at: 7 });
      expect(await s.getAliasState(m.id, "champion")).toEqual({ alias: await s.getAlias(m.id, "champion") });
      await s.setPolicy(m.id, "staging", {
        modelId: m.id,
        alias: "staging",
        requireApproval: true,
        gate: "g",
        gateDigest: "d".repeat(64),
        updatedAt: 8,
      });
      expect(await s.getAliasState(m.id, "staging")).toEqual({ policy: await s.getPolicy(m.id, "staging") });
      await s.setPolicy(m.id, "champion", { modelId: m.id, alias: "champion", requireApproval: false, updatedAt: 9 });
      expect(await s.getAliasState(m.id, "champion")).toEqual({
        alias: { modelId: m.id, alias: "champion", version: 1, updatedAt: 7 },
        policy: { modelId: m.id, alias: "champion", requireApproval: false, updatedAt: 9 },
      });
    });

    it("stores policies, approvals and evaluations", async () => {
      const s = await factory();
      const m = await s.createModel({ name: "p", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      await s.setPolicy(m.id, "champion", {
        modelId: m.id,
        alias: "champion",
        requireApproval: true,
        gate: "g",
        gateDigest: "b".repeat(64),
        updatedAt: 1,
      });
      await s.setPolicy(m.id, "staging", { modelId: m.id, alias: "staging", requireApproval: false, updatedAt: 1 });
      expect(await s.getPolicy(m.id, "champion")).toMatchObject({
        requireApproval: true,
        gate: "g",
        gateDigest: "b".repeat(64),
      });
      expect((await s.getPolicy(m.id, "staging"))?.gate).toBeUndefined();
      expect((await s.getPolicy(m.id, "staging"))?.gateDigest).toBeUndefined();
      expect((await s.listPolicies(m.id)).map((p) => p.alias)).toEqual(["champion", "staging"]);
      await s.setPolicy(m.id, "staging", undefined);
      expect(await s.getPolicy(m.id, "staging")).toBeUndefined();

      const v = await s.createVersion(versionInput(m.id));
      await s.addApproval({ versionId: v.id, actor: "lead", comment: "ok", at: 5 });
      await s.addApproval({ versionId: v.id, actor: "qa", comment: "", at: 6 });
      expect((await s.listApprovals(v.id)).map((a) => a.actor)).toEqual(["lead", "qa"]);
      expect(await s.listApprovals("other")).toEqual([]);

      await s.addEvaluation({ versionId: v.id, gate: "g", passed: false, result: { m: { acc: 0.5 } }, at: 7 });
      await s.addEvaluation({ versionId: v.id, runId: "r", result: { metrics: { acc: 0.9 } }, at: 8 });
      const evals = await s.listEvaluations(v.id);
      expect(evals.map((e) => [e.gate, e.passed, e.runId])).toEqual([
        ["g", false, undefined],
        [undefined, undefined, "r"],
      ]);
      expect(evals[0].result).toEqual({ m: { acc: 0.5 } });
    });

    const lineageIt = options.withLineage ? it : it.skip;

    lineageIt("commits a version with its lineage nodes and edges as one unit", async () => {
      const { registry: s, lineage } = await options.withLineage!();
      if (!s.createVersionWithLineage)
        throw new Error("options.withLineage gave a store without createVersionWithLineage");
      const m = await s.createModel({ name: "m", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const run = await lineage.putNode({
        kind: "execution",
        type: "tracking_run",
        name: "train",
        externalId: "run:R",
      });
      const { version, lineage: nodes } = await s.createVersionWithLineage(versionInput(m.id), (v) => ({
        nodes: [
          {
            kind: "artifact",
            type: "model_version",
            name: `m/${v.version}`,
            externalId: `model_version:m/${v.version}`,
          },
          { kind: "execution", type: "step_run", name: "fit", externalId: "step_run:P/fit" },
        ],
        edges: [
          { type: "event", from: run.id, to: 0, direction: "output", slot: "model" },
          { type: "event", from: 1, to: 0, direction: "output", slot: "model" },
        ],
      }));
      expect(version.version).toBe(1);
      expect(await s.getVersionById(version.id)).toEqual(version);
      expect(nodes.map((n) => n.name)).toEqual(["m/1", "fit"]);
      const stored = await lineage.findByExternalId("artifact", "model_version:m/1");
      expect(stored?.id).toBe(nodes[0].id);
      const edges = await lineage.edgesOf([nodes[0].id]);
      expect(edges.map((e) => [e.from, e.to, e.direction]).sort()).toEqual(
        [
          [run.id, nodes[0].id, "output"],
          [nodes[1].id, nodes[0].id, "output"],
        ].sort(),
      );
      const next = await s.createVersionWithLineage(versionInput(m.id), (v) => ({
        nodes: [{ kind: "artifact", type: "model_version", name: `m/${v.version}` }],
        edges: [],
      }));
      expect(next.version.version).toBe(2);
    });

    lineageIt(
      "stores neither the version nor its lineage when the lineage is refused (regression: version without lineage)",
      async () => {
        const { registry: s, lineage } = await options.withLineage!();
        if (!s.createVersionWithLineage)
          throw new Error("options.withLineage gave a store without createVersionWithLineage");
        const m = await s.createModel({ name: "m", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
        await expectCode(
          s.createVersionWithLineage(versionInput(m.id), (v) => ({
            nodes: [
              { kind: "artifact", type: "model_version", name: `m/${v.version}`, externalId: "model_version:m/1" },
            ],
            edges: [{ type: "event", from: 5, to: 0, direction: "output" }],
          })),
          "VALIDATION",
        );
        let thrown: unknown;
        try {
          await s.createVersionWithLineage(versionInput(m.id), () => {
            throw new Error("boom");
          });
        } catch (e) {
          thrown = e;
        }
        expect((thrown as Error).message).toBe("boom");
        expect(await s.listVersions(m.id)).toEqual([]);
        expect(await s.latestVersion(m.id)).toBeUndefined();
        expect(await lineage.findByExternalId("artifact", "model_version:m/1")).toBeUndefined();
        const v = await s.createVersion(versionInput(m.id));
        expect(v.version).toBe(1);
      },
    );

    lineageIt("gives distinct consecutive numbers to concurrent versions with lineage", async () => {
      const { registry: s, lineage } = await options.withLineage!();
      if (!s.createVersionWithLineage)
        throw new Error("options.withLineage gave a store without createVersionWithLineage");
      const m = await s.createModel({ name: "m", description: "", tags: {}, createdAt: 1, updatedAt: 1 });
      const made = await Promise.all(
        Array.from({ length: 8 }, () =>
          s.createVersionWithLineage!(versionInput(m.id), (v) => ({
            nodes: [
              {
                kind: "artifact",
                type: "model_version",
                name: `m/${v.version}`,
                externalId: `model_version:m/${v.version}`,
              },
            ],
            edges: [],
          })),
        ),
      );
      expect(made.map((r) => r.version.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const r of made)
        expect(
          (await lineage.findByExternalId("artifact", `model_version:m/${r.version.version}`))?.properties,
        ).toEqual({});
    });
  });
}

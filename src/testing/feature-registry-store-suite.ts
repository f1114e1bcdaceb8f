import { describe, expect, it } from "./vitest.js";
import { isMlcycleError } from "../core/errors.js";
import { byCodePoint, CODE_POINT_NAMES } from "./code-point-order.js";
import type {
  FeatureRegistryStore,
  FeatureViewDefinition,
  JoinKey,
  StoredFields,
} from "../stores/feature-registry-store.js";

const view = (name: string, digest: string, extra: Partial<FeatureViewDefinition> = {}) =>
  ({
    name,
    entities: ["driver"],
    schema: { type: "object", properties: { trips: { type: "integer" } } },
    features: [{ name: "trips", type: "integer", nullable: false }],
    ttlMs: 0,
    tags: {},
    timestampField: "event_timestamp",
    createdTimestampField: "created_timestamp",
    digest,
    ...extra,
  }) as Omit<FeatureViewDefinition, StoredFields>;

/**
 * The {@link FeatureRegistryStore} conformance suite: entities, versioned feature views and
 * services, search filters, deletion and materialisation progress.
 *
 * @example
 * ```ts
 * featureRegistryStoreSuite("memory", async () => new MemoryFeatureRegistryStore());
 * ```
 */
export function featureRegistryStoreSuite(name: string, factory: () => Promise<FeatureRegistryStore>): void {
  describe(`FeatureRegistryStore conformance: ${name}`, () => {
    it("stores entities and replaces them by name", async () => {
      const s = await factory();
      const a = await s.putEntity({ name: "driver", joinKeys: [{ name: "driver_id", type: "int" }], tags: {} }, 10);
      expect(a).toMatchObject({ name: "driver", createdAt: 10, updatedAt: 10 });
      const b = await s.putEntity(
        {
          name: "driver",
          joinKeys: [{ name: "driver_id", type: "int" }],
          description: "a driver",
          tags: { team: "x" },
        },
        20,
      );
      expect(b).toMatchObject({ createdAt: 10, updatedAt: 20, description: "a driver" });
      expect(await s.getEntity("driver")).toEqual(b);
      expect(await s.getEntity("nope")).toBeUndefined();
      expect((await s.listEntities()).map((e) => e.name)).toEqual(["driver"]);
    });

    it("lists entities and views by name in code point order, whatever the database's collation", async () => {
      const s = await factory();
      for (const n of CODE_POINT_NAMES) {
        await s.putEntity({ name: n, joinKeys: [{ name: "id", type: "int" }], tags: {} }, 1);
        await s.applyFeatureView(view(n, "d1"), 1);
      }
      const sorted = [...CODE_POINT_NAMES].sort(byCodePoint);
      expect((await s.listEntities()).map((e) => e.name)).toEqual(sorted);
      expect((await s.listFeatureViews()).map((v) => v.name)).toEqual(sorted);
    });

    it("writes an entity with expectJoinKeys only when its stored join keys are those (CONFLICT otherwise, nothing written)", async () => {
      const s = await factory();
      const a: JoinKey[] = [{ name: "a_id", type: "int" }];
      const b: JoinKey[] = [{ name: "a_id", type: "string" }];
      const first = await s.putEntity({ name: "e", joinKeys: a, tags: {} }, 1, { expectJoinKeys: a });
      expect(first).toMatchObject({ joinKeys: a, createdAt: 1, updatedAt: 1 });
      const again = await s.putEntity({ name: "e", joinKeys: a, description: "d", tags: {} }, 2, { expectJoinKeys: a });
      expect(again).toMatchObject({ joinKeys: a, description: "d", createdAt: 1, updatedAt: 2 });
      await expect(
        s.putEntity({ name: "e", joinKeys: b, description: "changed", tags: {} }, 3, { expectJoinKeys: b }),
      ).rejects.toSatisfy((e) => isMlcycleError(e, "CONFLICT"));
      expect(await s.getEntity("e")).toEqual(again);
    });

    it("lets one set of join keys win when conditional puts of a new entity race; the others are CONFLICT", async () => {
      const s = await factory();
      const a: JoinKey[] = [{ name: "a_id", type: "int" }];
      const b: JoinKey[] = [{ name: "b_id", type: "string" }];
      const keys = [a, b, a, b, b, a, a, b];
      const results = await Promise.allSettled(
        keys.map((k, i) => s.putEntity({ name: "raced", joinKeys: k, tags: {} }, i, { expectJoinKeys: k })),
      );
      const stored = (await s.getEntity("raced"))?.joinKeys;
      expect(stored === undefined ? undefined : JSON.stringify(stored)).toBeOneOf([
        JSON.stringify(a),
        JSON.stringify(b),
      ]);
      results.forEach((r, i) => {
        if (JSON.stringify(keys[i]) === JSON.stringify(stored)) expect(r.status).toBe("fulfilled");
        else expect(r.status === "rejected" && isMlcycleError(r.reason, "CONFLICT")).toBe(true);
      });
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    });

    it("versions feature views: a new digest is the next version, the same digest changes nothing", async () => {
      const s = await factory();
      const v1 = await s.applyFeatureView(view("stats", "a".repeat(64)), 1);
      expect(v1).toMatchObject({ changed: true, view: { version: 1, createdAt: 1, updatedAt: 1 } });
      const same = await s.applyFeatureView(view("stats", "a".repeat(64), { description: "ignored" }), 2);
      expect(same).toMatchObject({ changed: false, view: { version: 1, updatedAt: 1 } });
      const v2 = await s.applyFeatureView(view("stats", "b".repeat(64), { ttlMs: 5 }), 3);
      expect(v2).toMatchObject({ changed: true, view: { version: 2, createdAt: 1, updatedAt: 3, ttlMs: 5 } });
      expect(await s.getFeatureView("stats")).toEqual(v2.view);
      const svc = await s.applyFeatureService(
        { name: "svc", features: ["stats:trips"], tags: {}, digest: "c".repeat(64) },
        4,
      );
      expect(svc.service.version).toBe(1);
      const svc2 = await s.applyFeatureService(
        { name: "svc", features: ["stats:x"], tags: {}, digest: "d".repeat(64) },
        5,
      );
      expect(svc2.service).toMatchObject({ version: 2, features: ["stats:x"] });
      expect(await s.getFeatureService("svc")).toEqual(svc2.service);
    });

    it("gives concurrent applies of different definitions distinct, consecutive versions", async () => {
      const s = await factory();
      const digests = ["1", "2", "3", "4", "5", "6"].map((c) => c.repeat(64));
      const results = await Promise.all(digests.map((d, i) => s.applyFeatureView(view("busy", d), i)));
      expect(results.every((r) => r.changed)).toBe(true);
      expect(results.map((r) => r.view.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await s.getFeatureView("busy"))?.version).toBe(6);
    });

    it("searches by query, owner, tags and entity; user text is matched literally", async () => {
      const s = await factory();
      await s.applyFeatureView(
        view("driver_hourly", "1".repeat(64), {
          owner: "ana",
          tags: { team: "rides" },
          description: "Hourly CONVERSION",
        }),
        1,
      );
      await s.applyFeatureView(
        view("customer_daily", "2".repeat(64), { owner: "bo", entities: ["customer"], tags: { team: "growth" } }),
        1,
      );
      await s.applyFeatureView(view("pct_100%", "3".repeat(64), { tags: { pii: "yes" } }), 1);
      const names = async (f: Parameters<FeatureRegistryStore["listFeatureViews"]>[0]) =>
        (await s.listFeatureViews(f)).map((v) => v.name);
      expect(await names({})).toEqual(["customer_daily", "driver_hourly", "pct_100%"]);
      expect(await names({ query: "conversion" })).toEqual(["driver_hourly"]);
      expect(await names({ query: "HOURLY" })).toEqual(["driver_hourly"]);
      expect(await names({ owner: "bo" })).toEqual(["customer_daily"]);
      expect(await names({ tags: { team: "rides" } })).toEqual(["driver_hourly"]);
      expect(await names({ tags: { team: "" } })).toEqual(["customer_daily", "driver_hourly"]);
      expect(await names({ entity: "customer" })).toEqual(["customer_daily"]);
      expect(await names({ query: "%" })).toEqual(["pct_100%"]);
      expect(await names({ query: "_" })).toEqual(["customer_daily", "driver_hourly", "pct_100%"]);
      expect(await names({ query: "' or 1=1 --" })).toEqual([]);
    });

    it("matches queries case-insensitively beyond ASCII, as the memory store does", async () => {
      const s = await factory();
      await s.putEntity(
        { name: "fahrer", joinKeys: [{ name: "id", type: "int" }], description: "Über Fahrer", tags: {} },
        1,
      );
      await s.putEntity({ name: "city", joinKeys: [{ name: "id", type: "int" }], tags: { région: "ÎLE" } }, 1);
      await s.applyFeatureView(view("straße_stats", "1".repeat(64), { owner: "Ωmega" }), 1);
      const entities = async (query: string) => (await s.listEntities({ query })).map((e) => e.name);
      expect(await entities("über")).toEqual(["fahrer"]);
      expect(await entities("ÜBER")).toEqual(["fahrer"]);
      expect(await entities("île")).toEqual(["city"]);
      expect(await entities("RÉGION")).toEqual(["city"]);
      expect(await entities("")).toEqual(["city", "fahrer"]);
      expect((await s.listFeatureViews({ query: "STRASSE" })).map((v) => v.name)).toEqual([]);
      expect((await s.listFeatureViews({ query: "STRAßE" })).map((v) => v.name)).toEqual(["straße_stats"]);
      expect((await s.listFeatureViews({ query: "ωMEGA" })).map((v) => v.name)).toEqual(["straße_stats"]);
    });

    it("deletes definitions", async () => {
      const s = await factory();
      await s.applyFeatureView(view("gone", "e".repeat(64)), 1);
      await s.putMaterialization({ view: "gone", until: 5, updatedAt: 1 });
      expect(await s.deleteDefinition("feature_view", "gone")).toBe(true);
      expect(await s.deleteDefinition("feature_view", "gone")).toBe(false);
      expect(await s.getFeatureView("gone")).toBeUndefined();
      expect(await s.getMaterialization("gone")).toBeUndefined();
    });

    it("keeps materialisation progress per view", async () => {
      const s = await factory();
      expect(await s.getMaterialization("stats")).toBeUndefined();
      const pending = { view: "stats", pending: { end: 100, cursor: "c1", rows: 10 }, updatedAt: 1 };
      await s.putMaterialization(pending);
      expect(await s.getMaterialization("stats")).toEqual(pending);
      await s.putMaterialization({ view: "stats", until: 100, updatedAt: 2 });
      expect(await s.getMaterialization("stats")).toEqual({ view: "stats", until: 100, updatedAt: 2 });
    });
  });
}

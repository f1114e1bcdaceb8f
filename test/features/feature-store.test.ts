import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isMlcycleError, type MlcycleError, manualClock, type Workspace } from "../../src/index.js";
import { featureWorkspaces } from "./workspaces.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

async function driverStats(ws: Workspace, ttlMs = 2 * HOUR) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  return ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema: z.object({ conv_rate: z.number().nullable(), trips: z.number().int(), city: z.string().optional() }),
    ttlMs,
    source: "warehouse.driver_stats",
    description: "Hourly driver conversion",
    owner: "rides-team",
    tags: { team: "rides" },
  });
}

async function rejection(p: Promise<unknown>): Promise<MlcycleError> {
  try {
    await p;
  } catch (e) {
    return e as MlcycleError;
  }
  throw new Error("expected a rejection");
}

describe.each(featureWorkspaces())("ws.features on %s", (_name, open) => {
  describe("definitions", () => {
    it("stores views with their JSON Schema and bumps the version only on change", async () => {
      await using ws = await open();
      const v1 = await driverStats(ws);
      expect(v1).toMatchObject({ name: "driver_stats", version: 1, entities: ["driver"], ttlMs: 2 * HOUR });
      expect(v1.schema).toMatchObject({ type: "object", properties: { trips: { type: "integer" } } });
      expect(v1.features.map((f) => [f.name, f.type, f.nullable])).toEqual([
        ["conv_rate", "number", true],
        ["trips", "integer", false],
        ["city", "string", false],
      ]);
      expect((await driverStats(ws)).version).toBe(1);
      const v2 = await driverStats(ws, 3 * HOUR);
      expect(v2.version).toBe(2);
      expect((await ws.features.getFeatureView("driver_stats")).ttlMs).toBe(3 * HOUR);
      const node = await ws.lineage.find({ kind: "artifact", externalId: "feature_view:driver_stats" });
      expect(node?.properties.version).toBe(2);
    });

    it("lists and searches entities, views and services", async () => {
      await using ws = await open();
      await driverStats(ws);
      await ws.features.applyEntity({ name: "customer", joinKeys: [{ name: "customer_id", type: "string" }] });
      await ws.features.applyFeatureView({
        name: "customer_profile",
        entities: ["customer"],
        schema: z.object({ age: z.number() }),
        owner: "growth",
      });
      await ws.features.applyFeatureService({
        name: "eta_model",
        features: ["driver_stats:trips", "customer_profile:age"],
        description: "features of the ETA model",
      });
      expect((await ws.features.listEntities()).map((e) => e.name)).toEqual(["customer", "driver"]);
      expect((await ws.features.listFeatureViews({ entity: "customer" })).map((v) => v.name)).toEqual([
        "customer_profile",
      ]);
      expect((await ws.features.listFeatureViews({ tags: { team: "rides" } })).map((v) => v.name)).toEqual([
        "driver_stats",
      ]);
      expect((await ws.features.listFeatureViews({ owner: "growth" })).map((v) => v.name)).toEqual([
        "customer_profile",
      ]);
      const found = await ws.features.search("eta");
      expect(found.featureServices.map((s) => s.name)).toEqual(["eta_model"]);
      const conv = await ws.features.search("CONVERSION");
      expect(conv.featureViews.map((v) => v.name)).toEqual(["driver_stats"]);
      expect((await ws.features.getFeatureService("eta_model")).version).toBe(1);
    });

    it("deletes a view with its rows and values", async () => {
      await using ws = await open();
      await driverStats(ws);
      await ws.features.push("driver_stats", [{ driver_id: 1, event_timestamp: T0, conv_rate: 0.1, trips: 1 }]);
      await ws.features.deleteFeatureView("driver_stats");
      expect(await ws.features.offline.count("driver_stats")).toBe(0);
      expect(await ws.features.online.read("driver_stats", ["1"])).toEqual([undefined]);
      expect((await rejection(ws.features.getFeatureView("driver_stats"))).code).toBe("NOT_FOUND");
      expect((await rejection(ws.features.deleteFeatureView("driver_stats"))).code).toBe("NOT_FOUND");
    });

    it("rejects bad definitions with clear codes", async () => {
      await using ws = await open();
      await driverStats(ws);
      const schema = z.object({ x: z.number() });
      expect((await rejection(ws.features.applyFeatureView({ name: "v", entities: ["nobody"], schema }))).code).toBe(
        "NOT_FOUND",
      );
      expect((await rejection(ws.features.applyFeatureView({ name: "a:b", entities: ["driver"], schema }))).code).toBe(
        "VALIDATION",
      );
      expect(
        (await rejection(ws.features.applyFeatureView({ name: "v", entities: ["driver"], schema, ttlMs: -1 }))).code,
      ).toBe("VALIDATION");
      expect(
        (
          await rejection(
            ws.features.applyFeatureView({
              name: "v",
              entities: ["driver"],
              schema: z.object({ driver_id: z.number() }),
            }),
          )
        ).code,
      ).toBe("VALIDATION");
      expect(
        (await rejection(ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "string" } }))).code,
      ).toBe("CONFLICT");
      expect((await rejection(ws.features.applyEntity({ name: "e", joinKeys: {} }))).code).toBe("VALIDATION");
      expect(
        (await rejection(ws.features.applyFeatureService({ name: "s", features: ["driver_stats:nope"] }))).code,
      ).toBe("NOT_FOUND");
      expect((await rejection(ws.features.applyFeatureService({ name: "s", features: ["bare"] }))).code).toBe(
        "VALIDATION",
      );
      expect((await rejection(ws.features.getFeatureView("missing"))).message).toContain("missing");
    });

    it("applyEntity keeps join keys under concurrent applies: one set wins, the others are CONFLICT (issue 9)", async () => {
      await using ws = await open();
      const keys = ["int", "string", "int", "string", "string", "int"] as const;
      const results = await Promise.allSettled(
        keys.map((type) => ws.features.applyEntity({ name: "raced", joinKeys: { raced_id: type } })),
      );
      const stored = (await ws.features.getEntity("raced")).joinKeys;
      expect(stored).toHaveLength(1);
      results.forEach((r, i) => {
        if (keys[i] === stored[0].type) expect(r.status).toBe("fulfilled");
        else expect(r.status === "rejected" && isMlcycleError(r.reason, "CONFLICT")).toBe(true);
      });
    });
  });

  describe("ingestion", () => {
    it("ingests arrays, iterables and async iterables in chunks and emits events", async () => {
      await using ws = await open();
      await driverStats(ws);
      const events: Array<{ view: string; rows: number }> = [];
      ws.events.on("features.ingested", (e) => events.push(e));
      const make = (i: number) => ({ driver_id: i % 7, event_timestamp: T0 + i * 1000, conv_rate: i / 100, trips: i });
      expect(await ws.features.ingest("driver_stats", [make(0), make(1)])).toEqual({ rows: 2, chunks: 1 });
      function* gen() {
        for (let i = 2; i < 27; i++) yield make(i);
      }
      expect(await ws.features.ingest("driver_stats", gen(), { chunkSize: 10 })).toEqual({ rows: 25, chunks: 3 });
      async function* agen() {
        for (let i = 27; i < 40; i++) yield make(i);
      }
      expect(await ws.features.ingest("driver_stats", agen(), { chunkSize: 5 })).toEqual({ rows: 13, chunks: 3 });
      expect(await ws.features.offline.count("driver_stats")).toBe(40);
      expect(events).toEqual([
        { view: "driver_stats", rows: 2 },
        { view: "driver_stats", rows: 25 },
        { view: "driver_stats", rows: 13 },
      ]);
    });

    it("rejects a bad row with its index and zod's issues, storing nothing of its chunk", async () => {
      await using ws = await open();
      await driverStats(ws);
      const rows = Array.from({ length: 25 }, (_, i) => ({
        driver_id: 1,
        event_timestamp: T0 + i,
        conv_rate: 0.5,
        trips: i === 13 ? 1.5 : i,
      }));
      const e = await rejection(ws.features.ingest("driver_stats", rows, { chunkSize: 10 }));
      expect(e.code).toBe("VALIDATION");
      expect(e.details).toMatchObject({ rowIndex: 13, storedRows: 10 });
      expect(e.issues[0]).toMatchObject({ path: [13, "trips"] });
      expect(e.message).toContain("row 13");
      expect(await ws.features.offline.count("driver_stats")).toBe(10);
      const keyErr = await rejection(
        ws.features.ingest("driver_stats", [{ driver_id: "7", event_timestamp: T0, conv_rate: 1, trips: 1 }]),
      );
      expect(keyErr.code).toBe("VALIDATION");
      expect(keyErr.issues[0].path).toEqual([0, "driver_id"]);
      const timeErr = await rejection(
        ws.features.ingest("driver_stats", [{ driver_id: 7, event_timestamp: "yesterday", conv_rate: 1, trips: 1 }]),
      );
      expect(timeErr.issues[0].path).toEqual([0, "event_timestamp"]);
      expect((await rejection(ws.features.ingest("nope", []))).code).toBe("NOT_FOUND");
    });
  });

  describe("historical retrieval", () => {
    it("joins point in time, keeps unmatched rows, and records the training set in lineage", async () => {
      await using ws = await open();
      await driverStats(ws);
      await ws.features.ingest("driver_stats", [
        { driver_id: 1, event_timestamp: T0, created_timestamp: T0, conv_rate: 0.1, trips: 1 },
        { driver_id: 1, event_timestamp: T0 + HOUR, created_timestamp: T0 + HOUR, conv_rate: 0.2, trips: 2 },
        { driver_id: 1, event_timestamp: T0 + HOUR, created_timestamp: T0 + HOUR + 5, conv_rate: 0.3, trips: 3 },
        { driver_id: 2, event_timestamp: new Date(T0), conv_rate: null, trips: 9 },
      ]);
      await ws.features.applyFeatureService({
        name: "svc",
        features: ["driver_stats:trips", "driver_stats:conv_rate"],
      });
      const set = await ws.features.getHistoricalFeatures({
        entityRows: [
          { driver_id: 1, event_timestamp: T0 + HOUR, label: 1 },
          { driver_id: 1, event_timestamp: T0 - 1, label: 0 },
          { driver_id: 1, event_timestamp: new Date(T0 + 4 * HOUR).toISOString(), label: 0 },
          { driver_id: 2, event_timestamp: T0 + 30_000, label: 1 },
          { driver_id: 3, event_timestamp: T0, label: 1 },
        ],
        features: { service: "svc" },
        name: "eta-train",
      });
      expect(set.columns).toEqual(["trips", "conv_rate"]);
      expect(set.rows.map((r) => [r.trips, r.conv_rate, r.label])).toEqual([
        [3, 0.3, 1],
        [null, null, 0],
        [null, null, 0],
        [9, null, 1],
        [null, null, 1],
      ]);
      expect(set.service).toEqual({ name: "svc", version: 1 });
      expect(set.digest).toMatch(/^[0-9a-f]{64}$/);
      const node = await ws.lineage.get(set.artifactId!);
      expect(node).toMatchObject({ type: "training_set", name: "eta-train", digest: set.digest });
      const up = await ws.lineage.upstream(node.id);
      expect(up.nodes.map((n) => n.type).sort()).toEqual([
        "feature_service",
        "feature_view",
        "training_set",
        "training_set_build",
      ]);
      expect(up.nodes.find((n) => n.type === "feature_view")?.externalId).toBe("feature_view:driver_stats");
      // The same data gives the same digest.
      const again = await ws.features.getHistoricalFeatures({
        entityRows: [{ driver_id: 1, event_timestamp: T0 + HOUR, label: 1 }],
        features: ["driver_stats:trips"],
        fullFeatureNames: true,
        record: false,
      });
      expect(again.columns).toEqual(["driver_stats__trips"]);
      expect(again.rows[0].driver_stats__trips).toBe(3);
      expect(again.artifactId).toBeUndefined();
    });

    it("joins several views with different entities and rejects bad requests", async () => {
      await using ws = await open();
      await driverStats(ws, 0);
      await ws.features.applyEntity({ name: "customer", joinKeys: { customer_id: "string" } });
      await ws.features.applyFeatureView({
        name: "customer_profile",
        entities: ["customer"],
        schema: z.object({ trips: z.number() }),
      });
      await ws.features.ingest("driver_stats", [{ driver_id: 1, event_timestamp: T0, conv_rate: 0.5, trips: 4 }]);
      await ws.features.ingest("customer_profile", [{ customer_id: "c1", event_timestamp: T0, trips: 40 }]);
      const entityRows = [{ driver_id: 1, customer_id: "c1", event_timestamp: T0 + 10 * HOUR }];
      const e = await rejection(
        ws.features.getHistoricalFeatures({ entityRows, features: ["driver_stats:trips", "customer_profile:trips"] }),
      );
      expect(e.code).toBe("VALIDATION");
      expect(e.message).toContain("fullFeatureNames");
      const set = await ws.features.getHistoricalFeatures({
        entityRows,
        features: ["driver_stats:trips", "customer_profile:trips"],
        fullFeatureNames: true,
      });
      expect(set.rows[0]).toMatchObject({ driver_stats__trips: 4, customer_profile__trips: 40 });
      const missingKey = await rejection(
        ws.features.getHistoricalFeatures({
          entityRows: [{ event_timestamp: T0 }],
          features: ["driver_stats:trips"],
        }),
      );
      expect(missingKey.issues[0].path).toEqual(["entityRows", 0, "driver_id"]);
      expect(
        (await rejection(ws.features.getHistoricalFeatures({ entityRows, features: ["driver_stats:nope"] }))).code,
      ).toBe("NOT_FOUND");
      expect(
        (await rejection(ws.features.getHistoricalFeatures({ entityRows, features: { service: "x" } }))).code,
      ).toBe("NOT_FOUND");
    });
  });

  describe("lifecycle", () => {
    it("honours a cancelled signal and refuses calls once closed", async () => {
      const ws = await open();
      await driverStats(ws);
      await ws.features.ingest("driver_stats", [{ driver_id: 1, event_timestamp: T0, conv_rate: 0.5, trips: 1 }]);
      const controller = new AbortController();
      controller.abort();
      const e = await rejection(
        ws.features.getHistoricalFeatures({
          entityRows: [{ driver_id: 1, event_timestamp: T0 }],
          features: ["driver_stats:trips"],
          signal: controller.signal,
        }),
      );
      expect(e.code).toBe("CANCELLED");
      expect((await rejection(ws.features.ingest("driver_stats", [], { signal: controller.signal }))).code).toBe(
        "CANCELLED",
      );
      expect((await rejection(ws.features.materialize({ signal: controller.signal }))).code).toBe("CANCELLED");
      await ws.close();
      expect((await rejection(ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"]))).code).toBe(
        "UNAVAILABLE",
      );
    });
  });

  describe("empty inputs", () => {
    it("answers empty requests and empty views without errors", async () => {
      await using ws = await open();
      await driverStats(ws);
      const events: unknown[] = [];
      ws.events.on("features.ingested", (e) => events.push(e));
      expect(await ws.features.ingest("driver_stats", [])).toEqual({ rows: 0, chunks: 0 });
      expect(events).toEqual([]);
      expect(await ws.features.getOnlineFeatures([], ["driver_stats:trips"])).toEqual({ columns: ["trips"], rows: [] });
      const set = await ws.features.getHistoricalFeatures({ entityRows: [], features: ["driver_stats:trips"] });
      expect(set.rows).toEqual([]);
      expect(set.digest).toMatch(/^[0-9a-f]{64}$/);
      const stats = await ws.features.statistics("driver_stats");
      expect(stats.rows).toBe(0);
      expect(stats.features.trips).toMatchObject({ count: 0, missing: 0, missingShare: 0, kind: "empty" });
      expect(await ws.features.materialize()).toEqual([
        { view: "driver_stats", rows: 0, written: 0, until: expect.any(Number), resumed: false },
      ]);
      expect((await rejection(ws.features.getOnlineFeatures([{ driver_id: 1 }], []))).code).toBe("VALIDATION");
    });
  });

  describe("composite keys", () => {
    it("joins and serves views keyed by several join keys from two entities", async () => {
      const clock = manualClock(T0 + 10 * HOUR);
      await using ws = await open({ clock });
      await ws.features.applyEntity({ name: "city", joinKeys: { city: "string" } });
      await ws.features.applyEntity({
        name: "vehicle",
        joinKeys: [
          { name: "fleet", type: "string" },
          { name: "vehicle_id", type: "int" },
        ],
      });
      const view = await ws.features.applyFeatureView({
        name: "vehicle_city",
        entities: ["city", "vehicle"],
        schema: z.object({ rides: z.number().int() }),
      });
      expect(view.entities).toEqual(["city", "vehicle"]);
      await ws.features.ingest("vehicle_city", [
        { city: "oslo", fleet: "a", vehicle_id: 1, event_timestamp: T0, rides: 1 },
        { city: "oslo", fleet: "a", vehicle_id: 1, event_timestamp: T0 + HOUR, rides: 2 },
        { city: "oslo", fleet: "b", vehicle_id: 1, event_timestamp: T0, rides: 10 },
        { city: "rome", fleet: "a", vehicle_id: 1, event_timestamp: T0, rides: 100 },
      ]);
      const set = await ws.features.getHistoricalFeatures({
        entityRows: [
          { city: "oslo", fleet: "a", vehicle_id: 1, event_timestamp: T0 + 30 * 60_000 },
          { city: "oslo", fleet: "b", vehicle_id: 1, event_timestamp: T0 + 2 * HOUR },
          { city: "rome", fleet: "b", vehicle_id: 1, event_timestamp: T0 + 2 * HOUR },
        ],
        features: ["vehicle_city:rides"],
        record: false,
      });
      expect(set.rows.map((r) => r.rides)).toEqual([1, 10, null]);
      await ws.features.materialize();
      const online = await ws.features.getOnlineFeatures(
        [
          { city: "oslo", fleet: "a", vehicle_id: 1 },
          { city: "rome", fleet: "a", vehicle_id: 1 },
        ],
        ["vehicle_city:rides"],
      );
      expect(online.rows.map((r) => r.values.rides)).toEqual([2, 100]);
      const missing = await rejection(
        ws.features.getOnlineFeatures([{ city: "oslo", vehicle_id: 1 }], ["vehicle_city:rides"]),
      );
      expect(missing.issues[0].path).toEqual(["entityRows", 0, "fleet"]);
    });
  });

  describe("online serving", () => {
    it("honours TTL on read and returns event times; older pushes never replace newer values", async () => {
      const clock = manualClock(T0);
      await using ws = await open({ clock });
      await driverStats(ws, HOUR);
      const pushed = await ws.features.push(
        "driver_stats",
        [
          { driver_id: 1, event_timestamp: T0, conv_rate: 0.1, trips: 1 },
          { driver_id: 2, event_timestamp: T0 - 2 * HOUR, conv_rate: 0.2, trips: 2 },
        ],
        { to: "online" },
      );
      expect(pushed).toEqual({ rows: 2, online: 2 });
      expect(await ws.features.offline.count("driver_stats")).toBe(0);
      const got = await ws.features.getOnlineFeatures(
        [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }],
        ["driver_stats:trips", "driver_stats:conv_rate"],
      );
      expect(got.columns).toEqual(["trips", "conv_rate"]);
      expect(got.rows[0]).toEqual({
        values: { trips: 1, conv_rate: 0.1 },
        status: { trips: "present", conv_rate: "present" },
        eventTime: { trips: T0, conv_rate: T0 },
      });
      expect(got.rows[1]).toEqual({
        values: { trips: null, conv_rate: null },
        status: { trips: "expired", conv_rate: "expired" },
        eventTime: { trips: T0 - 2 * HOUR, conv_rate: T0 - 2 * HOUR },
      });
      expect(got.rows[2].status.trips).toBe("not_found");
      expect(got.rows[2].values.trips).toBeNull();

      // An older event does not replace the newer value.
      await ws.features.push("driver_stats", [{ driver_id: 1, event_timestamp: T0 - 1, conv_rate: 0.9, trips: 99 }], {
        to: "online",
      });
      expect(
        (await ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"])).rows[0].values.trips,
      ).toBe(1);
      // Time passes: the value expires at TTL.
      clock.set(T0 + HOUR);
      expect(
        (await ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"])).rows[0].status.trips,
      ).toBe("present");
      clock.set(T0 + HOUR + 1);
      expect(
        (await ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"])).rows[0].status.trips,
      ).toBe("expired");
      expect((await rejection(ws.features.getOnlineFeatures([{ driver_id: "1" }], ["driver_stats:trips"]))).code).toBe(
        "VALIDATION",
      );
    });

    it("reads one view's rows the same whether they are built by compiled literals or from the template", async () => {
      const clock = manualClock(T0);
      await using ws = await open({ clock });
      await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
      // Odd names (an index-like key, a space, punctuation) and a view too wide for compiled literals.
      const odd = ["b", "1", "with space", "x-y.z@w", "a"];
      const wide = Array.from({ length: 130 }, (_, i) => `w${i}`);
      for (const [name, features] of [
        ["odd", odd],
        ["wide", wide],
      ] as const) {
        await ws.features.applyFeatureView({
          name,
          entities: ["driver"],
          schema: z.object(Object.fromEntries(features.map((f) => [f, z.number().nullable().optional()]))),
          ttlMs: HOUR,
        });
        const row = (id: number, at: number) => ({
          driver_id: id,
          event_timestamp: at,
          ...Object.fromEntries(features.filter((_, i) => i !== 1).map((f, i) => [f, id * 100 + i])),
        });
        await ws.features.push(name, [row(1, T0), row(2, T0 - 2 * HOUR)], { to: "online" });
        for (const full of [false, true]) {
          const refs = [...features].reverse().map((f) => `${name}:${f}`);
          const got = await ws.features.getOnlineFeatures(
            [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }],
            refs,
            { fullFeatureNames: full },
          );
          const columns = [...features].reverse().map((f) => (full ? `${name}__${f}` : f));
          expect(got.columns).toEqual(columns);
          const stored = row(1, T0) as Record<string, unknown>;
          const expected = (f: string) => (stored[f] === undefined ? null : stored[f]);
          const byColumn = (v: (f: string) => unknown) =>
            Object.fromEntries([...features].reverse().map((f, i) => [columns[i], v(f)]));
          expect(got.rows[0]).toEqual({
            values: byColumn(expected),
            status: byColumn(() => "present"),
            eventTime: byColumn(() => T0),
          });
          expect(Object.keys(got.rows[0].values)).toEqual(Object.keys(byColumn(expected)));
          expect(got.rows[1]).toEqual({
            values: byColumn(() => null),
            status: byColumn(() => "expired"),
            eventTime: byColumn(() => T0 - 2 * HOUR),
          });
          expect(got.rows[2]).toEqual({
            values: byColumn(() => null),
            status: byColumn(() => "not_found"),
            eventTime: byColumn(() => null),
          });
        }
      }
    });

    it("pushes to offline, online or both", async () => {
      const clock = manualClock(T0);
      await using ws = await open({ clock });
      await driverStats(ws, 0);
      const row = (trips: number) => ({ driver_id: 5, event_timestamp: T0 + trips, conv_rate: 0, trips });
      await ws.features.push("driver_stats", [row(1)], { to: "offline" });
      expect(await ws.features.offline.count("driver_stats")).toBe(1);
      expect(
        (await ws.features.getOnlineFeatures([{ driver_id: 5 }], ["driver_stats:trips"])).rows[0].status.trips,
      ).toBe("not_found");
      await ws.features.push("driver_stats", [row(2), row(3)]);
      expect(await ws.features.offline.count("driver_stats")).toBe(3);
      expect(
        (await ws.features.getOnlineFeatures([{ driver_id: 5 }], ["driver_stats:trips"])).rows[0].values.trips,
      ).toBe(3);
      await ws.features.applyFeatureService({ name: "svc", features: ["driver_stats:trips"] });
      for (let i = 0; i < 2; i++) {
        const bySvc = await ws.features.getOnlineFeatures([{ driver_id: 5 }], { service: "svc" });
        expect(bySvc.columns).toEqual(["trips"]);
        expect(bySvc.rows[0].values).toEqual({ trips: 3 });
      }
      await ws.features.applyFeatureService({
        name: "svc",
        features: ["driver_stats:trips", "driver_stats:conv_rate"],
      });
      expect((await ws.features.getOnlineFeatures([{ driver_id: 5 }], { service: "svc" })).columns).toEqual([
        "trips",
        "conv_rate",
      ]);
      expect((await rejection(ws.features.push("driver_stats", [row(4)], { to: "nowhere" as "both" }))).code).toBe(
        "VALIDATION",
      );
    });
  });

  describe("on-demand features", () => {
    it("computes the same values for training sets and online reads (no skew)", async () => {
      const clock = manualClock(T0 + 100 * HOUR);
      await using ws = await open({ clock });
      await driverStats(ws, 0);
      const compute = ({ request, features }: { request: { bonus: number }; features: Record<string, unknown> }) => ({
        adjusted_rate: ((features.conv_rate as number | null) ?? 0) * 10 + request.bonus,
        busy: ((features.trips as number | null) ?? 0) > 5,
      });
      await ws.features.defineOnDemandFeatureView({
        name: "driver_derived",
        sources: ["driver_stats:conv_rate", "driver_stats:trips"],
        request: z.object({ bonus: z.number() }),
        schema: z.object({ adjusted_rate: z.number(), busy: z.boolean() }),
        compute,
      });
      const stored = Array.from({ length: 30 }, (_, i) => ({
        driver_id: i % 6,
        event_timestamp: T0 + i * HOUR,
        conv_rate: i % 4 === 0 ? null : i / 37,
        trips: i,
      }));
      await ws.features.ingest("driver_stats", stored);
      await ws.features.materialize();
      // Entity rows at a time after every event: the point-in-time values equal the online ones.
      const requests = Array.from({ length: 8 }, (_, i) => ({ driver_id: i, bonus: i * 0.25 }));
      const refs = ["driver_derived:adjusted_rate", "driver_derived:busy", "driver_stats:trips"];
      const training = await ws.features.getHistoricalFeatures({
        entityRows: requests.map((r) => ({ ...r, event_timestamp: T0 + 50 * HOUR })),
        features: refs,
        record: false,
      });
      const online = await ws.features.getOnlineFeatures(requests, refs);
      expect(online.columns).toEqual(training.columns);
      const offlineValues = training.rows.map((r) => ({
        adjusted_rate: r.adjusted_rate,
        busy: r.busy,
        trips: r.trips,
      }));
      expect(online.rows.map((r) => r.values)).toEqual(offlineValues);
      // And both equal the function applied by hand to the latest stored values.
      const latest = new Map(stored.map((s) => [s.driver_id, s]));
      expect(offlineValues).toEqual(
        requests.map((r) => {
          const s = latest.get(r.driver_id);
          return {
            ...compute({ request: r, features: { conv_rate: s?.conv_rate ?? null, trips: s?.trips ?? null } }),
            trips: s?.trips ?? null,
          };
        }),
      );
      const bad = await rejection(ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_derived:busy"]));
      expect(bad.code).toBe("VALIDATION");
      expect(bad.issues[0].path).toEqual(["entityRows", 0, "bonus"]);
    });
  });

  describe("statistics", () => {
    it("profiles a view in one streaming pass", async () => {
      await using ws = await open();
      await driverStats(ws);
      const rows = [1, 2, 3, 4, null].map((c, i) => ({
        driver_id: i,
        event_timestamp: T0 + i,
        conv_rate: c,
        trips: i * 10,
        ...(i < 3 ? { city: i === 2 ? "oslo" : "rome" } : {}),
      }));
      await ws.features.ingest("driver_stats", rows);
      const stats = await ws.features.statistics("driver_stats", { quantiles: [0, 0.5, 0.9] });
      expect(stats).toMatchObject({ view: "driver_stats", version: 1, rows: 5, from: T0, to: T0 + 4 });
      const conv = stats.features.conv_rate;
      expect(conv).toMatchObject({
        count: 4,
        missing: 1,
        missingShare: 0.2,
        kind: "numeric",
        min: 1,
        max: 4,
        mean: 2.5,
      });
      expect(conv.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
      expect(conv.quantiles).toEqual({ "0": 1, "0.5": 2.5, "0.9": 3.7 });
      expect(stats.features.trips.mean).toBe(20);
      expect(stats.features.city).toMatchObject({
        kind: "categorical",
        count: 3,
        missing: 2,
        topCategories: [
          { value: "rome", count: 2 },
          { value: "oslo", count: 1 },
        ],
      });
      const late = await ws.features.statistics("driver_stats", { since: T0 + 2 });
      expect(late.rows).toBe(2);
      expect((await rejection(ws.features.statistics("driver_stats", { quantiles: [2] }))).code).toBe("VALIDATION");
    });
  });
});

describe("definitions survive a reopened SQLite workspace", () => {
  it("validates rows with the stored JSON Schema after a restart", async () => {
    const { openWorkspace } = await import("../../src/index.js");
    const { tempDir } = await import("../helpers.js");
    const dir = `${tempDir("mlcycle-features-")}/reopened`;
    {
      await using ws = await openWorkspace(dir);
      await driverStats(ws);
    }
    await using ws = await openWorkspace(dir);
    expect((await ws.features.getFeatureView("driver_stats")).version).toBe(1);
    await ws.features.ingest("driver_stats", [{ driver_id: 1, event_timestamp: T0, conv_rate: null, trips: 2 }]);
    const e = await rejection(
      ws.features.ingest("driver_stats", [{ driver_id: 1, event_timestamp: T0, conv_rate: 1, trips: 2.5 }]),
    );
    expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    expect(e.issues[0].path).toEqual([0, "trips"]);
  });
});

describe("stores chosen by the caller", () => {
  it("serves from a separate SQLite online store prepared with sqlStore(db).init()", async () => {
    const { createWorkspace, openSqliteDatabase, sqlStore, sqliteOnlineStore } = await import("../../src/index.js");
    const db = openSqliteDatabase({ path: ":memory:" });
    await sqlStore(db, { ownsDatabase: false }).init?.();
    await using ws = await createWorkspace({ online: sqliteOnlineStore(db) });
    await driverStats(ws, 0);
    await ws.features.push("driver_stats", [{ driver_id: 3, event_timestamp: T0, conv_rate: 0.3, trips: 3 }]);
    expect((await ws.features.getOnlineFeatures([{ driver_id: 3 }], ["driver_stats:trips"])).rows[0].values).toEqual({
      trips: 3,
    });
    const raw = db.sqlite!.prepare("select entity_key, values_json from feature_online_values").all();
    expect(raw).toEqual([{ entity_key: "3", values_json: JSON.stringify({ conv_rate: 0.3, trips: 3 }) }]);
    await db.close();
  });
});

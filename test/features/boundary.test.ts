import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  decodeEntityKey,
  EventBus,
  type FeatureEvents,
  FeatureStore,
  isMlcycleError,
  memoryOfflineStore,
  memoryOnlineStore,
  memoryStore,
  systemClock,
  type MlcycleError,
  StatisticsAccumulator,
  toEpochMs,
  type Workspace,
} from "../../src/index.js";
import { featureWorkspaces } from "./workspaces.js";

// Regression tests of issue 9 for the feature store: values silently accepted, arguments that
// escaped as raw TypeErrors, and calls after close. Each runs on the memory and SQLite workspaces.

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<MlcycleError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (!isMlcycleError(e)) throw new Error(`expected an MlcycleError, got ${String(e)}`, { cause: e });
    return e;
  }
  throw new Error("expected a rejection");
}

async function validation(p: Promise<unknown> | (() => unknown), path?: PropertyKey[]): Promise<MlcycleError> {
  const e = await rejection(p);
  expect(e.code, e.message).toBe("VALIDATION");
  if (path) expect(e.issues[0]?.path).toEqual(path);
  return e;
}

async function setup(ws: Workspace) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyEntity({ name: "customer", joinKeys: { customer_id: "string" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema: z.object({ trips: z.number().int(), extra: z.any().optional() }),
    ttlMs: 2 * HOUR,
  });
  await ws.features.applyFeatureView({
    name: "customer_profile",
    entities: ["customer"],
    schema: z.object({ age: z.number() }),
  });
}

describe.each(featureWorkspaces())("feature store boundary on %s", (_name, open) => {
  describe("times outside the Date range or not integers were accepted and served as present", () => {
    it("refuses event and created times of 1e20, 1.5, NaN and an invalid Date, naming row and field", async () => {
      await using ws = await open();
      await setup(ws);
      const row = (extra: Record<string, unknown>) => ({ driver_id: 1, event_timestamp: T0, trips: 1, ...extra });
      for (const bad of [1e20, -1e20, 1.5, Number.NaN, Number.POSITIVE_INFINITY, new Date(Number.NaN)]) {
        const e = await validation(ws.features.ingest("driver_stats", [row({}), row({ event_timestamp: bad })]), [
          1,
          "event_timestamp",
        ]);
        expect(e.message).toContain("row 1 of 'driver_stats'");
        expect(e.message).toContain("event_timestamp");
        expect(e.details).toMatchObject({ view: "driver_stats", rowIndex: 1, field: "event_timestamp" });
        const c = await validation(ws.features.ingest("driver_stats", [row({ created_timestamp: bad })]), [
          0,
          "created_timestamp",
        ]);
        expect(c.message).toContain("created_timestamp");
        await validation(ws.features.push("driver_stats", [row({ driver_id: 2, event_timestamp: bad })]), [
          0,
          "event_timestamp",
        ]);
      }
      // Nothing of those rows reached either store: driver 2 is not served as present.
      expect(await ws.features.offline.count("driver_stats")).toBe(0);
      const online = await ws.features.getOnlineFeatures([{ driver_id: 2 }], ["driver_stats:trips"]);
      expect(online.rows[0].status.trips).toBe("not_found");
      // The edges of the Date range are times.
      await ws.features.ingest("driver_stats", [row({ event_timestamp: 8.64e15 }), row({ event_timestamp: -8.64e15 })]);
      expect(await ws.features.offline.count("driver_stats")).toBe(2);
    });

    it("refuses such times in entity rows, materialisation windows and statistics windows", async () => {
      await using ws = await open();
      await setup(ws);
      for (const bad of [1e20, 1.5]) {
        await validation(
          ws.features.getHistoricalFeatures({
            entityRows: [{ driver_id: 1, event_timestamp: bad }],
            features: ["driver_stats:trips"],
          }),
          ["entityRows", 0, "event_timestamp"],
        );
        await validation(ws.features.materialize({ end: bad }), ["end"]);
        await validation(ws.features.materialize({ start: bad }), ["start"]);
        await validation(ws.features.statistics("driver_stats", { since: bad }), ["since"]);
      }
      expect(() => toEpochMs(1.5, ["t"])).toThrow(/integer/);
    });
  });

  describe("out-of-range options were accepted", () => {
    it("refuses materialize({ start > end })", async () => {
      await using ws = await open();
      await setup(ws);
      const e = await validation(ws.features.materialize({ start: T0 + 1, end: T0 }), ["start"]);
      expect(e.message).toContain("after end");
      // An empty window of equal ends is fine.
      await ws.features.materialize({ start: T0, end: T0 });
      // An incremental run takes no start (it was silently ignored).
      const inc = await validation(ws.features.materializeIncremental({ start: T0 } as never));
      expect(inc.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["start"] });
    });

    it("refuses statistics({ sampleSize: -1 }), fractional sizes and quantiles outside [0, 1]", async () => {
      await using ws = await open();
      await setup(ws);
      const e = await validation(ws.features.statistics("driver_stats", { sampleSize: -1 }), ["sampleSize"]);
      expect(e.issues[0]).toMatchObject({ code: "too_small", minimum: 1 });
      expect(e.message).toContain("sampleSize");
      await validation(ws.features.statistics("driver_stats", { sampleSize: 1.5 }), ["sampleSize"]);
      await validation(ws.features.statistics("driver_stats", { sampleSize: 0 }), ["sampleSize"]);
      await validation(ws.features.statistics("driver_stats", { maxCategories: 0 }), ["maxCategories"]);
      await validation(ws.features.statistics("driver_stats", { topK: -1 }), ["topK"]);
      await validation(ws.features.statistics("driver_stats", { seed: 0.5 }), ["seed"]);
      await validation(ws.features.statistics("driver_stats", { quantiles: [2] }), ["quantiles", 0]);
      await validation(ws.features.statistics("driver_stats", { quantiles: 5 as never }), ["quantiles"]);
      await validation(ws.features.statistics("driver_stats", { sampleSzie: 5 } as never));
      // The accumulator, public on its own, checks the same options.
      await validation(() => new StatisticsAccumulator(["x"], { sampleSize: -1 }), ["sampleSize"]);
    });

    it("refuses a non-integer or negative ttlMs", async () => {
      await using ws = await open();
      await setup(ws);
      const schema = z.object({ x: z.number() });
      for (const ttlMs of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, "60000" as never])
        await validation(ws.features.applyFeatureView({ name: "v", entities: ["driver"], schema, ttlMs }), ["ttlMs"]);
      expect((await ws.features.applyFeatureView({ name: "v", entities: ["driver"], schema, ttlMs: 0 })).ttlMs).toBe(0);
    });

    it("refuses entity and view names containing the feature-reference separator ':'", async () => {
      await using ws = await open();
      await setup(ws);
      const e = await validation(ws.features.applyEntity({ name: "a:b", joinKeys: { k: "int" } }), ["name"]);
      expect(e.message).toContain("':'");
      await validation(
        ws.features.applyFeatureView({ name: "a:b", entities: ["driver"], schema: z.object({ x: z.number() }) }),
        ["name"],
      );
      await validation(ws.features.applyFeatureService({ name: "a:b", features: ["driver_stats:trips"] }), ["name"]);
    });

    it("refuses chunk sizes that are not positive integers", async () => {
      await using ws = await open();
      await setup(ws);
      for (const chunkSize of [0, 0.5, -1, 2_000_000]) {
        await validation(ws.features.ingest("driver_stats", [], { chunkSize }), ["chunkSize"]);
        await validation(ws.features.materialize({ chunkSize }), ["chunkSize"]);
      }
    });
  });

  describe("arguments of the wrong type escaped as raw TypeErrors", () => {
    it("listEntities({ query: 5 }) and the other list filters", async () => {
      await using ws = await open();
      await setup(ws);
      const e = await validation(ws.features.listEntities({ query: 5 as never }), ["filter", "query"]);
      expect(e.message).toContain("filter.query");
      await validation(ws.features.listEntities(5 as never), ["filter"]);
      await validation(ws.features.listFeatureViews({ tags: 5 as never }), ["filter", "tags"]);
      await validation(ws.features.listFeatureServices({ owner: [] as never }), ["filter", "owner"]);
      await validation(ws.features.listFeatureViews({ entitty: "driver" } as never), ["filter"]);
      await validation(ws.features.search(5 as never), ["query"]);
      expect((await ws.features.listEntities({ query: "DRIV" })).map((x) => x.name)).toEqual(["driver"]);
    });

    it('ingest("fv", 5 | null | "x") and push likewise', async () => {
      await using ws = await open();
      await setup(ws);
      for (const rows of [5, null, undefined, "x", { driver_id: 1 }, true]) {
        const e = await validation(ws.features.ingest("driver_stats", rows as never), ["rows"]);
        expect(e.message).toContain("rows");
        await validation(ws.features.push("driver_stats", rows as never), ["rows"]);
      }
      await validation(ws.features.ingest("driver_stats", [5, null] as never), [0]);
      await validation(ws.features.ingest("driver_stats", [], 5 as never));
      await validation(ws.features.ingest("driver_stats", [], { signal: "stop" } as never), ["signal"]);
      await validation(ws.features.push("driver_stats", [], 5 as never));
      await validation(ws.features.push("driver_stats", [], { to: "nowhere" as never }), ["to"]);
      await validation(ws.features.ingest(5 as never, []), ["view"]);
      await validation(ws.features.push(null as never, []), ["view"]);
    });

    it("getHistoricalFeatures({ entityRows: 5 }) and other shapes", async () => {
      await using ws = await open();
      await setup(ws);
      const features = ["driver_stats:trips"];
      await validation(ws.features.getHistoricalFeatures({ entityRows: 5 as never, features }), ["entityRows"]);
      await validation(ws.features.getHistoricalFeatures({ entityRows: null as never, features }), ["entityRows"]);
      await validation(ws.features.getHistoricalFeatures(5 as never));
      await validation(ws.features.getHistoricalFeatures(undefined as never));
      await validation(ws.features.getHistoricalFeatures({ entityRows: [null], features } as never), ["entityRows", 0]);
      await validation(ws.features.getHistoricalFeatures({ entityRows: [], features, record: "yes" as never }), [
        "record",
      ]);
      await validation(ws.features.getHistoricalFeatures({ entityRows: [], features, fullFeatureName: true } as never));
    });

    it("getOnlineFeatures(5, ...), null entity rows, wrong options", async () => {
      await using ws = await open();
      await setup(ws);
      const features = ["driver_stats:trips"];
      await validation(ws.features.getOnlineFeatures(5 as never, features), ["entityRows"]);
      await validation(ws.features.getOnlineFeatures([null] as never, features), ["entityRows", 0]);
      await validation(ws.features.getOnlineFeatures(["x"] as never, features), ["entityRows", 0]);
      await validation(ws.features.getOnlineFeatures([], features, 5 as never));
      await validation(ws.features.getOnlineFeatures([], features, { fullFeatureNames: "yes" as never }), [
        "fullFeatureNames",
      ]);
    });

    it("wrong feature-reference shapes", async () => {
      await using ws = await open();
      await setup(ws);
      const rows = [{ driver_id: 1, event_timestamp: T0 }];
      for (const features of [
        5,
        "driver_stats:trips",
        [5],
        [["driver_stats:trips"]],
        {},
        { service: 5 },
        [":x"],
        ["v:"],
      ])
        for (const call of [
          () => ws.features.getOnlineFeatures(rows, features as never),
          () => ws.features.getHistoricalFeatures({ entityRows: rows, features: features as never }),
          () => ws.features.applyFeatureService({ name: "s", features: features as never }),
        ])
          await validation(call);
    });

    it("names and definition inputs of the wrong type", async () => {
      await using ws = await open();
      await setup(ws);
      for (const name of [5, null, undefined, ""]) {
        await validation(ws.features.getEntity(name as never), ["name"]);
        await validation(ws.features.getFeatureView(name as never), ["name"]);
        await validation(ws.features.getFeatureService(name as never), ["name"]);
        await validation(ws.features.deleteFeatureView(name as never), ["name"]);
        await validation(ws.features.materializationState(name as never), ["view"]);
        await validation(ws.features.statistics(name as never), ["view"]);
      }
      await validation(ws.features.deleteFeatureView("driver_stats", { keepData: "no" as never }), ["keepData"]);
      for (const input of [5, null, "driver", []]) {
        await validation(ws.features.applyEntity(input as never), ["entity"]);
        await validation(ws.features.applyFeatureView(input as never), ["featureView"]);
        await validation(ws.features.applyFeatureService(input as never), ["featureService"]);
        await validation(ws.features.defineOnDemandFeatureView(input as never), ["onDemandFeatureView"]);
      }
      await validation(ws.features.applyEntity({ name: "e", joinKeys: [null] as never }), ["joinKeys.0.name"]);
      await validation(ws.features.materialize({ views: "driver_stats" as never }), ["views"]);
      await validation(ws.features.materialize({ onProgress: 5 as never }), ["onProgress"]);
      await validation(ws.features.materialize(5 as never));
    });

    it("feature values JSON cannot carry (they came back changed from SQLite, or failed raw)", async () => {
      await using ws = await open();
      await setup(ws);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const extra of [1n, cyclic, new Date(T0), new Map(), [1, undefined], { n: Number.NaN }, () => 1]) {
        const e = await validation(
          ws.features.ingest("driver_stats", [{ driver_id: 1, event_timestamp: T0, trips: 1, extra }]),
          [0, "extra"],
        );
        expect(e.details).toMatchObject({ view: "driver_stats", rowIndex: 0, field: "extra" });
      }
      await ws.features.ingest("driver_stats", [
        { driver_id: 1, event_timestamp: T0, trips: 1, extra: { a: [1, "b", null, { c: true }] } },
      ]);
      const set = await ws.features.getHistoricalFeatures({
        entityRows: [{ driver_id: 1, event_timestamp: T0 }],
        features: ["driver_stats:extra"],
        record: false,
      });
      expect(set.rows[0].extra).toEqual({ a: [1, "b", null, { c: true }] });
    });
  });

  describe("strings Date.parse reads loosely were stored as another time", () => {
    it('refuses "12" (December 2001) and zone-less date-times (the machine\'s time zone); takes ISO-8601', async () => {
      await using ws = await open();
      await setup(ws);
      const row = (event_timestamp: unknown) => ({ driver_id: 1, event_timestamp, trips: 1 });
      for (const bad of ["12", "1", "May 1", "2024-05-01T10:00", "2024-05-01 10:00:00", "1714557600000", "yesterday"]) {
        const e = await validation(ws.features.ingest("driver_stats", [row(bad)]), [0, "event_timestamp"]);
        expect(e.message).toContain("row 0 of 'driver_stats'");
      }
      await validation(
        ws.features.getHistoricalFeatures({
          entityRows: [{ driver_id: 1, event_timestamp: "12" }],
          features: ["driver_stats:trips"],
        }),
        ["entityRows", 0, "event_timestamp"],
      );
      await validation(ws.features.materialize({ end: "2024-05-01T10:00" }), ["end"]);
      const good = ["2024-05-01", "2024-05-01T10:00Z", "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000123Z"];
      await ws.features.ingest("driver_stats", good.map(row));
      const rows: number[] = [];
      for await (const page of ws.features.offline.scan("driver_stats"))
        rows.push(...page.rows.map((r) => r.eventTime));
      expect(rows).toEqual([Date.UTC(2024, 4, 1), ...[0, 0, 0].map(() => Date.UTC(2024, 4, 1, 10))]);
    });
  });

  describe("other windows and helpers of the module", () => {
    it("refuses statistics({ since > until }) instead of answering an empty profile", async () => {
      await using ws = await open();
      await setup(ws);
      await validation(ws.features.statistics("driver_stats", { since: T0 + 1, until: T0 }), ["since"]);
      expect((await ws.features.statistics("driver_stats", { since: T0, until: T0 })).rows).toBe(0);
    });

    it("checks the arguments of the public helpers (accumulator rows, entity keys)", async () => {
      const acc = new StatisticsAccumulator(["x"]);
      await validation(() => acc.add(null as never, 0), ["values"]);
      await validation(() => acc.add({ x: 1 }, "t" as never), ["eventTime"]);
      const keys = [{ name: "driver_id", type: "int" as const }];
      expect(decodeEntityKey(keys, "12")).toEqual({ driver_id: 12 });
      await validation(() => decodeEntityKey(keys, "{nope"), ["key"]);
      await validation(
        () =>
          decodeEntityKey(
            [
              { name: "a", type: "int" },
              { name: "b", type: "string" },
            ],
            "5",
          ),
        ["key"],
      );
    });
  });

  describe("-0 came back as -0 from memory and 0 from SQLite", () => {
    it("serves a -0 feature value as 0 from both stores, offline and online", async () => {
      await using ws = await open();
      await setup(ws);
      // Recent enough to be within the view's TTL when read online.
      const now = Date.now();
      await ws.features.push("driver_stats", [{ driver_id: 1, event_timestamp: now, trips: -0 }]);
      const set = await ws.features.getHistoricalFeatures({
        entityRows: [{ driver_id: 1, event_timestamp: now }],
        features: ["driver_stats:trips"],
        record: false,
      });
      expect(Object.is(set.rows[0].trips, 0)).toBe(true);
      const online = await ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"]);
      expect(online.rows[0].status.trips).toBe("present");
      expect(Object.is(online.rows[0].values.trips, 0)).toBe(true);
    });
  });

  describe("a join key typed string refuses a number", () => {
    it("says which key, the type expected and the type found", async () => {
      await using ws = await open();
      await setup(ws);
      const e = await validation(ws.features.getOnlineFeatures([{ customer_id: 5 }], ["customer_profile:age"]), [
        "entityRows",
        0,
        "customer_id",
      ]);
      expect(e.message).toContain("'customer_id'");
      expect(e.message).toContain("string");
      expect(e.message).toContain("number 5");
      expect(e.issues[0]).toMatchObject({ code: "invalid_type", expected: "string", received: "number" });
      expect(e.details).toMatchObject({ joinKey: "customer_id", expected: "string", received: "number" });
      const ingest = await validation(
        ws.features.ingest("customer_profile", [{ customer_id: 5, event_timestamp: T0, age: 3 }]),
        [0, "customer_id"],
      );
      expect(ingest.details).toMatchObject({ joinKey: "customer_id", expected: "string", received: "number" });
      const int = await validation(
        ws.features.ingest("driver_stats", [{ driver_id: "7", event_timestamp: T0, trips: 1 }]),
        [0, "driver_id"],
      );
      expect(int.details).toMatchObject({ joinKey: "driver_id", expected: "int", received: "string" });
      const frac = await validation(ws.features.getOnlineFeatures([{ driver_id: 1.5 }], ["driver_stats:trips"]), [
        "entityRows",
        0,
        "driver_id",
      ]);
      expect(frac.details).toMatchObject({ received: "non-integer number" });
    });
  });

  describe("calls after close gave raw driver errors or another message", () => {
    it("gives the one closed error for every method and both store getters", async () => {
      const ws = await open();
      await setup(ws);
      await ws.close();
      const schema = z.object({ x: z.number() });
      const calls: Array<[string, () => unknown]> = [
        ["applyEntity", () => ws.features.applyEntity({ name: "e", joinKeys: { k: "int" } })],
        ["getEntity", () => ws.features.getEntity("driver")],
        ["listEntities", () => ws.features.listEntities()],
        ["listEntities bad", () => ws.features.listEntities({ query: 5 as never })],
        ["applyFeatureView", () => ws.features.applyFeatureView({ name: "v", entities: ["driver"], schema })],
        ["getFeatureView", () => ws.features.getFeatureView("driver_stats")],
        ["listFeatureViews", () => ws.features.listFeatureViews()],
        ["applyFeatureService", () => ws.features.applyFeatureService({ name: "s", features: ["driver_stats:trips"] })],
        ["getFeatureService", () => ws.features.getFeatureService("s")],
        ["listFeatureServices", () => ws.features.listFeatureServices()],
        ["search", () => ws.features.search("d")],
        ["deleteFeatureView", () => ws.features.deleteFeatureView("driver_stats")],
        [
          "defineOnDemandFeatureView",
          () =>
            ws.features.defineOnDemandFeatureView({
              name: "od",
              sources: ["driver_stats:trips"],
              schema,
              compute: () => ({ x: 1 }),
            }),
        ],
        ["ingest", () => ws.features.ingest("driver_stats", [])],
        ["ingest bad", () => ws.features.ingest("driver_stats", 5 as never)],
        ["push", () => ws.features.push("driver_stats", [])],
        [
          "getHistoricalFeatures",
          () => ws.features.getHistoricalFeatures({ entityRows: [], features: ["driver_stats:trips"] }),
        ],
        ["getOnlineFeatures", () => ws.features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"])],
        ["materialize", () => ws.features.materialize()],
        ["materializeIncremental", () => ws.features.materializeIncremental()],
        ["materializationState", () => ws.features.materializationState("driver_stats")],
        ["statistics", () => ws.features.statistics("driver_stats")],
        ["offline", () => ws.features.offline],
        ["online", () => ws.features.online],
      ];
      for (const [name, call] of calls) {
        const e = await rejection(async () => call());
        expect([name, e.code, e.details.closed]).toEqual([name, "UNAVAILABLE", true]);
      }
      await ws.features.close();
    });

    it("gives the closed error to an ingestion whose workspace closes under it", async () => {
      const ws = await open();
      await setup(ws);
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      async function* rows() {
        yield { driver_id: 1, event_timestamp: T0, trips: 1 };
        await gate;
        yield { driver_id: 1, event_timestamp: T0 + 1, trips: 2 };
      }
      const running = ws.features.ingest("driver_stats", rows(), { chunkSize: 1 });
      await new Promise((r) => setTimeout(r, 20));
      await ws.close();
      release();
      const e = await rejection(running);
      expect([e.code, e.details.closed]).toEqual(["UNAVAILABLE", true]);
    });
  });
});

describe("FeatureStoreOptions", () => {
  it("refuses a definitionCacheMs out of range or fractional and a missing port, naming the option", async () => {
    const metadata = memoryStore();
    const options = {
      registry: metadata.features,
      lineage: metadata.lineage,
      offline: memoryOfflineStore(),
      online: memoryOnlineStore(),
      events: new EventBus<FeatureEvents>(),
      clock: systemClock,
    };
    for (const definitionCacheMs of [-1, 0.5, 1e12, Number.NaN])
      await validation(() => new FeatureStore({ ...options, definitionCacheMs }), ["definitionCacheMs"]);
    await validation(() => new FeatureStore({ ...options, registry: undefined as never }), ["registry"]);
    await validation(() => new FeatureStore({ ...options, clock: {} as never }), ["clock"]);
    await validation(() => new FeatureStore(undefined as never));
    const store = new FeatureStore({ ...options, definitionCacheMs: 0 });
    await store.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await store.close();
    expect((await rejection(store.getEntity("driver"))).details.closed).toBe(true);
  });
});

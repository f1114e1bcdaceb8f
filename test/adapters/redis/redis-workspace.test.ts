// A workspace with metadata and offline rows in SQLite and online values in Redis
// (`createWorkspace({ ...sqliteBackend(...), online: redisOnlineStore({ client }) })`) serves
// ws.features the same online answers as the all-SQLite workspace: materialised values, late
// corrections, TTL expiry, absent entities, push, deletion of a view.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { redisOnlineStore } from "../../../src/adapters/redis/index.js";
import { createWorkspace, manualClock, sqliteBackend, type Workspace } from "../../../src/index.js";
import { REDIS_URL, service } from "../../services.js";
import { keysUnder, testPrefixes } from "./redis-test-keys.js";

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const DRIVERS = 25;

async function setUp(ws: Workspace): Promise<void> {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    ttlMs: 30 * MIN,
    schema: z.object({ trips: z.number().int(), rate: z.number(), city: z.string().nullable() }),
  });
  const rows: Array<Record<string, unknown>> = [];
  for (let t = 0; t < 4; t++)
    for (let d = 0; d < DRIVERS; d++)
      rows.push({
        driver_id: d,
        // Drivers 0–4 stop reporting early: their latest value is past the 30-minute TTL at T0 + 60 min.
        event_timestamp: T0 + (d < 5 ? t : t * 15) * MIN,
        created_timestamp: T0 + t * 15 * MIN,
        trips: t * 100 + d,
        rate: d / DRIVERS,
        city: d % 3 === 0 ? null : `city-${d % 4}`,
      });
  // Late corrections: same event time, later created time.
  for (let d = 0; d < DRIVERS; d += 6)
    rows.push({
      driver_id: d,
      event_timestamp: T0 + (d < 5 ? 3 : 45) * MIN,
      created_timestamp: T0 + 50 * MIN,
      trips: -d,
      rate: 1,
      city: "fixed",
    });
  await ws.features.ingest("driver_stats", rows.reverse());
}

const features = ["driver_stats:trips", "driver_stats:rate", "driver_stats:city"];
const entities = Array.from({ length: DRIVERS + 2 }, (_, d) => ({ driver_id: d }));

describe.runIf(await service("Redis", REDIS_URL))("a SQLite workspace with its online store in Redis", () => {
  let client: Redis;
  const prefixes = testPrefixes("mlc_ws");
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await prefixes.drop(client);
    client.disconnect();
  });

  it("answers ws.features online reads as the all-SQLite workspace does", async () => {
    const clock = manualClock(T0 + 60 * MIN);
    const prefix = prefixes.next();
    await using onRedis = await createWorkspace({
      ...sqliteBackend({ path: ":memory:" }),
      online: redisOnlineStore({ client, prefix }),
      clock,
    });
    await using onSqlite = await createWorkspace({ ...sqliteBackend({ path: ":memory:" }), clock });

    const answers = [];
    for (const ws of [onRedis, onSqlite]) {
      await setUp(ws);
      const [run] = await ws.features.materialize({ chunkSize: 7 });
      expect(run.rows).toBe(4 * DRIVERS + 5);
      const first = await ws.features.getOnlineFeatures(entities, features);
      const one = await ws.features.getOnlineFeatures([{ driver_id: 13 }], features, { fullFeatureNames: true });
      // Pushed rows reach the online store at once; an older pushed row does not replace a newer one.
      await ws.features.push(
        "driver_stats",
        [
          { driver_id: 7, event_timestamp: T0 + 59 * MIN, trips: 777, rate: 0.7, city: "pushed" },
          { driver_id: 8, event_timestamp: T0, trips: -888, rate: 0, city: "stale" },
          { driver_id: 99, event_timestamp: T0 + 59 * MIN, trips: 99, rate: 0.9, city: null },
        ],
        { to: "online" },
      );
      const pushed = await ws.features.getOnlineFeatures([...entities, { driver_id: 99 }], features);
      clock.set(T0 + 200 * MIN);
      const later = await ws.features.getOnlineFeatures(entities, features);
      await ws.features.deleteFeatureView("driver_stats");
      clock.set(T0 + 60 * MIN);
      answers.push({ first, one, pushed, later });
    }
    const [redis, sqlite] = answers;
    expect(redis).toEqual(sqlite);
    // The answers hold what the test is about.
    const statuses = redis.first.rows.map((r) => r.status.trips);
    expect(statuses.filter((s) => s === "expired")).toHaveLength(5);
    expect(statuses.filter((s) => s === "not_found")).toHaveLength(2);
    expect(redis.first.rows[6].values).toEqual({ trips: -6, rate: 1, city: "fixed" });
    expect(redis.one.rows[0].values).toEqual({
      driver_stats__trips: 313,
      driver_stats__rate: 13 / DRIVERS,
      driver_stats__city: "city-1",
    });
    expect(redis.pushed.rows[7].values.trips).toBe(777);
    expect(redis.pushed.rows[8].values.trips).toBe(308);
    expect(redis.pushed.rows[DRIVERS + 2].values.trips).toBe(99);
    expect(redis.later.rows.every((r) => r.status.trips !== "present")).toBe(true);
    // Deleting the view removed its keys from Redis.
    expect(await keysUnder(client, prefix)).toEqual([]);
  });
});

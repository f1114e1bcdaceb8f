/**
 * Online reads on Redis, beside a raw baseline in the same run:
 *
 * 1. `RedisOnlineStore.read` of a batch of entity keys (one pipelined HMGET per key, decoded into
 *    records) against the same HMGETs sent by hand on the same ioredis client — a pipeline for a
 *    batch, one HMGET for a single key, exactly what the store sends — both as raw strings and
 *    decoded as the store decodes them (Number + JSON.parse). Rounds alternate between the sides
 *    so both see the same load; the median round of each. Target: store ≤ 1.3× raw.
 * 2. The same batches through `ws.features.getOnlineFeatures` (plan, entity keys, TTL, statuses),
 *    for the cost of the whole online read path on Redis.
 *
 * Needs the Redis of the test setup (MLCYCLE_TEST_REDIS_URL, default redis://127.0.0.1:6379); it
 * writes under a key prefix of its own and deletes it at the end. When Redis does not answer, the bench
 * records nothing and says why (and fails instead under MLCYCLE_REQUIRE_SERVICES=1, as the tests do).
 *
 *   npm run bench -- scaleout
 *   ENTITIES=10000 npx tsx bench/scaleout-redis.bench.ts
 */
import { Redis } from "ioredis";
import { z } from "zod";
import { escapeGlob, RedisOnlineStore } from "mlcycle/redis";
import { createWorkspace, type OnlineWrite } from "mlcycle";
import { record, size, skip } from "./report.js";

const URL = process.env.MLCYCLE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ENTITIES = Number(process.env.ENTITIES ?? size(100_000, 2_000));
const BATCHES = [1, 10, 100, 1000];
const FIELDS = ["e", "c", "v"];

/** µs per call of each side, in alternating rounds: the median round of each, in wall and in CPU time. */
async function alternate(
  rounds: number,
  perRound: number,
  sides: Array<(i: number) => Promise<unknown>>,
): Promise<Array<{ wall: number; cpu: number }>> {
  const wall: number[][] = sides.map(() => []);
  const cpu: number[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < sides.length; s++) {
      const k = (s + r) % sides.length;
      const t = performance.now();
      const c = process.cpuUsage();
      for (let i = 0; i < perRound; i++) await sides[k](r * perRound + i);
      const used = process.cpuUsage(c);
      wall[k].push(((performance.now() - t) * 1000) / perRound);
      cpu[k].push((used.user + used.system) / perRound);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return sides.map((_, k) => ({ wall: median(wall[k]), cpu: median(cpu[k]) }));
}

async function main(): Promise<void> {
  const client = new Redis(URL, { maxRetriesPerRequest: 1 });
  try {
    await client.ping();
  } catch (e) {
    const reason = `Redis at ${URL} does not answer (${(e as Error).message}): start it, or set MLCYCLE_TEST_REDIS_URL`;
    client.disconnect();
    if (process.env.MLCYCLE_REQUIRE_SERVICES === "1") {
      console.log(reason);
      process.exitCode = 1;
    } else skip(reason);
    return;
  }
  const prefix = `mlcycle_bench_${process.pid}_${Date.now().toString(36)}`;
  try {
    const store = new RedisOnlineStore({ client, prefix });
    const view = "driver_stats";
    const t0 = performance.now();
    for (let from = 0; from < ENTITIES; from += 10_000) {
      const batch: OnlineWrite[] = [];
      for (let d = from; d < Math.min(ENTITIES, from + 10_000); d++)
        batch.push({
          entityKey: String(d),
          eventTime: Date.now(),
          createdTime: Date.now(),
          values: { trips: d % 1000, rate: (d % 97) / 97, city: `city-${d % 50}`, active: d % 2 === 0 },
        });
      await store.write(view, batch);
    }
    const writeMs = performance.now() - t0;
    record({
      name: `RedisOnlineStore.write of ${ENTITIES.toLocaleString("en")} records`,
      value: (ENTITIES / writeMs) * 1000,
      unit: "/s",
      note: "newest-wins script, 1,000 per call",
    });

    const base = store.layout.viewPrefix(view);
    let seed = 7;
    const key = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return String(seed % ENTITIES);
    };
    const rawStrings = async (keys: string[]) => {
      if (keys.length === 1) return [await client.hmget(base + keys[0], ...FIELDS)];
      const p = client.pipeline();
      for (const k of keys) p.hmget(base + k, ...FIELDS);
      return (await p.exec())?.map(([error, fields]) => {
        if (error) throw error;
        return fields as Array<string | null>;
      });
    };
    const rawDecoded = async (keys: string[]) =>
      (await rawStrings(keys))?.map(([e, c, v]) =>
        e === null ? undefined : { eventTime: Number(e), createdTime: Number(c), values: JSON.parse(v as string) },
      );

    // Every key read is present: the batches measure full replies, not misses.
    const check = await store.read(view, Array.from({ length: 1000 }, key));
    if (check.some((r) => r === undefined)) throw new Error("a key of the read batches is absent");

    const both = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(1)} µs wall, ${x.cpu.toFixed(1)} µs CPU`;
    for (const n of BATCHES) {
      const pool = Array.from({ length: 64 }, () => Array.from({ length: n }, key));
      const perRound = Math.max(5, Math.round(size(4000, 400) / n));
      const [s, r, d] = await alternate(size(n >= 1000 ? 31 : 41, 3), perRound, [
        (i) => store.read(view, pool[i & 63]),
        (i) => rawStrings(pool[i & 63]),
        (i) => rawDecoded(pool[i & 63]),
      ]);
      record({
        name: `RedisOnlineStore.read of ${n.toLocaleString("en")} key${n === 1 ? "" : "s"}`,
        value: s.wall,
        unit: "µs",
        baseline: { name: n === 1 ? "the same HMGET by hand" : "the same HMGETs pipelined by hand", value: r.wall },
        target: { ratioMax: 1.3 },
        note: `CPU ${s.cpu.toFixed(1)} µs against ${r.cpu.toFixed(1)} µs; raw + decoded as the store decodes: ${both(d)} (${(s.wall / d.wall).toFixed(3)}×)`,
      });
    }

    // The whole online read path of the feature store on the same records (int join key: the entity
    // key of driver 7 is "7", as written above).
    await using ws = await createWorkspace({ online: store });
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: view,
      entities: ["driver"],
      schema: z.object({ trips: z.number(), rate: z.number(), city: z.string(), active: z.boolean() }),
    });
    const features = [`${view}:trips`, `${view}:city`];
    const probe = await ws.features.getOnlineFeatures([{ driver_id: 7 }], features);
    if (probe.rows[0].status.trips !== "present") throw new Error("the feature store does not find the records");
    for (const n of BATCHES) {
      const pool = Array.from({ length: 64 }, () => Array.from({ length: n }, key));
      const rows = pool.map((keys) => keys.map((k) => ({ driver_id: Number(k) })));
      const [f, s] = await alternate(size(n >= 1000 ? 21 : 31, 3), Math.max(5, Math.round(size(4000, 400) / n)), [
        (i) => ws.features.getOnlineFeatures(rows[i & 63], features),
        (i) => store.read(view, pool[i & 63]),
      ]);
      record({
        name: `getOnlineFeatures on Redis, ${n.toLocaleString("en")} entit${n === 1 ? "y" : "ies"} × 2 features`,
        value: f.wall,
        unit: "µs",
        baseline: { name: "RedisOnlineStore.read of the same keys", value: s.wall },
        note: `CPU ${f.cpu.toFixed(1)} µs against ${s.cpu.toFixed(1)} µs`,
      });
    }
  } finally {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${escapeGlob(prefix)}:*`, "COUNT", 5000);
      if (keys.length) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    client.disconnect();
  }
}

await main();

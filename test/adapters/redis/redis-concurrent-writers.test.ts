// Several clients (connections) writing the same keys at once, each interleaving older and newer
// records: whatever order the server runs them in, every key ends with its newest record, because
// the comparison and the write are one Lua script on the server. Checked on the server directly.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisOnlineStore } from "../../../src/adapters/redis/index.js";
import type { OnlineWrite } from "../../../src/stores/online-store.js";
import { REDIS_URL, service } from "../../services.js";
import { testPrefixes } from "./redis-test-keys.js";

const WRITERS = 6;
const KEYS = 40;
const BATCHES = 40;

describe.runIf(await service("Redis", REDIS_URL))("Redis online store under concurrent writers", () => {
  let clients: Redis[];
  const prefixes = testPrefixes("mlc_concurrent");
  beforeAll(() => {
    clients = Array.from({ length: WRITERS }, () => new Redis(REDIS_URL));
  });
  afterAll(async () => {
    await prefixes.drop(clients[0]);
    for (const c of clients) c.disconnect();
  });

  it("keeps the newest record of every key whatever the interleaving of older and newer writes", async () => {
    const prefix = prefixes.next();
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    // Every (event time, created time) pair is written once: created time = a round * WRITERS + writer,
    // so each key has one newest record and the expected state does not depend on the order.
    const plans: OnlineWrite[][][] = clients.map((_, w) =>
      Array.from({ length: BATCHES }, (_, b) =>
        Array.from({ length: 1 + Math.floor(rnd() * 30) }, (_, i) => ({
          entityKey: `k${Math.floor(rnd() * KEYS)}`,
          eventTime: Math.floor(rnd() * 12) * 1000,
          createdTime: (b * 100 + i) * WRITERS + w,
          values: { writer: w, batch: b, i },
        })),
      ),
    );
    const newest = new Map<string, OnlineWrite>();
    for (const r of plans.flat(2)) {
      const cur = newest.get(r.entityKey);
      if (!cur || r.eventTime > cur.eventTime || (r.eventTime === cur.eventTime && r.createdTime > cur.createdTime))
        newest.set(r.entityKey, r);
    }
    const applied = await Promise.all(
      clients.map(async (client, w) => {
        const store = redisOnlineStore({ client, prefix });
        let n = 0;
        // Several batches of one writer in flight at once too.
        for (let b = 0; b < BATCHES; b += 4)
          n += (await Promise.all(plans[w].slice(b, b + 4).map((batch) => store.write("v", batch)))).reduce(
            (x, y) => x + y,
            0,
          );
        return n;
      }),
    );
    const total = plans.flat(2).length;
    // Some writes were refused as older, and every key was written at least once.
    const sum = applied.reduce((x, y) => x + y, 0);
    expect(sum).toBeLessThan(total);
    expect(sum).toBeGreaterThanOrEqual(newest.size);
    for (const [key, r] of newest) {
      expect(await clients[0].hgetall(`${prefix}:v:${key}`)).toEqual({
        e: String(r.eventTime),
        c: String(r.createdTime),
        v: JSON.stringify(r.values),
      });
    }
  });
});

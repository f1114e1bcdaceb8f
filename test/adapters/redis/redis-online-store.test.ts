// The Redis online store on the Redis server of the test setup (test/services.ts): the published
// conformance suite, the same answers as the memory store on random write sequences, the key layout
// read back from the server, every key a command touches under the prefix (seen through MONITOR),
// and errors. Each test writes under a key prefix of its own and deletes its keys afterwards.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisOnlineStore, redisOnlineStore } from "../../../src/adapters/redis/index.js";
import { isMlcycleError } from "../../../src/core/errors.js";
import { MemoryOnlineStore } from "../../../src/stores/memory/memory-online-store.js";
import type { OnlineWrite } from "../../../src/stores/online-store.js";
import { onlineStoreSuite } from "../../../src/testing/index.js";
import { REDIS_URL, service } from "../../services.js";
import { keysUnder, testPrefixes } from "./redis-test-keys.js";

describe.runIf(await service("Redis", REDIS_URL))("Redis online store", () => {
  let client: Redis;
  const prefixes = testPrefixes("mlc_online");
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await prefixes.drop(client);
    client.disconnect();
  });

  onlineStoreSuite("redis", async () => redisOnlineStore({ client, prefix: prefixes.next() }));

  /** A random generator with a seed, so a failure can be replayed. */
  function random(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("answers as the memory store does on random batches with repeats, ties and out-of-order times", async () => {
    const rnd = random(7);
    const redis = redisOnlineStore({ client, prefix: prefixes.next() });
    const memory = new MemoryOnlineStore();
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (let round = 0; round < 40; round++) {
      // Some batches cross the 1,000-records-per-call boundary (several script calls in one pipeline).
      const size = round % 10 === 9 ? 2500 : 1 + Math.floor(rnd() * 40);
      const batch: OnlineWrite[] = Array.from({ length: size }, (_, i) => ({
        entityKey: keys[Math.floor(rnd() * keys.length)],
        eventTime: Math.floor(rnd() * 8) * 1000 - 3000,
        createdTime: Math.floor(rnd() * 3),
        values: { round, i, nested: { list: [round, -0] } },
      }));
      expect(await redis.write("v", batch)).toBe(await memory.write("v", batch));
    }
    expect(await redis.read("v", [...keys, "absent"])).toEqual(await memory.read("v", [...keys, "absent"]));
  });

  it("keeps each record as one hash: e, c and v under <prefix>:<view>:<entity key>", async () => {
    const prefix = prefixes.next();
    const store = redisOnlineStore({ client, prefix });
    await store.write("driver_stats", [
      { entityKey: "1001", eventTime: 1_700_000_000_000, createdTime: 1_700_000_000_500, values: { trips: 3 } },
      { entityKey: "1002", eventTime: -8.64e15, createdTime: 8.64e15, values: { rate: 0.5, tags: ["a"] } },
    ]);
    expect(await keysUnder(client, prefix)).toEqual([`${prefix}:driver_stats:1001`, `${prefix}:driver_stats:1002`]);
    // Read from the server, not through the store.
    expect(await client.hgetall(`${prefix}:driver_stats:1001`)).toEqual({
      e: "1700000000000",
      c: "1700000000500",
      v: '{"trips":3}',
    });
    expect(await client.hgetall(`${prefix}:driver_stats:1002`)).toEqual({
      e: "-8640000000000000",
      c: "8640000000000000",
      v: '{"rate":0.5,"tags":["a"]}',
    });
    expect(await client.ttl(`${prefix}:driver_stats:1001`)).toBe(-1);
  });

  it("encodes view names: no view reaches another's keys, deleteView removes its own view only", async () => {
    const prefix = prefixes.next();
    const store = redisOnlineStore({ client, prefix });
    const views = ["a", "a:b", "a*", "a?", "a[b]", "50%", "{tag}", "back\\slash", "", "é ü"];
    const rec = (entityKey: string, v: string): OnlineWrite => ({
      entityKey,
      eventTime: 1,
      createdTime: 1,
      values: { v },
    });
    for (const view of views) await store.write(view, [rec("b:c", view), rec("*", view), rec("", view)]);
    expect(await keysUnder(client, prefix)).toEqual(
      ["a", "a%3Ab", "a%2A", "a%3F", "a%5Bb%5D", "50%25", "%7Btag%7D", "back%5Cslash", "", "é ü"]
        .flatMap((enc) => [`${prefix}:${enc}:b:c`, `${prefix}:${enc}:*`, `${prefix}:${enc}:`])
        .sort(),
    );
    for (const view of views)
      expect((await store.read(view, ["b:c", "*", "", "c"])).map((r) => r?.values.v)).toEqual([
        view,
        view,
        view,
        undefined,
      ]);
    // View "a" with entity key "b:c" and view "a:b" with entity key "c" are two records.
    expect(await store.read("a:b", ["c"])).toEqual([undefined]);
    // The glob characters of a name match literally: deleting "a*" or "a?" leaves "a" and "a:b".
    await store.deleteView("a*");
    await store.deleteView("a?");
    await store.deleteView("a");
    expect((await store.read("a:b", ["b:c"]))[0]?.values.v).toBe("a:b");
    expect((await store.read("a[b]", ["*"]))[0]?.values.v).toBe("a[b]");
    for (const gone of ["a", "a*", "a?"])
      expect(await store.read(gone, ["b:c", "*", ""])).toEqual([undefined, undefined, undefined]);
    expect((await keysUnder(client, prefix)).length).toBe(3 * (views.length - 3));
    // A prefix with glob characters is matched literally too.
    const globby = `${prefix}:[x]*`;
    const other = redisOnlineStore({ client, prefix: globby });
    await other.write("a", [rec("k", "other")]);
    await store.write("q", [rec("k", "q")]);
    await other.deleteView("a");
    expect((await store.read("q", ["k"]))[0]?.values.v).toBe("q");
  });

  it("touches no key outside its prefix (every command it sends, as the server's MONITOR shows them)", async () => {
    const prefix = prefixes.next();
    const own = new Redis(REDIS_URL);
    const watcher = new Redis(REDIS_URL);
    const monitor = await watcher.monitor();
    try {
      await own.ping();
      const seen: Array<{ source: string; args: string[] }> = [];
      monitor.on("monitor", (_time: string, args: string[], source: string) => seen.push({ source, args }));
      await new Promise((r) => setTimeout(r, 50));
      const store = redisOnlineStore({ client: own, prefix });
      const rec = (entityKey: string): OnlineWrite => ({ entityKey, eventTime: 1, createdTime: 1, values: {} });
      await store.write("x:y*", [rec("1"), rec("2")]);
      await store.write(
        "x:y*",
        Array.from({ length: 1500 }, (_, i) => rec(`k${i}`)),
      );
      await store.read("x:y*", ["1", "2", "3"]);
      await store.read("x:y*", ["1"]);
      await store.deleteView("x:y*");
      await own.ping();
      await new Promise((r) => setTimeout(r, 200));

      const me = `${own.stream.localAddress}:${own.stream.localPort}`;
      const keys: string[] = [];
      const commands = new Set<string>();
      let inMyScript = false;
      for (const { source, args } of seen) {
        const name = args[0].toLowerCase();
        // A script's commands follow the EVALSHA that ran them, from source "lua".
        if (source === "lua") {
          if (!inMyScript) continue;
          commands.add(`lua ${name}`);
          keys.push(args[1]);
          continue;
        }
        inMyScript = false;
        if (source !== me) continue;
        commands.add(name);
        if (name === "evalsha") {
          inMyScript = true;
          keys.push(...args.slice(3, 3 + Number(args[2])));
        } else if (name === "hmget") keys.push(args[1]);
        else if (name === "unlink") keys.push(...args.slice(1));
        else if (name === "scan") keys.push(args[args.indexOf("MATCH") + 1]);
      }
      // SCRIPT LOAD (no key) is sent only when the server did not know the script yet.
      commands.delete("script");
      expect([...commands].sort()).toEqual(["evalsha", "hmget", "lua hmget", "lua hset", "ping", "scan", "unlink"]);
      expect(keys.length).toBeGreaterThan(2 * 1502);
      expect(keys.filter((k) => !k.startsWith(`${prefix}:x%3Ay%2A:`))).toEqual([]);
    } finally {
      monitor.disconnect();
      watcher.disconnect();
      own.disconnect();
    }
  });

  it("works on a client with a keyPrefix of its own: keys are keyPrefix + prefix, deleteView finds them", async () => {
    const outer = prefixes.next();
    const prefixed = new Redis(REDIS_URL, { keyPrefix: `${outer}:` });
    try {
      const store = redisOnlineStore({ client: prefixed, prefix: "inner" });
      await store.write("v", [{ entityKey: "k", eventTime: 1, createdTime: 1, values: { x: 1 } }]);
      await store.write("w", [{ entityKey: "k", eventTime: 1, createdTime: 1, values: { x: 2 } }]);
      expect(await keysUnder(client, outer)).toEqual([`${outer}:inner:v:k`, `${outer}:inner:w:k`]);
      expect((await store.read("v", ["k", "j"]))[0]?.values).toEqual({ x: 1 });
      await store.deleteView("v");
      expect(await keysUnder(client, outer)).toEqual([`${outer}:inner:w:k`]);
    } finally {
      prefixed.disconnect();
    }
  });

  it("reports a foreign value under its prefix (INTERNAL, INTEGRITY), a closed client (UNAVAILABLE), bad options (VALIDATION)", async () => {
    const prefix = prefixes.next();
    const store = redisOnlineStore({ client, prefix });
    await client.set(`${prefix}:v:string`, "not a hash");
    await client.hset(`${prefix}:v:partial`, "e", "1");
    const rec = (entityKey: string): OnlineWrite => ({ entityKey, eventTime: 1, createdTime: 1, values: {} });
    await expect(store.write("v", [rec("string")])).rejects.toSatisfy(
      (e) => isMlcycleError(e, "INTERNAL") && /WRONGTYPE/.test(e.message) && e.cause instanceof Error,
    );
    await expect(store.read("v", ["string", "x"])).rejects.toSatisfy((e) => isMlcycleError(e, "INTERNAL"));
    await expect(store.read("v", ["partial"])).rejects.toSatisfy(
      (e) => isMlcycleError(e, "INTEGRITY") && e.message.includes(`${prefix}:v:partial`),
    );

    const closed = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 });
    await closed.ping();
    closed.disconnect();
    const dead = redisOnlineStore({ client: closed, prefix });
    await expect(dead.write("v", [rec("k")])).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
    await expect(dead.read("v", ["k", "j"])).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
    await expect(dead.deleteView("v")).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));

    const validation = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    validation(() => redisOnlineStore({ client, prefix: "" }));
    validation(() => redisOnlineStore({ client: {} as never }));
    validation(() => redisOnlineStore({ client: Object.assign(Object.create(client), { isCluster: true }) }));
    await expect(store.read(42 as never, ["k"])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
    expect(new RedisOnlineStore({ client }).layout.prefix).toBe("mlcycle:online");
  });
});

// The newest-wins script on a server that does not know it (first use, a restart, SCRIPT FLUSH):
// EVALSHA answers NOSCRIPT, the store loads the script and runs the same calls again. SCRIPT FLUSH
// empties the script cache of the whole server, so these tests start a Redis server of their own
// (the redis-server of the test setup) on a free port instead of flushing the shared one.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NEWEST_WINS_SHA, redisOnlineStore } from "../../../src/adapters/redis/index.js";
import { isMlcycleError } from "../../../src/core/errors.js";
import type { OnlineWrite } from "../../../src/stores/online-store.js";
import { REDIS_URL, service } from "../../services.js";

function redisServerBinary(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const binary = (await service("Redis", REDIS_URL)) ? redisServerBinary() : undefined;
if (!binary && process.env.MLCYCLE_REQUIRE_SERVICES === "1")
  throw new Error("redis-server is not on the PATH, and MLCYCLE_REQUIRE_SERVICES=1");

describe.runIf(binary !== undefined)("Redis online store: script loading on a server of its own", () => {
  let server: ChildProcess;
  let client: Redis;
  beforeAll(async () => {
    const port = await freePort();
    server = spawn(
      binary as string,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    // Refused reconnections once the server is stopped are expected here; commands report them.
    client.on("error", () => undefined);
    for (let i = 0; ; i++) {
      try {
        await client.ping();
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  afterAll(() => {
    client?.disconnect();
    server?.kill("SIGKILL");
  });

  const rec = (entityKey: string, t: number): OnlineWrite => ({
    entityKey,
    eventTime: t,
    createdTime: t,
    values: { t },
  });

  it("loads the script when the server answers NOSCRIPT, for one call and for a pipeline of calls", async () => {
    const store = redisOnlineStore({ client, prefix: "own" });
    await client.script("FLUSH");
    expect(await client.script("EXISTS", NEWEST_WINS_SHA)).toEqual([0]);
    expect(await store.write("v", [rec("a", 2)])).toBe(1);
    expect(await client.script("EXISTS", NEWEST_WINS_SHA)).toEqual([1]);

    await client.script("FLUSH");
    const many = Array.from({ length: 2500 }, (_, i) => rec(`k${i}`, i));
    expect(await store.write("v", many)).toBe(2500);
    expect(await store.write("v", [rec("a", 1)])).toBe(0);
    expect((await store.read("v", ["a", "k2499"])).map((r) => r?.eventTime)).toEqual([2, 2499]);
  });

  it("is UNAVAILABLE when the server is gone, naming what failed", async () => {
    const store = redisOnlineStore({ client, prefix: "own" });
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    await expect(store.write("v", [rec("a", 3)])).rejects.toSatisfy(
      (e) => isMlcycleError(e, "UNAVAILABLE") && e.message.includes("writing 1 record(s) of view 'v'"),
    );
    await expect(store.read("v", ["a"])).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
  });
});

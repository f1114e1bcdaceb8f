// Queues of the BullMQ tests: each executor gets a queue name and a key prefix of its own
// (uniqueName), and every key under each prefix is deleted afterwards, so runs never collide and
// leave nothing behind.
import { Redis } from "ioredis";
import { type BullmqExecutor, type BullmqExecutorOptions, bullmqExecutor } from "../../../src/adapters/bullmq/index.js";
import { REDIS_URL, uniqueName } from "../../services.js";

/** Every key under `prefix:` (SCAN, never KEYS). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, found] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    for (const k of found) keys.add(k);
    cursor = next;
  } while (cursor !== "0");
  return [...keys].sort();
}

/**
 * A client for the tests (the caller's client, as a user would pass it), and executors each on a
 * fresh queue and prefix; `drop()` closes the executors still open, deletes their keys and quits
 * the client.
 */
export function testQueues(name: string) {
  // Connects on first use: a suite skipped for want of Redis never opens it.
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  const prefixes: string[] = [];
  const executors: BullmqExecutor[] = [];
  return {
    client,
    /** A fresh queue name and prefix. */
    names(): { queue: string; prefix: string } {
      const prefix = uniqueName(name);
      prefixes.push(prefix);
      return { queue: uniqueName("q"), prefix };
    },
    /** An executor on a fresh queue (or the one given), closed by `closeExecutors()` or `drop()`. */
    executor(options: Partial<BullmqExecutorOptions> = {}): BullmqExecutor {
      const ex = bullmqExecutor({ connection: client, ...this.names(), ...options });
      executors.push(ex);
      return ex;
    },
    async closeExecutors(): Promise<void> {
      await Promise.all(executors.splice(0).map((e) => e.close()));
    },
    async drop(): Promise<void> {
      await this.closeExecutors();
      for (const p of prefixes.splice(0)) {
        const keys = await keysUnder(client, p);
        for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
      }
      await client.quit();
    },
  };
}

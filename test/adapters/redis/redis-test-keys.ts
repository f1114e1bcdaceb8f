// Key prefixes of the Redis tests: each test writes under a prefix of its own (uniqueName) and
// deletes every key under it afterwards, so runs never collide and leave nothing behind.
import type { Redis } from "ioredis";
import { escapeGlob } from "../../../src/adapters/redis/index.js";
import { uniqueName } from "../../services.js";

/** Every key under `prefix` followed by `:` (SCAN, never KEYS). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, found] = await client.scan(cursor, "MATCH", `${escapeGlob(prefix)}:*`, "COUNT", 1000);
    for (const k of found) keys.add(k);
    cursor = next;
  } while (cursor !== "0");
  return [...keys].sort();
}

/** Hands out prefixes and deletes every key under each of them at `drop()`. */
export function testPrefixes(name: string) {
  const handed: string[] = [];
  return {
    next(): string {
      const p = uniqueName(name);
      handed.push(p);
      return p;
    },
    async drop(client: Redis): Promise<void> {
      for (const p of handed.splice(0)) {
        const keys = await keysUnder(client, p);
        for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
      }
    },
  };
}

import { createHash } from "node:crypto";
import type { RedisClientLike } from "./redis-client.js";

/**
 * The newest-wins write as one Lua script, so that the comparison and the write are one atomic step
 * on the server whatever other clients do. KEYS: one hash per record; ARGV: for each key in turn its
 * event time, created time and values JSON. A record replaces the stored one unless the stored event
 * time is later, or the same with a later created time (`supersedes` in src/stores/newest-wins.ts).
 * Times are compared as Lua numbers (doubles: exact for every integer within the Date range) and
 * stored as the strings the client sent, never formatted by Lua. Returns how many were written.
 */
export const NEWEST_WINS_LUA = `local applied = 0
for i = 1, #KEYS do
  local e, c = ARGV[3 * i - 2], ARGV[3 * i - 1]
  local cur = redis.call("HMGET", KEYS[i], "e", "c")
  local older = false
  if cur[1] then
    local ne, se = tonumber(e), tonumber(cur[1])
    older = ne < se or (ne == se and tonumber(c) < tonumber(cur[2]))
  end
  if not older then
    redis.call("HSET", KEYS[i], "e", e, "c", c, "v", ARGV[3 * i])
    applied = applied + 1
  end
end
return applied
`;

/** The script's SHA-1, as `SCRIPT LOAD` returns it. */
export const NEWEST_WINS_SHA = createHash("sha1").update(NEWEST_WINS_LUA).digest("hex");

/** One call of the script: its keys and, for each key, event time, created time and values JSON. */
export interface NewestWinsCall {
  keys: string[];
  args: string[];
}

const noScript = (e: unknown) => e instanceof Error && e.message.startsWith("NOSCRIPT");

/**
 * Runs calls of the newest-wins script by `EVALSHA` — one call directly, several in one pipeline —
 * loading the script with `SCRIPT LOAD` when the server answers `NOSCRIPT` (first use, a restart,
 * `SCRIPT FLUSH`) and running again the calls that got that answer (they did not run). Returns how
 * many records each call wrote; throws the first other error.
 */
export function runNewestWins(client: RedisClientLike, calls: readonly NewestWinsCall[]): Promise<number[]> {
  return send(client, calls, true);
}

async function send(client: RedisClientLike, calls: readonly NewestWinsCall[], mayLoad: boolean): Promise<number[]> {
  if (calls.length === 1) {
    const { keys, args } = calls[0];
    try {
      return [Number(await client.evalsha(NEWEST_WINS_SHA, keys.length, ...keys, ...args))];
    } catch (e) {
      if (!mayLoad || !noScript(e)) throw e;
      await client.script("LOAD", NEWEST_WINS_LUA);
      return send(client, calls, false);
    }
  }
  const pipeline = client.pipeline();
  for (const { keys, args } of calls) pipeline.evalsha(NEWEST_WINS_SHA, keys.length, ...keys, ...args);
  const replies = (await pipeline.exec()) ?? [];
  const out = new Array<number>(calls.length);
  const again: number[] = [];
  for (let i = 0; i < calls.length; i++) {
    const [error, result] = replies[i] ?? [new Error("Redis answered no reply to a pipelined EVALSHA"), null];
    if (!error) out[i] = Number(result);
    else if (mayLoad && noScript(error)) again.push(i);
    else throw error;
  }
  if (again.length === 0) return out;
  await client.script("LOAD", NEWEST_WINS_LUA);
  const rerun = await send(
    client,
    again.map((i) => calls[i]),
    false,
  );
  for (let j = 0; j < again.length; j++) out[again[j]] = rerun[j];
  return out;
}

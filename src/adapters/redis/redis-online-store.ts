import { invalid, MlcycleError } from "../../core/errors.js";
import { checkOnlineWrite, type OnlineRecord, type OnlineStore, type OnlineWrite } from "../../stores/online-store.js";
import { type RedisClientLike, redisError } from "./redis-client.js";
import { RedisKeyLayout } from "./redis-key-layout.js";
import { type NewestWinsCall, runNewestWins } from "./redis-newest-wins-script.js";

/** Options of {@link redisOnlineStore}. */
export interface RedisOnlineStoreOptions {
  /**
   * The ioredis client (`new Redis(url)`) the store sends its commands on. The store never opens nor
   * closes it; an ioredis `Cluster` is refused (see docs/redis.md, "Limits").
   */
  client: RedisClientLike;
  /**
   * What every key of the store starts with, followed by `:` (default `"mlcycle:online"`). Two
   * stores on one server need prefixes of their own, neither the other's followed by `:`.
   */
  prefix?: string;
}

/** Records per script call: a write of more runs as several calls, each atomic, in one pipeline. */
const RECORDS_PER_CALL = 1000;
/** `SCAN COUNT` when deleting a view: keys looked at per step. */
const SCAN_COUNT = 1000;
const FIELDS = ["e", "c", "v"] as const;

/**
 * The Redis {@link OnlineStore}: one hash per (view, entity key) under a prefix
 * ({@link RedisKeyLayout}), on the caller's ioredis client.
 *
 * - `write` runs a Lua script ({@link NEWEST_WINS_LUA}) by `EVALSHA`, so an older record never
 *   replaces a newer one even when several processes write the same keys: the comparison and the
 *   write are one step on the server. A write of more than 1,000 records runs as several such
 *   steps in one pipeline.
 * - `read` sends one `HMGET` per key, pipelined (one round trip for the batch).
 * - `deleteView` walks the view's keys with `SCAN MATCH` (never `KEYS`) and `UNLINK`s them.
 *
 * TTL is applied by the feature store on read, as for every online store, so a record past its
 * view's TTL reads as `expired` here exactly as on SQLite; keys carry no Redis expiry.
 */
export class RedisOnlineStore implements OnlineStore {
  readonly layout: RedisKeyLayout;
  private readonly client: RedisClientLike;
  /** What the client itself puts before every key it sends (its `keyPrefix` option). */
  private readonly clientPrefix: string;

  constructor(options: RedisOnlineStoreOptions) {
    if (typeof options !== "object" || options === null) throw invalid([], "options must be an object with a client");
    const client = options.client as RedisClientLike | undefined;
    if (
      typeof client !== "object" ||
      client === null ||
      typeof client.pipeline !== "function" ||
      typeof client.evalsha !== "function"
    )
      throw invalid(["client"], "must be an ioredis client (new Redis(url)), the one the store sends its commands on");
    if (client.isCluster === true)
      throw invalid(
        ["client"],
        "a Redis Cluster client is not supported: a view's keys spread over slots, which one pipeline or SCAN does not reach; use a standalone or Sentinel client",
      );
    this.client = client;
    this.layout = new RedisKeyLayout(options.prefix);
    const kp = client.options?.keyPrefix;
    this.clientPrefix = typeof kp === "string" ? kp : kp instanceof Uint8Array ? Buffer.from(kp).toString() : "";
  }

  async write(view: string, records: readonly OnlineWrite[]): Promise<number> {
    const base = this.layout.viewPrefix(view);
    // Every record is checked before any is sent.
    const texts = records.map(checkOnlineWrite);
    if (records.length === 0) return 0;
    const calls: NewestWinsCall[] = [];
    for (let from = 0; from < records.length; from += RECORDS_PER_CALL) {
      const to = Math.min(records.length, from + RECORDS_PER_CALL);
      const keys = new Array<string>(to - from);
      const args = new Array<string>(3 * (to - from));
      for (let i = from; i < to; i++) {
        const r = records[i];
        const j = i - from;
        keys[j] = base + r.entityKey;
        args[3 * j] = String(r.eventTime);
        args[3 * j + 1] = String(r.createdTime);
        args[3 * j + 2] = texts[i];
      }
      calls.push({ keys, args });
    }
    let applied: number[];
    try {
      applied = await runNewestWins(this.client, calls);
    } catch (e) {
      throw redisError(`writing ${records.length} record(s) of view '${view}'`, e);
    }
    let total = 0;
    for (const n of applied) total += n;
    return total;
  }

  async read(view: string, entityKeys: readonly string[]): Promise<Array<OnlineRecord | undefined>> {
    const base = this.layout.viewPrefix(view);
    const n = entityKeys.length;
    if (n === 0) return [];
    try {
      if (n === 1) {
        return [decode(await this.client.hmget(base + entityKeys[0], ...FIELDS), base, entityKeys[0])];
      }
      const pipeline = this.client.pipeline();
      for (let i = 0; i < n; i++) pipeline.hmget(base + entityKeys[i], ...FIELDS);
      const replies = await pipeline.exec();
      if (!replies || replies.length !== n) throw new Error("Redis answered fewer replies than the pipelined HMGETs");
      const out = new Array<OnlineRecord | undefined>(n);
      for (let i = 0; i < n; i++) {
        const reply = replies[i];
        if (reply[0]) throw reply[0];
        out[i] = decode(reply[1] as Array<string | null>, base, entityKeys[i]);
      }
      return out;
    } catch (e) {
      throw redisError(`reading ${n} key(s) of view '${view}'`, e);
    }
  }

  async deleteView(view: string): Promise<void> {
    const pattern = this.clientPrefix + this.layout.viewPattern(view);
    const strip = this.clientPrefix.length;
    try {
      let cursor = "0";
      do {
        const [next, found] = await this.client.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
        // SCAN answers keys as stored; the client puts its own keyPrefix back on what it sends.
        if (found.length) await this.client.unlink(...(strip ? found.map((k) => k.slice(strip)) : found));
        cursor = next;
      } while (cursor !== "0");
    } catch (e) {
      throw redisError(`deleting view '${view}'`, e);
    }
  }
}

/** A hash's `e`, `c`, `v` fields as a record (undefined when the key does not exist). */
function decode(fields: Array<string | null>, base: string, entityKey: string): OnlineRecord | undefined {
  const e = fields[0];
  if (e === null) return undefined;
  const c = fields[1];
  const v = fields[2];
  try {
    if (c === null || v === null) throw new Error("a field is missing");
    return { eventTime: Number(e), createdTime: Number(c), values: JSON.parse(v) };
  } catch (error) {
    const key = base + entityKey;
    throw new MlcycleError(
      "INTEGRITY",
      `Redis online store: the hash at '${key}' is not a record the store wrote (fields e, c and v): ${(error as Error).message}`,
      { cause: error, details: { key } },
    );
  }
}

/**
 * An online store in Redis, on your ioredis client: one hash per (view, entity key) under `prefix`,
 * newest-wins writes by a Lua script, pipelined reads. See docs/redis.md.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { redisOnlineStore } from "mlcycle/redis";
 * const client = new Redis("redis://127.0.0.1:6379");
 * const ws = await createWorkspace({ ...sqliteBackend({ path: "ml.db" }), online: redisOnlineStore({ client }) });
 * ```
 */
export function redisOnlineStore(options: RedisOnlineStoreOptions): OnlineStore {
  return new RedisOnlineStore(options);
}

import { MlcycleError } from "../../core/errors.js";

/**
 * The subset of an ioredis pipeline the Redis adapter queues commands on, typed structurally (an
 * ioredis `Pipeline` fits it), so users without ioredis still type-check.
 */
export interface RedisPipelineLike {
  hmget(key: string, ...fields: string[]): unknown;
  evalsha(sha1: string, numkeys: number, ...args: Array<string | number>): unknown;
  exec(): Promise<Array<[error: Error | null, result: unknown]> | null>;
}

/**
 * The subset of an ioredis client (`new Redis(...)`, ioredis 5 or 6) the Redis adapter uses, typed
 * structurally. The adapter never opens nor closes it: the client is the caller's.
 */
export interface RedisClientLike {
  pipeline(): RedisPipelineLike;
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  evalsha(sha1: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>;
  script(subcommand: "LOAD", script: string): Promise<unknown>;
  scan(
    cursor: string,
    matchToken: "MATCH",
    pattern: string,
    countToken: "COUNT",
    count: number,
  ): Promise<[cursor: string, elements: string[]]>;
  unlink(...keys: string[]): Promise<number>;
  /** The client's options: a `keyPrefix` there is prepended by the client to every key. */
  readonly options?: { readonly keyPrefix?: unknown };
  /** True on an ioredis `Cluster` (not supported by this adapter). */
  readonly isCluster?: boolean;
}

/** Replies that say the server cannot serve now (memory full, loading, busy, read-only replica…). */
const UNAVAILABLE_REPLY = /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

/**
 * A driver error as an {@link MlcycleError} with the driver's error as `cause`: `UNAVAILABLE` when the
 * server could not be reached or cannot serve now, `INTERNAL` for any other error reply (such as
 * `WRONGTYPE`: a key under the store's prefix that the store did not write).
 */
export function redisError(what: string, error: unknown): MlcycleError {
  if (error instanceof MlcycleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const reply = (error as { name?: string } | null)?.name === "ReplyError";
  if (reply && !UNAVAILABLE_REPLY.test(message)) {
    const hint = message.startsWith("WRONGTYPE")
      ? ": a key under the store's prefix holds another kind of value (the prefix must be the store's own)"
      : "";
    return new MlcycleError("INTERNAL", `Redis online store: ${what} failed: ${message}${hint}`, { cause: error });
  }
  return new MlcycleError("UNAVAILABLE", `Redis online store: ${what} failed: ${message}`, { cause: error });
}

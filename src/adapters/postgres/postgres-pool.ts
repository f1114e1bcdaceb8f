import type { PostgresPool as KyselyPool, PostgresPoolClient as KyselyPoolClient } from "kysely";
import { MlcycleError } from "../../core/errors.js";

/** How pg turns the text of a column of one type into a JavaScript value. */
export type PostgresTypeParser = (text: string) => unknown;

/** A query as pg's `client.query(config)` takes it: text, parameters, and the type parsers of this query. */
export interface PostgresQueryConfig {
  text: string;
  values?: unknown[];
  /** Parsers used for this query's columns instead of the client's (pg's per-query `types`). */
  types?: { getTypeParser(oid: number, format?: any): PostgresTypeParser };
}

/** What pg answers to a query (the members the adapter reads). */
export interface PostgresQueryResult {
  command: string;
  rowCount: number | null;
  rows: any[];
}

/** A notification a LISTENing client receives (pg's `Notification`). */
export interface PostgresNotification {
  channel: string;
  payload?: string;
}

/**
 * The subset of a pg `PoolClient` the PostgreSQL adapter uses, typed structurally so that no public
 * type of mlcycle names pg's own (and users without `@types/pg` still type-check).
 */
export interface PostgresPoolClientLike {
  query(config: PostgresQueryConfig): Promise<PostgresQueryResult>;
  /** Gives the client back to its pool; `true` (or an error) destroys it instead. */
  release(destroy?: boolean | Error): void;
  /** The parser pg uses for a type on this client (pg's `Client.getTypeParser`). */
  getTypeParser?(oid: number, format?: any): PostgresTypeParser;
  on(event: "notification", listener: (message: PostgresNotification) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: "notification", listener: (message: PostgresNotification) => void): unknown;
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The subset of a pg `Pool` (`new pg.Pool({ connectionString })`) the PostgreSQL adapter uses, typed
 * structurally. The adapter never ends the pool: it is the caller's. Each query checks a client out
 * and gives it back; a store that announces alias moves holds one more client for its `LISTEN`.
 */
export interface PostgresPoolLike {
  connect(): Promise<PostgresPoolClientLike>;
}

/** Type ids (pg_type.oid) the adapter reads differently from pg's defaults. */
const INT8 = 20;
const NUMERIC = 1700;
const JSON_OID = 114;
const JSONB = 3802;

/**
 * `bigint` and `numeric` (what `count(*)`, `sum(bigint)` and `bigint` columns answer) as numbers, as
 * SQLite answers them, instead of pg's strings; `json` and `jsonb` as their text, as SQLite answers
 * them, instead of pg's parsed objects (the stores parse JSON themselves, keeping `-0` and key
 * order as they were written). Every other type as the client parses it.
 */
const OVERRIDES = new Map<number, PostgresTypeParser>([
  [INT8, Number],
  [NUMERIC, Number],
  [JSON_OID, (text) => text],
  [JSONB, (text) => text],
]);

/** The text of a value pg could not parse otherwise (a client without `getTypeParser`). */
const asText: PostgresTypeParser = (text) => text;

/**
 * The user's pool as Kysely's `PostgresDialect` takes it: each client checked out runs Kysely's
 * queries with the adapter's type parsers (per query: the pool and the user's own queries keep
 * theirs), and a pool that cannot give a client is `UNAVAILABLE` with pg's error as `cause`.
 * `end()` does nothing: the pool is the caller's to end.
 */
export function kyselyPool(pool: PostgresPoolLike): KyselyPool {
  const wrapped = new WeakMap<PostgresPoolClientLike, KyselyPoolClient>();
  return {
    async connect() {
      const client = await checkOut(pool);
      let typed = wrapped.get(client);
      if (!typed) {
        typed = typedClient(client);
        wrapped.set(client, typed);
      }
      return typed;
    },
    async end() {},
  };
}

/** A client from the pool, or `UNAVAILABLE` naming what failed. */
export async function checkOut(pool: PostgresPoolLike): Promise<PostgresPoolClientLike> {
  try {
    return await pool.connect();
  } catch (error) {
    throw new MlcycleError(
      "UNAVAILABLE",
      `cannot get a PostgreSQL connection from the pool: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

function typedClient(client: PostgresPoolClientLike): KyselyPoolClient {
  const types = {
    getTypeParser(oid: number, format?: any): PostgresTypeParser {
      return OVERRIDES.get(oid) ?? client.getTypeParser?.(oid, format) ?? asText;
    },
  };
  return {
    query(sql: unknown, parameters?: ReadonlyArray<unknown>): any {
      // Kysely streams through a cursor object only when configured with one (this adapter is not).
      if (typeof sql !== "string") throw new MlcycleError("INTERNAL", "the PostgreSQL adapter does not stream queries");
      return client.query({ text: sql, values: [...(parameters ?? [])], types }).catch((error: unknown) => {
        throw nulRefused(error) ?? error;
      });
    },
    release(destroy?: boolean) {
      client.release(destroy);
    },
  } as KyselyPoolClient;
}

/**
 * PostgreSQL's refusal of a string holding U+0000 (`22021`, "invalid byte sequence for encoding
 * UTF8: 0x00": its text types cannot hold that character, SQLite's can) as `VALIDATION` naming the
 * character, pg's error as `cause`; undefined for any other error.
 */
export function nulRefused(error: unknown): MlcycleError | undefined {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== "22021" || typeof e.message !== "string" || !e.message.includes("0x00")) return undefined;
  const message =
    "a string holds the character U+0000 (NUL), which PostgreSQL text cannot store: remove it from names, keys, params and tags";
  return new MlcycleError("VALIDATION", message, {
    cause: error,
    issues: [{ code: "invalid_string", path: [], message }],
  });
}

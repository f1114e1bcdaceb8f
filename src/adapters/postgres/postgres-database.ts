import { Kysely, type KyselyPlugin, PostgresDialect } from "kysely";
import { closedError, invalid } from "../../core/errors.js";
import type { SqlDatabase } from "../../stores/sql/sql-database.js";
import { PostgresSqlDialect } from "./postgres-dialect.js";
import { PostgresListener } from "./postgres-listener.js";
import { kyselyPool, type PostgresPoolLike } from "./postgres-pool.js";
import { checkSchemaName, DEFAULT_POSTGRES_SCHEMA, PostgresSchemaPlugin } from "./postgres-schema.js";

/** Options of {@link openPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /**
   * The caller's pg `Pool` (or anything with its `connect()`): queries check clients out of it and
   * give them back; nothing here ends it.
   */
  pool: PostgresPoolLike;
  /**
   * The schema every table is kept in, created by the first migration run when absent (default
   * `public`). An identifier: a letter or `_`, then letters, digits or `_`, at most 63 characters.
   */
  schema?: string;
}

/** A {@link SqlDatabase} on PostgreSQL, for one schema. */
export interface PostgresDatabase extends SqlDatabase {
  readonly dialect: PostgresSqlDialect;
  /** The schema the tables are in. */
  readonly schema: string;
  /** `LISTEN` on a client of the pool held apart while anything listens (see `SqlDatabase.listen`). */
  listen(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>>;
}

/**
 * A PostgreSQL database as the SQL stores use it: Kysely's `PostgresDialect` on the caller's pool,
 * every table in `schema` (qualified in each query: no `search_path` is set, so the pool can serve
 * other code and other schemas), numbers and JSON read as SQLite gives them, and
 * {@link PostgresSqlDialect} for what differs. `close()` stops listening and refuses further
 * queries; the pool stays open (it is the caller's).
 *
 * @example
 * ```ts
 * const database = openPostgresDatabase({ pool, schema: "mlcycle" });
 * const store = sqlStore(database);
 * ```
 */
export function openPostgresDatabase(options: PostgresDatabaseOptions): PostgresDatabase {
  if (typeof options !== "object" || options === null) throw invalid(["options"], "must be an object with a pool");
  const pool = options.pool;
  if (typeof (pool as Partial<PostgresPoolLike> | undefined)?.connect !== "function")
    throw invalid(["pool"], "must be a pg Pool (an object with connect())");
  const schema = checkSchemaName(options.schema ?? DEFAULT_POSTGRES_SCHEMA);
  let closed = false;
  const guard: KyselyPlugin = {
    transformQuery(args) {
      if (closed) throw closedError("the PostgreSQL store");
      return args.node;
    },
    transformResult(args) {
      return Promise.resolve(args.result);
    },
  };
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: kyselyPool(pool) }),
    plugins: [guard, new PostgresSchemaPlugin(schema)],
  });
  const dialect = new PostgresSqlDialect(schema);
  const listener = new PostgresListener(pool);
  return {
    db,
    dialect,
    schema,
    listen(channel, onPayload) {
      return listener.listen(dialect.channel(channel), onPayload);
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await db.destroy();
    },
  };
}

import type BetterSqlite3 from "better-sqlite3";
import { type Kysely, sql, type Transaction } from "kysely";
import { MlcycleError } from "../../core/errors.js";

/** The SQL dialects the Kysely store is written for. */
export type SqlDialectName = "sqlite" | "postgres";

/**
 * A Kysely database plus what the SQL stores need to know about it. Domain stores type their own
 * tables (`db as Kysely<TrackingTables>`); this is the shared handle.
 */
export interface SqlDatabase {
  /** The Kysely instance (any table shape; each domain store narrows it). */
  readonly db: Kysely<any>;
  readonly dialect: SqlDialectName;
  /**
   * The raw better-sqlite3 handle when the dialect is SQLite: hot paths (metric ingestion, online
   * reads) may prepare statements on it directly. Absent on other dialects.
   */
  readonly sqlite?: BetterSqlite3.Database;
  /** Closes the database when this handle opened it. */
  close(): Promise<void>;
}

/** One versioned schema change. `up` runs inside the migration transaction. */
export interface SqlMigration {
  /** Unique, sortable name, e.g. `tracking-0001-init`. */
  name: string;
  up(db: Kysely<any>, dialect: SqlDialectName): Promise<void>;
}

const SQLITE_BUSY = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"]);

/** True when an error is SQLite's "database is locked" family (worth a retry). */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return typeof code === "string" && SQLITE_BUSY.has(code);
}

/**
 * Runs `fn` in a write transaction that is safe across processes: on SQLite `BEGIN IMMEDIATE` takes
 * the write lock up front (so two writers never deadlock on lock upgrade) and busy errors are
 * retried with backoff; on PostgreSQL it is a plain transaction (use row locks or advisory locks
 * inside `fn` where needed).
 *
 * @example
 * ```ts
 * const n = await writeTransaction(sqlDb, async (trx) => nextVersion(trx, "iris"));
 * ```
 */
export async function writeTransaction<T>(
  database: SqlDatabase,
  fn: (trx: Kysely<any>) => Promise<T>,
  options: { retries?: number } = {},
): Promise<T> {
  if (database.dialect !== "sqlite") {
    return database.db.transaction().execute((trx: Transaction<any>) => fn(trx));
  }
  const retries = options.retries ?? 50;
  for (let attempt = 0; ; attempt++) {
    try {
      return await database.db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (error) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      if (!isBusyError(error) || attempt >= retries) {
        if (isBusyError(error))
          throw new MlcycleError("UNAVAILABLE", "the SQLite database stayed locked by another writer", {
            cause: error,
          });
        throw error;
      }
      await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random())));
    }
  }
}

/**
 * Applies pending migrations in name order, once, even when several processes open the same
 * database at the same moment: the whole run holds the write lock (SQLite `BEGIN IMMEDIATE`,
 * PostgreSQL advisory transaction lock), and applied names are recorded in `mlcycle_migrations`.
 */
export async function migrate(database: SqlDatabase, migrations: readonly SqlMigration[]): Promise<string[]> {
  const sorted = [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set<string>();
  for (const m of sorted) {
    if (names.has(m.name)) throw new MlcycleError("INTERNAL", `two migrations are named '${m.name}'`);
    names.add(m.name);
  }
  const run = async (trx: Kysely<any>): Promise<string[]> => {
    if (database.dialect === "postgres") await sql`select pg_advisory_xact_lock(726351)`.execute(trx);
    await trx.schema
      .createTable("mlcycle_migrations")
      .ifNotExists()
      .addColumn("name", "varchar(255)", (c) => c.primaryKey())
      .addColumn("applied_at", "bigint", (c) => c.notNull())
      .execute();
    const rows = (await trx.selectFrom("mlcycle_migrations").select("name").execute()) as { name: string }[];
    const applied = new Set(rows.map((r) => r.name));
    const done: string[] = [];
    for (const m of sorted) {
      if (applied.has(m.name)) continue;
      await m.up(trx, database.dialect);
      await trx.insertInto("mlcycle_migrations").values({ name: m.name, applied_at: Date.now() }).execute();
      done.push(m.name);
    }
    return done;
  };
  return writeTransaction(database, run);
}

import type { Kysely } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import type { SqlAccelerator } from "./sql-accelerator.js";
import { runWithRetries, type SqlDialect } from "./sql-dialect.js";

/**
 * A Kysely database plus what the SQL stores need to know about it. Domain stores type their own
 * tables (`db as Kysely<TrackingTables>`); this is the shared handle. Built by an adapter (the SQLite
 * one: `openSqliteDatabase`), or by hand from any Kysely instance and a {@link SqlDialect}.
 *
 * @example
 * ```ts
 * const database: SqlDatabase = { db: new Kysely({ dialect: new SqliteDialect({ database: raw }) }),
 *   dialect: new SqliteSqlDialect(), close: async () => raw.close() };
 * ```
 */
export interface SqlDatabase {
  /** The Kysely instance (any table shape; each domain store narrows it). */
  readonly db: Kysely<any>;
  /** What differs on this backend: locks, retries, SQL spellings, capabilities. */
  readonly dialect: SqlDialect;
  /** Synchronous prepared statements and group commit, when the driver offers them (absent: Kysely only). */
  readonly accelerator?: SqlAccelerator;
  /**
   * Listens to what other processes announce on `channel` with `SqlDialect.notify` (their own
   * announcements included), until the returned function is called. Present only on a database
   * that has notifications (PostgreSQL's `LISTEN`); it resolves once listening has begun, so
   * anything committed after that is heard.
   */
  listen?(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>>;
  /** Closes the database when this handle opened it. */
  close(): Promise<void>;
}

/** One versioned schema change. `up` runs inside the migration transaction. */
export interface SqlMigration {
  /** Unique, sortable name, e.g. `tracking-0001-init`. */
  name: string;
  up(db: Kysely<any>, dialect: SqlDialect): Promise<void>;
}

/**
 * Runs `fn` in a write transaction that is safe across processes, the way the database's dialect
 * runs one (SQLite: `BEGIN IMMEDIATE`, which takes the write lock up front so two writers never
 * deadlock on lock upgrade), retried while the dialect calls the error retryable.
 *
 * @example
 * ```ts
 * const n = await writeTransaction(sqlDb, async (trx) => nextVersion(trx, "iris"));
 * ```
 */
export function writeTransaction<T>(database: SqlDatabase, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  return runWithRetries(database.dialect, () => database.dialect.runWriteTransaction(database.db, fn));
}

/**
 * Applies pending migrations in name order, once, even when several processes open the same
 * database at the same moment: the whole run is one transaction (the dialect's migration transaction)
 * holding the dialect's migration lock, and applied names are recorded in `mlcycle_migrations`.
 */
export async function migrate(database: SqlDatabase, migrations: readonly SqlMigration[]): Promise<string[]> {
  const sorted = [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set<string>();
  for (const m of sorted) {
    if (names.has(m.name)) throw new MlcycleError("INTERNAL", `two migrations are named '${m.name}'`);
    names.add(m.name);
  }
  const run = async (trx: Kysely<any>): Promise<string[]> => {
    await database.dialect.acquireMigrationLock(trx);
    const schema = database.dialect.forMigrations(trx);
    await schema.schema
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
      await m.up(schema, database.dialect);
      await trx.insertInto("mlcycle_migrations").values({ name: m.name, applied_at: Date.now() }).execute();
      done.push(m.name);
    }
    return done;
  };
  return runWithRetries(database.dialect, () => database.dialect.runMigrationTransaction(database.db, run));
}

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import type { SqlDatabase } from "../../stores/sql/sql-database.js";
import { SqliteAccelerator } from "./sqlite-accelerator.js";
import { SqliteSqlDialect } from "./sqlite-dialect.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** Options of {@link openSqliteDatabase}. */
export interface SqliteDatabaseOptions {
  /** File path, or `":memory:"`. */
  path: string;
  /** How long a writer waits for another process's lock before failing, in ms (default 10000). */
  busyTimeoutMs?: number;
}

/** A {@link SqlDatabase} on SQLite, with the raw connection for SQLite-only work (tests, benchmarks). */
export interface SqliteDatabase extends SqlDatabase {
  readonly dialect: SqliteSqlDialect;
  readonly accelerator: SqliteAccelerator;
  /** The better-sqlite3 connection Kysely uses (typed structurally). */
  readonly sqlite: SqliteHandle;
}

/**
 * Opens a SQLite file with the settings several processes need to share it: WAL journal, a busy
 * timeout, `synchronous = NORMAL` (durable at each checkpoint, safe against process crashes) and
 * foreign keys on; with SQLite's dialect and accelerator (prepared statements, group commit,
 * point-in-time lookups on a worker thread).
 *
 * @example
 * ```ts
 * const database = openSqliteDatabase({ path: "meta.db" });
 * const store = sqlStore(database);
 * ```
 */
export function openSqliteDatabase(options: SqliteDatabaseOptions): SqliteDatabase {
  const file = options.path === ":memory:" ? ":memory:" : resolve(options.path);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  let raw: Database.Database;
  try {
    raw = new Database(file, { timeout: options.busyTimeoutMs ?? 10_000 });
  } catch (error) {
    throw new MlcycleError("UNAVAILABLE", `cannot open SQLite database ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (file !== ":memory:") raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.pragma("foreign_keys = ON");
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
  const dialect = new SqliteSqlDialect();
  const handle = raw as unknown as SqliteHandle;
  let closed = false;
  const database: SqliteDatabase = {
    db,
    dialect,
    sqlite: handle,
    accelerator: new SqliteAccelerator(db, dialect, handle),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
  return database;
}

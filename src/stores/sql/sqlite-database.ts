import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import type { SqlDatabase } from "./sql-database.js";

/** Options of {@link openSqliteDatabase}. */
export interface SqliteDatabaseOptions {
  /** File path, or `":memory:"`. */
  path: string;
  /** How long a writer waits for another process's lock before failing, in ms (default 10000). */
  busyTimeoutMs?: number;
}

/**
 * Opens a SQLite file with the settings several processes need to share it: WAL journal, a busy
 * timeout, `synchronous = NORMAL` (durable at each checkpoint, safe against process crashes) and
 * foreign keys on.
 */
export function openSqliteDatabase(options: SqliteDatabaseOptions): SqlDatabase {
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
  let closed = false;
  return {
    db,
    dialect: "sqlite",
    sqlite: raw,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

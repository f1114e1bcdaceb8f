import type { OnlineStore } from "../../stores/online-store.js";
import type { SqlDatabase } from "../../stores/sql/sql-database.js";
import { SqlOnlineStore } from "../../stores/sql/sql-online-store.js";

/**
 * The SQLite {@link OnlineStore}: the SQL online store on a SQLite database, whose accelerator makes
 * reads one prepared index lookup per key (and offers `readSync`).
 */
export class SqliteOnlineStore extends SqlOnlineStore {}

/**
 * An online store in a SQLite database (the workspace's own by default).
 *
 * @example
 * ```ts
 * const db = openSqliteDatabase({ path: "online.db" });
 * await sqlStore(db).init(); // creates the tables (migrations)
 * const ws = await createWorkspace({ online: sqliteOnlineStore(db) });
 * ```
 */
export function sqliteOnlineStore(database: SqlDatabase): OnlineStore {
  return new SqliteOnlineStore(database);
}

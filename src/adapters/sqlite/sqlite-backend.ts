import type { Backend } from "../../stores/backend.js";
import type { MetadataStore } from "../../stores/metadata-store.js";
import type { OfflineStore } from "../../stores/offline-store.js";
import type { OnlineStore } from "../../stores/online-store.js";
import { sqlStore } from "../../stores/sql/sql-metadata-store.js";
import { sqlOfflineStore } from "../../stores/sql/sql-offline-store.js";
import { openSqliteDatabase, type SqliteDatabase, type SqliteDatabaseOptions } from "./sqlite-database.js";
import { sqliteOnlineStore } from "./sqlite-online-store.js";
import { sqliteRowReader } from "./sqlite-row-reader.js";
import type { SqlRowReader } from "../../stores/sql-row-reader.js";

/** Options of {@link sqliteBackend}. */
export interface SqliteBackendOptions extends SqliteDatabaseOptions {}

/** What {@link sqliteBackend} returns: every port but artifacts, on one SQLite database. */
export interface SqliteBackend extends Backend {
  metadata: MetadataStore;
  offline: OfflineStore;
  online: OnlineStore;
  /** SQL feature sources (`sqlSource`) read the same database. */
  sql: SqlRowReader;
  /**
   * The database the ports share, for SQLite-only work beside them (raw queries, backups). The
   * workspace ignores it; closing the metadata store closes it.
   */
  database: SqliteDatabase;
}

/**
 * The embedded default backend: metadata, offline feature rows and online feature values in one
 * SQLite file (WAL, busy timeout), shareable by several processes. The metadata store owns the
 * database: the workspace's `close()` closes it.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({
 *   ...sqliteBackend({ path: "./.mlcycle/mlcycle.db" }),
 *   artifacts: localArtifactStore({ root: "./.mlcycle/artifacts" }),
 * });
 * ```
 */
export function sqliteBackend(options: SqliteBackendOptions): SqliteBackend {
  const database = openSqliteDatabase(options);
  return {
    metadata: sqlStore(database),
    offline: sqlOfflineStore(database),
    online: sqliteOnlineStore(database),
    sql: sqliteRowReader(database),
    database,
  };
}

/**
 * Every metadata port in one SQLite file (WAL, busy timeout): the metadata part of
 * {@link sqliteBackend}.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ metadata: sqliteStore({ path: "./.mlcycle/mlcycle.db" }), artifacts });
 * ```
 */
export function sqliteStore(options: SqliteDatabaseOptions): MetadataStore {
  return sqlStore(openSqliteDatabase(options));
}

import type { Backend } from "../../stores/backend.js";
import type { MetadataStore } from "../../stores/metadata-store.js";
import type { OfflineStore } from "../../stores/offline-store.js";
import type { OnlineStore } from "../../stores/online-store.js";
import { sqlStore } from "../../stores/sql/sql-metadata-store.js";
import { sqlOfflineStore } from "../../stores/sql/sql-offline-store.js";
import { SqlOnlineStore } from "../../stores/sql/sql-online-store.js";
import { openPostgresDatabase, type PostgresDatabase, type PostgresDatabaseOptions } from "./postgres-database.js";
import { PostgresPointInTime } from "./postgres-point-in-time.js";

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions extends PostgresDatabaseOptions {}

/**
 * What {@link postgresStore} returns: a backend bundle whose ports share one PostgreSQL schema.
 * Spread it into `createWorkspace` (members given beside it win).
 */
export interface PostgresStore extends Backend {
  /**
   * Every metadata port — tracking, pipelines, registry (with alias moves announced across
   * processes), lineage, feature definitions, the prediction log, online experiments and monitors.
   * Its `init()` applies the migrations; its `close()` closes the database handle (the pool stays
   * the caller's).
   */
  metadata: MetadataStore;
  /** Offline feature rows, historical retrieval run in the database (a `LATERAL` point-in-time join). */
  offline: OfflineStore;
  /** Online feature values (newest wins), for deployments that read features from PostgreSQL rather than Redis. */
  online: OnlineStore;
  /** The database the ports share, for PostgreSQL-only work beside them. The workspace ignores it. */
  database: PostgresDatabase;
}

/**
 * mlcycle's metadata on PostgreSQL through the caller's `pg` pool: every metadata port, the offline
 * and online feature stores, in one schema (default `public`; created when absent). The SQL is the
 * same Kysely implementation SQLite runs, with {@link PostgresSqlDialect} for what differs.
 * Migrations run at the workspace's start, once however many processes start at the same moment
 * (an advisory lock of the schema). Alias moves reach deployments in every process through
 * `LISTEN`/`NOTIFY`, which holds one client of the pool while a deployment follows an alias.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import { createWorkspace } from "mlcycle";
 * import { postgresStore } from "mlcycle/postgres";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const ws = await createWorkspace({ ...postgresStore({ pool, schema: "mlcycle" }), artifacts });
 * // …
 * await ws.close();
 * await pool.end();
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const database = openPostgresDatabase(options);
  return {
    metadata: sqlStore(database),
    offline: sqlOfflineStore(database, { pointInTime: new PostgresPointInTime(database.db) }),
    online: new SqlOnlineStore(database),
    database,
  };
}

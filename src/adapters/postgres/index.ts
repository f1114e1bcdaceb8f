/**
 * The PostgreSQL adapter (`mlcycle/postgres`): mlcycle's metadata, offline and online feature stores
 * in a schema of a PostgreSQL database, through the caller's `pg` pool, typed structurally. The SQL
 * stores are the ones SQLite runs; what differs is {@link PostgresSqlDialect}.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ ...postgresStore({ pool, schema: "mlcycle" }), artifacts });
 * ```
 *
 * @packageDocumentation
 */
export {
  openPostgresDatabase,
  type PostgresDatabase,
  type PostgresDatabaseOptions,
} from "./postgres-database.js";
export { PostgresSqlDialect } from "./postgres-dialect.js";
export { PostgresPointInTime } from "./postgres-point-in-time.js";
export type {
  PostgresNotification,
  PostgresPoolClientLike,
  PostgresPoolLike,
  PostgresQueryConfig,
  PostgresQueryResult,
  PostgresTypeParser,
} from "./postgres-pool.js";
export { checkSchemaName, DEFAULT_POSTGRES_SCHEMA } from "./postgres-schema.js";
export { type PostgresStore, type PostgresStoreOptions, postgresStore } from "./postgres-store.js";

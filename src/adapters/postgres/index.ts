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
export * from "./postgres-collation.js";
export * from "./postgres-database.js";
export * from "./postgres-dialect.js";
export * from "./postgres-listener.js";
export * from "./postgres-point-in-time.js";
export * from "./postgres-pool.js";
export * from "./postgres-schema.js";
export * from "./postgres-store.js";

/**
 * The SQLite adapter (better-sqlite3): the embedded default backend. Everything of mlcycle that
 * knows better-sqlite3 is in this folder — opening the database (WAL, busy timeout), its SQL dialect,
 * the accelerator (prepared statements, group commit, point-in-time lookups on a worker thread) —
 * and the public types here name none of better-sqlite3's.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ ...sqliteBackend({ path: "m.db" }), artifacts });
 * ```
 *
 * @packageDocumentation
 */
export * from "./sqlite-accelerator.js";
export * from "./sqlite-backend.js";
export * from "./sqlite-database.js";
export * from "./sqlite-dialect.js";
export * from "./sqlite-group-commit.js";
export * from "./sqlite-handle.js";
export * from "./sqlite-online-store.js";
export * from "./sqlite-point-in-time.js";
export * from "./sqlite-row-reader.js";

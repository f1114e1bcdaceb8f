/**
 * `mlcycle/duckdb`: the offline feature store on DuckDB, through the caller's `@duckdb/node-api`
 * instance (an optional peer dependency, typed structurally: this entry never imports it).
 *
 * @example
 * ```ts
 * import { DuckDBInstance } from "@duckdb/node-api";
 * import { duckdbOfflineStore } from "mlcycle/duckdb";
 * const instance = await DuckDBInstance.create("features.duckdb");
 * const ws = await createWorkspace({ offline: duckdbOfflineStore({ instance }) });
 * ```
 *
 * @packageDocumentation
 */
export * from "./duckdb-client.js";
export { DuckDBEngine, type DuckDBEngineStore } from "./duckdb-engine.js";
export * from "./duckdb-offline-store.js";
export { type DuckDBTarget, DuckDBSession } from "./duckdb-session.js";

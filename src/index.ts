/**
 * mlcycle: the machine-learning lifecycle as typed primitives inside a Node service.
 *
 * @packageDocumentation
 */
export * from "./core/index.js";
export { createWorkspace, openWorkspace } from "./workspace.js";
export type { OpenWorkspaceOptions, Workspace, WorkspaceOptions } from "./workspace.js";
export type { MlcycleEvents } from "./workspace-events.js";

// Ports and built-in stores
export * from "./stores/artifact-store.js";
export * from "./stores/metadata-store.js";
export * from "./stores/lineage-store.js";
export * from "./stores/tracking-store.js";
export * from "./stores/pipeline-store.js";
export * from "./stores/registry-store.js";
export * from "./stores/model-flavor.js";
export * from "./stores/feature-registry-store.js";
export * from "./stores/online-store.js";
export * from "./stores/offline-store.js";
export * from "./stores/offline-engine.js";
export * from "./stores/sql-row-reader.js";
export * from "./stores/prediction-log-store.js";
export * from "./stores/online-experiment-store.js";
export * from "./stores/monitor-store.js";
export * from "./stores/backend.js";
export { supersedes } from "./stores/newest-wins.js";
export * from "./stores/executor.js";
export { inProcessExecutor, type InProcessExecutorOptions } from "./stores/in-process-executor.js";
export { memoryArtifactStore } from "./stores/memory/memory-artifact-store.js";
export { memoryStore } from "./stores/memory/memory-metadata-store.js";
export { memoryBackend } from "./stores/memory/memory-backend.js";
export { MemoryPredictionLogStore } from "./stores/memory/memory-prediction-log-store.js";
export { MemoryOnlineExperimentStore } from "./stores/memory/memory-online-experiment-store.js";
export { MemoryMonitorStore } from "./stores/memory/memory-monitor-store.js";
export { localArtifactStore, type LocalArtifactStoreOptions } from "./stores/local/local-artifact-store.js";
export { sqlStore, type SqlStoreOptions } from "./stores/sql/sql-metadata-store.js";
export { migrate, writeTransaction, type SqlDatabase, type SqlMigration } from "./stores/sql/sql-database.js";
export { runWithRetries, type SqlDialect, SqlDialectBase } from "./stores/sql/sql-dialect.js";
export {
  compileWithSlots,
  type SlottedQuery,
  type SqlAccelerator,
  type SqlPointInTimeAccelerator,
  type SqlPreparedStatement,
  slot,
} from "./stores/sql/sql-accelerator.js";
export {
  openSqliteDatabase,
  type SqliteBackend,
  type SqliteBackendOptions,
  type SqliteDatabase,
  type SqliteDatabaseOptions,
  type SqliteHandle,
  type SqliteStatementHandle,
  SqliteAccelerator,
  type SqliteAcceleratorOptions,
  SqliteGroupCommit,
  SqlitePointInTime,
  SqliteRowReader,
  sqliteRowReader,
  SqliteSqlDialect,
  sqliteBackend,
  sqliteStore,
} from "./adapters/sqlite/index.js";

// Domain modules
export * from "./lineage/index.js";
export * from "./tracking/index.js";
export * from "./pipeline/index.js";
export * from "./registry/index.js";
export * from "./evaluation/index.js";
export * from "./features/index.js";
export * from "./serving/index.js";
export * from "./experimentation/index.js";
export * from "./monitoring/index.js";
// Types that public signatures and comments name, exported so that users (and the API reference) can.
export type { JsonSchema } from "./registry/signature.js";
export type { ResolvedTrackingOptions } from "./tracking/tracking-options.js";
export type { RefTarget } from "./pipeline/refs.js";
export type { LazyStepRun } from "./pipeline/step-run.js";
export { MemoryOfflineStore, memoryOfflineStore } from "./stores/memory/memory-offline-store.js";
export { MemoryOnlineStore, memoryOnlineStore } from "./stores/memory/memory-online-store.js";
export { SqlOfflineStore, sqlOfflineStore, type SqlOfflineStoreOptions } from "./stores/sql/sql-offline-store.js";
export { SqlOnlineStore, sqlOnlineStore } from "./stores/sql/sql-online-store.js";
export { SqlPredictionLogStore } from "./stores/sql/sql-prediction-log-store.js";
export { SqlOnlineExperimentStore } from "./stores/sql/sql-online-experiment-store.js";
export { SqlMonitorStore } from "./stores/sql/sql-monitor-store.js";
export { SqliteOnlineStore, sqliteOnlineStore } from "./adapters/sqlite/sqlite-online-store.js";

import type { MetadataStore } from "../metadata-store.js";
import { allMigrations } from "./migrations/index.js";
import { migrate, type SqlDatabase } from "./sql-database.js";
import { SqlFeatureRegistryStore } from "./sql-feature-registry-store.js";
import { SqlLineageStore } from "./sql-lineage-store.js";
import { SqlMonitorStore } from "./sql-monitor-store.js";
import { SqlOnlineExperimentStore } from "./sql-online-experiment-store.js";
import { SqlPipelineStore } from "./sql-pipeline-store.js";
import { SqlPredictionLogStore } from "./sql-prediction-log-store.js";
import { SqlRegistryStore } from "./sql-registry-store.js";
import { SqlTrackingStore } from "./sql-tracking-store.js";

/** Options of {@link sqlStore}. */
export interface SqlStoreOptions {
  /** Whether `close()` also closes the database (default true). */
  ownsDatabase?: boolean;
}

/**
 * All metadata ports on one SQL database through Kysely, on any {@link SqlDatabase} (its dialect
 * says what differs). `init()` (called by the workspace) applies pending migrations under a
 * cross-process lock.
 *
 * @example
 * ```ts
 * const store = sqlStore(openSqliteDatabase({ path: "meta.db" }));
 * ```
 */
export function sqlStore(database: SqlDatabase, options: SqlStoreOptions = {}): MetadataStore {
  let initialised: Promise<void> | undefined;
  const tracking = new SqlTrackingStore(database);
  const lineage = new SqlLineageStore(database);
  return {
    kind: database.dialect.name,
    tracking,
    pipelines: new SqlPipelineStore(database, { tracking, lineage }),
    registry: new SqlRegistryStore(database, { lineage }),
    lineage,
    features: new SqlFeatureRegistryStore(database),
    predictions: new SqlPredictionLogStore(database),
    onlineExperiments: new SqlOnlineExperimentStore(database),
    monitors: new SqlMonitorStore(database),
    init() {
      initialised ??= migrate(database, allMigrations).then(() => undefined);
      return initialised;
    },
    async close() {
      if (options.ownsDatabase ?? true) await database.close();
    },
  };
}

import type { FeatureRegistryStore } from "./feature-registry-store.js";
import type { LineageStore } from "./lineage-store.js";
import type { PipelineStore } from "./pipeline-store.js";
import type { RegistryStore } from "./registry-store.js";
import type { SqlDatabase } from "./sql/sql-database.js";
import type { TrackingStore } from "./tracking-store.js";

/**
 * All metadata ports of a workspace, one per domain. Built-ins: {@link memoryStore} (the reference)
 * and {@link sqliteStore} / `sqlStore` (Kysely; SQLite now, PostgreSQL through `mlcycle/postgres`).
 */
export interface MetadataStore {
  /** A short name of the backend, e.g. `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  readonly tracking: TrackingStore;
  readonly pipelines: PipelineStore;
  readonly registry: RegistryStore;
  readonly lineage: LineageStore;
  readonly features: FeatureRegistryStore;
  /** The SQL database underneath, when there is one (the workspace uses it for SQL feature stores). */
  readonly sql?: SqlDatabase;
  /** Prepares the store (migrations); the workspace calls it once before use. */
  init?(): Promise<void>;
  /** Releases what the store opened. */
  close(): Promise<void>;
}

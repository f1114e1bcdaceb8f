import type { FeatureRegistryStore } from "./feature-registry-store.js";
import type { LineageStore } from "./lineage-store.js";
import type { MonitorStore } from "./monitor-store.js";
import type { OnlineExperimentStore } from "./online-experiment-store.js";
import type { PipelineStore } from "./pipeline-store.js";
import type { PredictionLogStore } from "./prediction-log-store.js";
import type { RegistryStore } from "./registry-store.js";
import type { TrackingStore } from "./tracking-store.js";

/**
 * All metadata ports of a workspace, one per domain. Built-ins: `memoryStore()` (the reference) and
 * `sqlStore(database)` on any SQL database (`sqliteStore({ path })` for SQLite; `postgresStore({ pool })`
 * from `mlcycle/postgres`, whose `metadata` it is, for PostgreSQL). A metadata store is one member of a backend bundle (`Backend`): the offline and
 * online feature stores are the bundle's other members, never derived from this one.
 *
 * Stability for third-party stores: the members below are what a store must have today. Ports
 * added later (the prediction log, online experiments, monitor windows and alerts) join as
 * **optional** members, each documented with the fallback the workspace uses when a store lacks
 * it (an in-memory port for the life of the workspace, or a `MlcycleError` with code
 * `UNAVAILABLE` naming the missing port when a feature cannot work without persistence) — so a
 * store written against this interface keeps compiling and working. Optional methods of the ports
 * follow the same rule (e.g. `PipelineStore.commitStep`, `LineageStore.putBatch`).
 */
export interface MetadataStore {
  /** A short name of the backend, e.g. `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  readonly tracking: TrackingStore;
  readonly pipelines: PipelineStore;
  readonly registry: RegistryStore;
  readonly lineage: LineageStore;
  readonly features: FeatureRegistryStore;
  /**
   * The prediction log of served calls and their feedback. Optional: without it the workspace keeps
   * the log in memory for its own life.
   */
  readonly predictions?: PredictionLogStore;
  /**
   * Online experiments (splits, canaries, shadows, bandits), their audit trail and outcome sums.
   * Optional: without it the workspace keeps them in memory for its own life.
   */
  readonly onlineExperiments?: OnlineExperimentStore;
  /**
   * Monitors, their reference profiles, window partials and results, and alerts. Optional: without
   * it the workspace keeps them in memory for its own life.
   */
  readonly monitors?: MonitorStore;
  /** Prepares the store (migrations); the workspace calls it once before use. */
  init?(): Promise<void>;
  /** Releases what the store opened. */
  close(): Promise<void>;
}

import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { FeatureRegistryStore } from "../stores/feature-registry-store.js";
import type { LineageStore } from "../stores/lineage-store.js";
import type { OfflineStore } from "../stores/offline-store.js";
import type { OnlineStore } from "../stores/online-store.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { SqlRowReader } from "../stores/sql-row-reader.js";
import type { EntityRowsInput } from "./entity-rows.js";
import type { FeatureEvents } from "./feature-events.js";
import type { StatisticsOptions } from "./statistics.js";
import type { TimeInput } from "./timestamps.js";

/**
 * What a {@link FeatureStore} is built with: the stores it reads and writes, where it reports, and
 * its clock. A workspace passes its own; anything that satisfies the ports works.
 *
 * @example
 * ```ts
 * const metadata = memoryStore();
 * const features = new FeatureStore({ registry: metadata.features, lineage: metadata.lineage,
 *   offline: memoryOfflineStore(), online: memoryOnlineStore(), events: new EventBus(), clock: systemClock });
 * ```
 */
export interface FeatureStoreOptions {
  /** Entities, feature views, services and materialisation progress. */
  registry: FeatureRegistryStore;
  /** Where feature views, services and training sets are recorded. */
  lineage: LineageStore;
  /** Timestamped rows for training sets, materialisation and statistics. */
  offline?: OfflineStore;
  /** Latest values for serving. */
  online?: OnlineStore;
  /** The workspace's SQL database, where `sqlSource` queries run when the offline store has no engine. */
  sql?: SqlRowReader;
  /** Where saved training sets (`saveTrainingSet`) are written. */
  artifacts?: ArtifactStore;
  /** Receives `features.ingested` and `features.materialized` (a workspace passes `ws.events`). */
  events: EventBus<FeatureEvents>;
  clock: Clock;
  /**
   * How long definitions read from the registry are reused before being read again: an integer
   * number of ms in [0, 86,400,000] (default 5000).
   */
  definitionCacheMs?: number;
}

/** Which features to read: `"view:feature"` references, or the name of a feature service. */
export type FeatureSelection = readonly string[] | { service: string };

/** Options of {@link FeatureStore.getHistoricalFeatures}. */
export interface HistoricalFeaturesOptions {
  /**
   * Entity rows: join keys, a timestamp and any request data for on-demand views — in JavaScript
   * (an array, an iterable, an async iterable) or read from a source (`parquetSource`,
   * `csvSource`, `sqlSource`, `postgresSource`: Feast's entity dataframe or SQL entity query), whose
   * own `timestampField` names the time column.
   */
  entityRows: EntityRowsInput;
  /** The features to join. */
  features: FeatureSelection;
  /** Field of the entity rows with their time (default `event_timestamp`; a source's rows: the source's). */
  timestampField?: string;
  /** Name output columns `view__feature` instead of `feature` (default false). */
  fullFeatureNames?: boolean;
  /** Name of the training set in lineage (default `training_set:<digest prefix>`). */
  name?: string;
  /** Record the training set in lineage (default true). */
  record?: boolean;
  signal?: AbortSignal;
}

/** A point-in-time-correct training set. */
export interface TrainingSet {
  name: string;
  /** The feature columns added to the entity rows, in the order requested. */
  columns: string[];
  /** The requested references (a service's, when one was given). */
  features: string[];
  /** Entity rows in input order, each with its feature columns (null when no row matched). */
  rows: Array<Record<string, unknown>>;
  /** sha256 of the canonical content (columns, then rows). */
  digest: string;
  /** The feature service it was built from, with its version. */
  service?: { name: string; version: number };
  /** The lineage artifact id, when recorded. */
  artifactId?: string;
}

/**
 * A training set saved as a file in the artifact store (Feast's saved dataset): its rows are read
 * back with `ws.artifacts.get(digest)` (or `stream`), or by any Parquet reader once copied out.
 */
export interface SavedTrainingSet {
  name: string;
  /** The feature columns, in the order requested (after the entity rows' columns in the file). */
  columns: string[];
  /** The requested references (a service's, when one was given). */
  features: string[];
  /** Rows written (one per entity row, in their order). */
  rows: number;
  format: "parquet";
  /** sha256 of the file: its key in the artifact store. */
  digest: string;
  /** Size of the file in bytes. */
  size: number;
  /** The feature service it was built from, with its version. */
  service?: { name: string; version: number };
  /** The lineage artifact id, when recorded. */
  artifactId?: string;
}

/** Status of one online feature value. */
export type FeatureStatus = "present" | "expired" | "not_found";

/** One entity's online features. */
export interface OnlineFeatureRow {
  /** Values by column; null when not found or expired. */
  values: Record<string, unknown>;
  /** Status by column. Read-only: rows of a one-view read share frozen status objects. */
  status: Readonly<Record<string, FeatureStatus>>;
  /** Event time (ms) of each value, for freshness; null when not found (and for computed features). */
  eventTime: Record<string, number | null>;
}

/** Answer of {@link FeatureStore.getOnlineFeatures}. */
export interface OnlineFeatures {
  columns: string[];
  /** One per entity row, in the same order. */
  rows: OnlineFeatureRow[];
}

/** Options of {@link FeatureStore.ingest}. */
export interface IngestOptions {
  /** Rows validated and written per chunk (default 10,000). */
  chunkSize?: number;
  signal?: AbortSignal;
}

/** Options of {@link FeatureStore.push}. */
export interface PushOptions {
  /** Where the rows go (default `both`). */
  to?: "online" | "offline" | "both";
}

/** Progress of a materialisation, reported after each chunk. */
export interface MaterializeProgress {
  view: string;
  /** Chunks written in this call. */
  chunk: number;
  /** Rows read in the current run (across resumes). */
  rows: number;
  /** Online records applied in this call. */
  written: number;
}

/** Options of {@link FeatureStore.materialize} and {@link FeatureStore.materializeIncremental}. */
export interface MaterializeOptions {
  /** Views to materialise (default all). */
  views?: string[];
  /** Full runs only: window start, exclusive (default the beginning). */
  start?: TimeInput;
  /** Window end, inclusive (default now). */
  end?: TimeInput;
  /** Offline rows read per chunk (default 10,000). */
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called after each chunk is written and its progress recorded. */
  onProgress?: (progress: MaterializeProgress) => void;
}

/** What one view's materialisation did. */
export interface MaterializeViewResult {
  view: string;
  /** Offline rows read by this call. */
  rows: number;
  /** Online records applied by this call. */
  written: number;
  /** Event time the online store is complete up to. */
  until: number;
  /** Whether an interrupted run was continued. */
  resumed: boolean;
}

/** Options of {@link FeatureStore.statistics}. */
export interface ViewStatisticsOptions extends StatisticsOptions {
  /** Only rows with event time > `since`. */
  since?: TimeInput;
  /** Only rows with event time ≤ `until`. */
  until?: TimeInput;
}

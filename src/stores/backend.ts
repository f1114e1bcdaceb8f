import type { ArtifactStore } from "./artifact-store.js";
import type { MetadataStore } from "./metadata-store.js";
import type { OfflineStore } from "./offline-store.js";
import type { OnlineStore } from "./online-store.js";
import type { SqlRowReader } from "./sql-row-reader.js";

/**
 * A backend as a bundle of the ports a workspace needs: spread it into `createWorkspace` (members
 * given beside it win). `metadata` is required; the workspace puts memory stores where the bundle
 * leaves a port out. Built-ins: `sqliteBackend({ path })` (the embedded default),
 * `memoryBackend()` and `postgresStore({ pool, schema })` from `mlcycle/postgres`.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ ...sqliteBackend({ path: "m.db" }), artifacts: localArtifactStore({ root }) });
 * ```
 */
export interface Backend {
  /** Metadata of every domain. */
  metadata: MetadataStore;
  /** Offline feature rows (default: memory). */
  offline?: OfflineStore;
  /** Online feature values (default: memory). */
  online?: OnlineStore;
  /** The database SQL feature sources (`sqlSource`) query, when the offline store has no engine of its own. */
  sql?: SqlRowReader;
  /** Blobs, where the backend has a place for them (default: memory). */
  artifacts?: ArtifactStore;
}

import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { Lineage } from "../lineage/index.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { ModelFlavor } from "../stores/model-flavor.js";
import type { RegistryStore } from "../stores/registry-store.js";
import type { Experiments } from "../tracking/index.js";
import type { RegistryEvents } from "./registry-events.js";

/**
 * What the registry uses of tracking (`ws.experiments` is one): reading a run's latest metrics and
 * name when a version names its source run, reading a run's artifact to register it, and logging
 * evaluation metrics and the gate outcome on a run.
 */
export type RegistryRunAccess = Pick<Experiments, "getRun" | "readArtifact" | "logBatch">;

/**
 * What the registry uses of lineage (`ws.lineage` is one): recording a version as an artifact and
 * linking it to the run or pipeline step that produced it.
 */
export type RegistryLineage = Pick<Lineage, "recordArtifact" | "recordExecution" | "find" | "addEvent">;

/**
 * What a {@link ModelRegistry} is built with. `createWorkspace` and `openWorkspace` pass the
 * workspace's own; build one by hand only to embed the registry without a workspace.
 *
 * @example
 * ```ts
 * const registry = new ModelRegistry({
 *   store: metadata.registry, artifacts, events, clock: systemClock,
 *   lineage: ws.lineage, tracking: ws.experiments, flavors: [onnxFlavor()],
 * });
 * ```
 */
export interface ModelRegistryOptions {
  /** Where models, versions, aliases, policies, approvals and evaluations are kept. */
  store: RegistryStore;
  /** Where model bytes are kept, content-addressed. */
  artifacts: ArtifactStore;
  /** Where `model.*` events are emitted (a workspace passes `ws.events`). */
  events: EventBus<RegistryEvents>;
  /** Timestamps of records and events. */
  clock: Clock;
  /** Lineage of versions: the run or pipeline step that produced each. */
  lineage: RegistryLineage;
  /** Source runs of versions and the runs evaluations are logged on. */
  tracking: RegistryRunAccess;
  /**
   * True when `lineage` records into the lineage store of the same metadata store as `store` (as in a
   * workspace): a new version and its lineage are then committed as one unit by the registry store's
   * `createVersionWithLineage`, so a crash never leaves a version without lineage. Default false:
   * the version is stored, then its lineage is recorded through `lineage`.
   */
  versionLineageInStore?: boolean;
  /** Flavors beyond the built-in `json` and `function` (the same as `registerFlavor` for each). */
  flavors?: ModelFlavor[];
}

import type { Clock } from "./core/clock.js";
import type { EventBus } from "./core/events.js";
import type { ArtifactStore } from "./stores/artifact-store.js";
import type { MetadataStore } from "./stores/metadata-store.js";
import type { Workspace } from "./workspace.js";
import type { MlcycleEvents } from "./workspace-events.js";

/**
 * What each domain module of a workspace is built with. Domain modules reach their siblings through
 * `workspace` at call time (never at construction), so construction order does not matter.
 */
export interface WorkspaceContext {
  readonly metadata: MetadataStore;
  readonly artifacts: ArtifactStore;
  readonly events: EventBus<MlcycleEvents>;
  readonly clock: Clock;
  /** The workspace being built; complete by the time any domain method runs. */
  readonly workspace: Workspace;
}

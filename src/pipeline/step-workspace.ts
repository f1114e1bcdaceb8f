import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { FeatureEvents, FeatureStore } from "../features/index.js";
import type { Lineage } from "../lineage/index.js";
import type { ModelRegistry, RegistryEvents } from "../registry/index.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { MetadataStore } from "../stores/metadata-store.js";
import type { Experiments, TrackingEvents } from "../tracking/index.js";
import type { PipelineEvents } from "./pipeline-events.js";
import type { Pipelines } from "./pipelines.js";

/** The events a step can listen to and emit on `ctx.workspace.events`: every domain's. */
export interface StepWorkspaceEvents extends TrackingEvents, PipelineEvents, RegistryEvents, FeatureEvents {}

/**
 * The workspace as a step sees it (`ctx.workspace`): the sibling modules' public classes and the
 * shared stores. A workspace is one; so is any object with these members (a test double).
 *
 * @example
 * ```ts
 * const register = step({ name: "register", input: z.object({ bytes: z.instanceof(Uint8Array) }), output: z.number(),
 *   run: async ({ bytes }, ctx) => (await ctx.workspace.registry.register("m", { bytes, flavor: "json" })).version });
 * ```
 */
export interface StepWorkspace {
  /** Experiment tracking. */
  readonly experiments: Experiments;
  /** The workspace's pipelines (a step may start or read other runs). */
  readonly pipelines: Pipelines<any>;
  /** Registered models, versions, aliases. */
  readonly registry: ModelRegistry;
  /** Entities, feature views, training sets, online features. */
  readonly features: FeatureStore;
  /** The lineage graph. */
  readonly lineage: Lineage;
  /** Typed events of every domain. */
  readonly events: EventBus<StepWorkspaceEvents>;
  /** The metadata stores. */
  readonly metadata: MetadataStore;
  /** Blob storage. */
  readonly artifacts: ArtifactStore;
  /** The workspace's time source. */
  readonly clock: Clock;
}

import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { FeatureStore } from "../features/feature-store.js";
import type { Lineage } from "../lineage/lineage.js";
import type { ModelLoader } from "../registry/model-loader.js";
import type { RegistryEvents } from "../registry/registry-events.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { PredictionLogStore } from "../stores/prediction-log-store.js";
import type { ServingEvents } from "./serving-events.js";

/** What serving reads of the feature store (`ws.features` is one): online features by service. */
export type ServingFeatures = Pick<FeatureStore, "getOnlineFeatures">;

/**
 * What serving uses of lineage (`ws.lineage` is one): finding a model version's node and recording
 * batch predictions with their predictions artifact.
 */
export type ServingLineage = Pick<Lineage, "recordArtifact" | "recordExecution" | "find">;

/** The events serving emits, and the one it listens to (`model.alias.moved`, for hot swaps). */
export type ServingEventMap = ServingEvents & Pick<RegistryEvents, "model.alias.moved">;

/**
 * What {@link Serving} is built with. `createWorkspace` passes the workspace's own; build one by
 * hand only to embed serving without a workspace.
 *
 * @example
 * ```ts
 * const serving = new Serving({
 *   loader: ws.registry, features: ws.features, predictions: new MemoryPredictionLogStore(),
 *   artifacts: ws.artifacts, lineage: ws.lineage, events: ws.events, clock: systemClock,
 * });
 * ```
 */
export interface ServingOptions {
  /** Resolves references (re-read when an alias may have moved) and loads versions: `ws.registry`. */
  loader: ModelLoader;
  /** Online features for feature-enriched calls (`predictEntities`); without it those calls are `PRECONDITION`. */
  features?: ServingFeatures;
  /** Where every call is logged and feedback is recorded. */
  predictions: PredictionLogStore;
  /** Where batch predictions are stored (JSON lines, content-addressed). */
  artifacts: ArtifactStore;
  /** Where batch predictions are recorded (model version → batch prediction → predictions). */
  lineage: ServingLineage;
  /** Where `deployment.*` events are emitted and `model.alias.moved` is heard (a workspace passes `ws.events`). */
  events: EventBus<ServingEventMap>;
  /** Prediction times, event times and retention. */
  clock: Clock;
}

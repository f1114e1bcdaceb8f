import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { Serving } from "../serving/serving.js";
import type { OnlineExperimentStore } from "../stores/online-experiment-store.js";
import type { OnlineExperimentEvents } from "./online-events.js";

/**
 * What `ws.online` uses of serving (`ws.serving` is one): deploying each variant, the open deployments
 * (flushed before a prediction is looked up), the prediction log and feedback.
 */
export type OnlineServing = Pick<Serving, "deploy" | "list" | "getPrediction" | "feedback">;

/** What `ws.online` uses of the registry (`ws.registry` is one): resolving references and moving an alias. */
export type OnlineRegistry = Pick<ModelRegistry, "resolve" | "setAlias">;

/**
 * What {@link OnlineExperiments} is built with. `createWorkspace` passes the workspace's own; build
 * one by hand only to embed online experiments without a workspace.
 *
 * @example
 * ```ts
 * const online = new OnlineExperiments({
 *   store: new MemoryOnlineExperimentStore(), serving: ws.serving, registry: ws.registry,
 *   events: ws.events, clock: systemClock,
 * });
 * ```
 */
export interface OnlineExperimentsOptions {
  /** Where experiments, their audit trail and their aggregates are stored. */
  store: OnlineExperimentStore;
  /** Deploys each variant (its prediction log rows carry the variant) and records feedback. */
  serving: OnlineServing;
  /** Resolves references when an experiment starts, and moves the alias when a canary completes. */
  registry: OnlineRegistry;
  /** Where `online.*` events are emitted. */
  events: EventBus<OnlineExperimentEvents>;
  /** Bake times, reweighting schedules and audit times. */
  clock: Clock;
  /** Uniform draws in [0, 1) for calls without a unit and shadow sampling without one (default `Math.random`). */
  random?: () => number;
  /** How often exposures and outcomes counted in this process are added to the store, in ms (default 1,000). */
  flushIntervalMs?: number;
}

import type { OnlineExperimentEvents } from "./experimentation/online-events.js";
import type { FeatureEvents } from "./features/feature-events.js";
import type { MonitorEvents } from "./monitoring/monitor-events.js";
import type { PipelineEvents } from "./pipeline/pipeline-events.js";
import type { RegistryEvents } from "./registry/registry-events.js";
import type { ServingEvents } from "./serving/serving-events.js";
import type { TrackingEvents } from "./tracking/tracking-events.js";

/**
 * Every event a workspace emits on `ws.events`, by name, with its payload: the union of each
 * domain's event map.
 *
 * @example
 * ```ts
 * ws.events.on("run.ended", (e) => console.log(e.runId, e.status));
 * ws.events.on("model.alias.moved", (e) => console.log(`${e.model}@${e.alias}: v${e.from} → v${e.to}`));
 * ws.events.on("deployment.swapped", (e) => console.log(`${e.deployment}: v${e.from} → v${e.to}`));
 * ws.events.on("monitor.alert", (e) => console.log(e.message));
 * ```
 */
export interface MlcycleEvents
  extends TrackingEvents,
    PipelineEvents,
    RegistryEvents,
    FeatureEvents,
    ServingEvents,
    OnlineExperimentEvents,
    MonitorEvents {}

import type { MetadataStore } from "../metadata-store.js";
import { MemoryFeatureRegistryStore } from "./memory-feature-registry-store.js";
import { MemoryLineageStore } from "./memory-lineage-store.js";
import { MemoryMonitorStore } from "./memory-monitor-store.js";
import { MemoryOnlineExperimentStore } from "./memory-online-experiment-store.js";
import { MemoryPipelineStore } from "./memory-pipeline-store.js";
import { MemoryPredictionLogStore } from "./memory-prediction-log-store.js";
import { MemoryRegistryStore } from "./memory-registry-store.js";
import { MemoryTrackingStore } from "./memory-tracking-store.js";

/**
 * All metadata ports in process memory: the reference implementation every conformance suite
 * runs against first; nothing survives `close()`.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ metadata: memoryStore(), artifacts: memoryArtifactStore() });
 * ```
 */
export function memoryStore(): MetadataStore {
  const tracking = new MemoryTrackingStore();
  const lineage = new MemoryLineageStore();
  return {
    kind: "memory",
    tracking,
    pipelines: new MemoryPipelineStore({ tracking, lineage }),
    registry: new MemoryRegistryStore({ lineage }),
    lineage,
    features: new MemoryFeatureRegistryStore(),
    predictions: new MemoryPredictionLogStore(),
    onlineExperiments: new MemoryOnlineExperimentStore(),
    monitors: new MemoryMonitorStore(),
    async close() {},
  };
}

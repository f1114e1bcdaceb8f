import type { Clock } from "../core/clock.js";
import { lineageIds } from "../lineage/external-ids.js";
import type { Lineage } from "../lineage/lineage.js";
import type { TrackingStore } from "../stores/tracking-store.js";
import type { DatasetInput, Run } from "./run.js";

/** What {@link recordRunInput} writes to. */
export interface RunInputTargets {
  store: TrackingStore;
  lineage: Lineage;
  clock: Clock;
}

/**
 * Records a dataset input of a run in the tracking store, and in lineage as a dataset artifact
 * consumed by the run's execution within its experiment's context.
 */
export async function recordRunInput(targets: RunInputTargets, run: Run, input: DatasetInput): Promise<void> {
  const { store, lineage, clock } = targets;
  const now = clock.now();
  await store.logInput(run.id, {
    name: input.name,
    digest: input.digest,
    ...(input.schema !== undefined ? { schema: input.schema } : {}),
    ...(input.context !== undefined ? { context: input.context } : {}),
    ...(input.source !== undefined ? { source: input.source } : {}),
    createdAt: now,
  });
  const dataset = await lineage.recordArtifact({
    type: "dataset",
    name: input.name,
    externalId: lineageIds.dataset(input.digest),
    ...(/^[0-9a-f]{64}$/.test(input.digest) ? { digest: input.digest } : {}),
    ...(input.source !== undefined ? { uri: input.source } : {}),
    properties: {
      datasetDigest: input.digest,
      ...(input.schema !== undefined ? { schema: input.schema } : {}),
    },
  });
  const experiment = await lineage.recordContext({
    type: "experiment",
    name: (await store.getExperiment(run.experimentId))?.name ?? run.experimentId,
    externalId: lineageIds.experiment(run.experimentId),
  });
  await lineage.recordExecution({
    type: "tracking_run",
    name: run.name,
    externalId: lineageIds.run(run.id),
    properties: { runId: run.id, experimentId: run.experimentId },
    inputs: [{ artifact: dataset.id, slot: input.context || "input" }],
    contexts: [experiment.id],
  });
}

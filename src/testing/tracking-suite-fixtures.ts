import { newId } from "../core/ids.js";
import type { RunRecord, TrackingStore } from "../stores/tracking-store.js";

/** The epoch ms every tracking conformance case starts its clock at. */
export const T0 = 1_700_000_000_000;

/** Creates an experiment (named `exp-<id>` unless named) directly in the store; its id. */
export async function experiment(s: TrackingStore, name = `exp-${newId()}`) {
  const id = newId();
  await s.createExperiment({ id, name, tags: {}, lifecycle: "active", createdAt: T0, updatedAt: T0 });
  return id;
}

/** Creates a running run directly in the store, `fields` overriding the defaults; its id. */
export async function run(
  s: TrackingStore,
  experimentId: string,
  fields: Partial<RunRecord> & { params?: Record<string, string>; tags?: Record<string, string> } = {},
) {
  const { params = {}, tags = {}, ...rest } = fields;
  const r: RunRecord = {
    id: newId(),
    experimentId,
    name: "r",
    status: "running",
    startTime: T0,
    heartbeatAt: T0,
    ...rest,
  };
  await s.createRun(r, params, tags);
  return r.id;
}

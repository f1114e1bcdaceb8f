import type { PipelineStore } from "../stores/pipeline-store.js";
import type { ActiveRun, RunOutcome } from "./pipeline-run-types.js";
import type { PipelineTracking, TrackedRun } from "./step-run.js";

/**
 * The tracking run of a pipeline run: reopened when the run resumes (`undefined` when it cannot
 * be), otherwise started and its id stored with the run. `undefined` without tracking.
 */
export async function openRunTracking(
  tracking: PipelineTracking | undefined,
  active: ActiveRun,
  store: PipelineStore,
): Promise<TrackedRun | undefined> {
  const p = active.pipeline;
  if (tracking && active.trackingRunId && tracking.resumeRun) {
    return await tracking.resumeRun(active.trackingRunId).catch(() => undefined);
  }
  if (tracking && !active.trackingRunId) {
    const parent = await tracking.startRun({
      experiment: p.experiment,
      name: `${p.name} ${active.id}`,
      tags: {
        "mlcycle.pipeline": p.name,
        "mlcycle.pipeline_version": p.version,
        "mlcycle.pipeline_run": active.id,
      },
      params: flatParams(active.params),
    });
    active.trackingRunId = parent.id;
    await store.updateRun(active.id, { trackingRunId: parent.id });
    return parent;
  }
  return undefined;
}

/** Ends a pipeline run's tracking run with the run's outcome; a failure to end it is ignored. */
export async function endRunTracking(parent: TrackedRun, outcome: RunOutcome): Promise<void> {
  await parent
    .end(outcome.status === "succeeded" ? "finished" : outcome.status === "cancelled" ? "killed" : "failed", {
      ...(outcome.error ? { error: outcome.error.message } : {}),
    })
    .catch(() => undefined);
}

/** Top-level params as tracking params (objects as JSON text; nulls and over-long values left out). */
function flatParams(params: unknown): Record<string, string | number | boolean> {
  if (params === null || typeof params !== "object" || Array.isArray(params)) return {};
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    const value = typeof v === "object" ? JSON.stringify(v) : typeof v === "bigint" ? String(v) : v;
    if (typeof value === "string" && value.length > 6000) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[k] = value;
  }
  return out;
}

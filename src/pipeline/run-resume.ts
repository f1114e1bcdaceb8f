import { MlcycleError, notFound } from "../core/errors.js";
import type { PipelineRunRecord, PipelineStore } from "../stores/pipeline-store.js";
import type { AnyPipeline } from "./pipeline.js";
import { leaseConflict, type RunLeases } from "./run-lease.js";
import { abortedError } from "./stored-error.js";

/** What {@link prepareResume} reads and checks a run with: the engine's members it needs. */
export interface ResumeContext {
  readonly store: PipelineStore;
  readonly leases: RunLeases;
  /** True while this process drives the run. */
  isActive(runId: string): boolean;
  /** Makes a definition known (see `PipelineEngine.register`). */
  register(p: AnyPipeline): void;
  /** A registered definition, `NOT_FOUND` when there is none. */
  definition(name: string, version: string): AnyPipeline;
}

/** A run ready to be resumed, or one that has already succeeded (its stored result is the answer). */
export interface ResumePlan {
  record: PipelineRunRecord;
  pipeline: AnyPipeline;
  /** True when the run has succeeded: nothing is re-run. */
  succeeded: boolean;
}

/**
 * The checks before a resume, and the driver lease taken for it: the run exists, `p` (when given)
 * is the definition that made it, no live driver holds it and this process is not driving it.
 * With an aborted signal nothing is changed (`CANCELLED`).
 */
export async function prepareResume(
  ctx: ResumeContext,
  runId: string,
  p: AnyPipeline | undefined,
  signal: AbortSignal | undefined,
): Promise<ResumePlan> {
  if (ctx.isActive(runId)) throw stillRunning(runId);
  let record = await ctx.store.getRun(runId);
  if (!record) throw notFound("pipeline run", runId);
  if (p) {
    if (p.name !== record.pipeline || p.version !== record.version)
      throw new MlcycleError(
        "CONFLICT",
        `run '${runId}' was made by pipeline '${record.pipeline}' version '${record.version}', not '${p.name}' version '${p.version}'`,
      );
    ctx.register(p);
  }
  const pipeline = ctx.definition(record.pipeline, record.version);
  if (record.status === "succeeded") return { record, pipeline, succeeded: true };
  if (signal?.aborted) throw abortedError(`resuming pipeline run '${runId}'`, signal);
  const taken = await ctx.leases.acquire(runId);
  if (taken) {
    if (!taken.run) throw notFound("pipeline run", runId);
    if (!taken.acquired) {
      if (taken.run.status === "succeeded") return { record: taken.run, pipeline, succeeded: true };
      throw leaseConflict(runId, taken.run, taken.now);
    }
    record = taken.run;
  }
  // Taken in this process meanwhile (two resumes at once): the lease is this engine's either way.
  if (ctx.isActive(runId)) throw stillRunning(runId);
  return { record, pipeline, succeeded: false };
}

function stillRunning(runId: string): MlcycleError {
  return new MlcycleError("PRECONDITION", `pipeline run '${runId}' is still running in this process`);
}

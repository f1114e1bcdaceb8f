import type { PipelineRunStatus, StepRunStatus } from "../stores/pipeline-store.js";

/** Events of pipeline runs on `ws.events`: progress of runs and steps. */
export interface PipelineEvents {
  /** A pipeline run began (or resumed). */
  "pipeline.run.started": { runId: string; pipeline: string; version: string; resumed: boolean; trigger?: string };
  /** A pipeline run ended: succeeded, or cancelled. */
  "pipeline.run.finished": { runId: string; pipeline: string; status: PipelineRunStatus; durationMs: number };
  /** A pipeline run ended because a step failed or timed out. */
  "pipeline.run.failed": {
    runId: string;
    pipeline: string;
    error: string;
    failedSteps: string[];
    durationMs: number;
  };
  /** A step began its first attempt. */
  "pipeline.step.started": { runId: string; pipeline: string; step: string; items?: number };
  /** A step ended: succeeded, or cancelled. */
  "pipeline.step.finished": {
    runId: string;
    pipeline: string;
    step: string;
    status: StepRunStatus;
    durationMs: number;
    attempts: number;
  };
  /** A step failed or timed out after its last attempt. */
  "pipeline.step.failed": {
    runId: string;
    pipeline: string;
    step: string;
    status: StepRunStatus;
    error: string;
    attempts: number;
  };
  /** An attempt failed and another follows after `delayMs`. */
  "pipeline.step.retrying": {
    runId: string;
    pipeline: string;
    step: string;
    attempt: number;
    delayMs: number;
    error: string;
  };
  /** A step's output was reused from the cache. */
  "pipeline.step.cached": { runId: string; pipeline: string; step: string; cacheKey: string; fromRunId: string };
  /** A step did not run: its condition was false or an upstream step was skipped. */
  "pipeline.step.skipped": { runId: string; pipeline: string; step: string; reason: string };
}

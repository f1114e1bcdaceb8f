import type {
  PipelineRunRecord,
  PipelineRunStatus,
  StepRunRecord,
  StepRunStatus,
  StoredError,
} from "../stores/pipeline-store.js";
import type { AnyPipeline } from "./pipeline.js";

/** Options of one pipeline run. */
export interface RunOptions {
  /** The run id (default a new ULID); `CONFLICT` when taken. */
  runId?: string;
  /** Whether steps may reuse cached outputs (default true); entries are written either way. */
  cache?: boolean;
  /** Whether step runs are recorded in `ws.lineage` (default true). */
  lineage?: boolean;
  /** Whether the run and its executed steps are logged as tracking runs (default true). */
  tracking?: boolean;
  /** What started the run, stored with it (default `manual`). */
  trigger?: string;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
}

/** The outcome of a pipeline run. */
export interface PipelineRunResult<O = Record<string, unknown>> {
  id: string;
  pipeline: string;
  version: string;
  status: PipelineRunStatus;
  error?: StoredError;
  /** Step records by step name (steps that never started have none). */
  steps: Record<string, StepRunRecord>;
  /** Outputs of the steps that succeeded or were cached. */
  outputs: Partial<O>;
  durationMs: number;
}

/** A run in progress in this process. */
export interface RunHandle<O = Record<string, unknown>> {
  runId: string;
  /** Settles when the run ends (it never rejects for a step failure: read `status`). */
  result: Promise<PipelineRunResult<O>>;
}

/** A run driven by this process: what its scheduler and the step runner share. */
export interface ActiveRun {
  id: string;
  pipeline: AnyPipeline;
  params: unknown;
  startedAt: number;
  controller: AbortController;
  cancelled: boolean;
  /** Set when another driver took the run over after this process's lease expired. */
  leaseLost?: boolean;
  values: Map<string, unknown>;
  statuses: Map<string, StepRunStatus>;
  artifactIds: Map<string, string>;
  trackingRunId?: string;
  contextId?: string;
  /** The run's stored options (cache, lineage, tracking). */
  options: StoredRunOptions;
  /** Rejects when the run is cancelled. */
  gone?: Promise<never>;
  /** A frozen copy of the params, shared by the run's steps. */
  frozenParams?: unknown;
  /** True when the run was resumed (its completed steps are read from the store). */
  resumed?: boolean;
  /** Steps whose task is being run by this process now, each with the promise of that run. */
  handling: Map<string, Promise<void>>;
  /**
   * Set by the scheduler: called when a step's outcome has been handed to the store but is not yet
   * committed, so its dependants start (and their claims join the same commit on SQLite).
   */
  early?: (step: string) => void;
  /** Per step handed over early: settles true once its outcome is committed, false if it was not. */
  finishing: Map<string, Promise<boolean>>;
}

/** How a run ended, as its scheduler reports it. */
export interface RunOutcome {
  status: PipelineRunStatus;
  error?: StoredError;
  failedSteps: string[];
}

/** The options a run was started with that are stored with it (`cache`, `lineage`, `tracking`). */
export type StoredRunOptions = NonNullable<PipelineRunRecord["options"]>;

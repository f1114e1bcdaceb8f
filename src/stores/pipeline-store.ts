import type { LineageBatchEdge, LineageNode, LineageNodeInput } from "./lineage-store.js";
import type { RunPatch } from "./tracking-store.js";

/** Status of a pipeline run. */
export type PipelineRunStatus = "running" | "succeeded" | "failed" | "cancelled";

/**
 * Status of one step run: `queued` (known, not claimed), `running` (claimed by a runner),
 * `succeeded`, `failed`, `skipped` (condition false or an upstream skipped), `cached` (output reused
 * from a cache entry, nothing executed), `timed_out`, `cancelled`.
 */
export type StepRunStatus =
  | "queued"
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cached"
  | "timed_out"
  | "cancelled";

/** Step statuses that count as done: `resume` keeps them and never runs those steps again. */
export const COMPLETED_STEP_STATUSES: readonly StepRunStatus[] = ["succeeded", "cached", "skipped"];

/** An error as stored: its class name, message, stack and mlcycle code when it has one. */
export interface StoredError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * Where a step output lives: inline JSON in the metadata store, or a blob in the artifact store
 * written by the named serializer. `hash` identifies the content (lineage uses it).
 */
export type OutputRef =
  | { kind: "inline"; value: unknown; hash: string }
  | { kind: "artifact"; digest: string; size: number; serializer: string; hash: string };

/** One log line written by a step through `ctx.log`. */
export interface StepLogEntry {
  at: number;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  data?: unknown;
}

/**
 * Who drives a run, and until when: the driver renews it while the run goes on. Another process
 * may take a `running` run over (resume it) only once its lease has expired — its driver died.
 */
export interface RunLease {
  /** The driver's id (one per workspace). */
  holder: string;
  /** Epoch milliseconds after which the lease is no longer live. */
  expiresAt: number;
}

/** What {@link PipelineStore.acquireRun} answers: the run as it is after the attempt. */
export type RunLeaseOutcome =
  | { acquired: true; run: PipelineRunRecord }
  | { acquired: false; run: PipelineRunRecord | undefined };

/** The durable record of one pipeline run. */
export interface PipelineRunRecord {
  id: string;
  pipeline: string;
  version: string;
  status: PipelineRunStatus;
  /** Validated pipeline parameters. */
  params: unknown;
  /** The parent tracking run, when tracking is available. */
  trackingRunId?: string;
  /** What started the run: `manual`, `cron:<expr>`, `event:<name>`… */
  trigger?: string;
  /** Run options every runner must honour, wherever it runs (absent members mean true). */
  options?: { cache?: boolean; lineage?: boolean; tracking?: boolean };
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  error?: StoredError;
  /** The lease of the run's driver (meaningful while the run is `running`). */
  lease?: RunLease;
}

/** The durable record of one step of one pipeline run. */
export interface StepRunRecord {
  runId: string;
  step: string;
  status: StepRunStatus;
  /** Attempts made (0 for cached or skipped steps). */
  attempts: number;
  /** Who holds the claim while `running`. */
  claimToken?: string;
  startedAt?: number;
  finishedAt?: number;
  error?: StoredError;
  cacheKey?: string;
  /** The components the cache key was computed from (see `explainCache`). */
  cacheComponents?: CacheKeyComponents;
  cacheHit: boolean;
  output?: OutputRef;
  trackingRunId?: string;
  /** Why a step was skipped or cancelled, or why an executed step missed the cache (expired entry, cache off). */
  reason?: string;
  /** For a map step: how many items it ran. */
  items?: number;
  logs?: StepLogEntry[];
  updatedAt: number;
}

/** What a step's cache key is made of. */
export interface CacheKeyComponents {
  step: string;
  /** The step's version, or `code:<sha256 of the function text>` when it declares none. */
  version: string;
  /** Canonical hash of the validated input, ignored inputs removed. */
  input: string;
  /** Inputs left out of the hash by the step's cache policy. */
  ignoredInputs: string[];
  /** Pipeline parameters the step read through `ctx.params`, with their values' hashes. */
  params: Record<string, string>;
  serializer: string;
}

/** A reusable step output. `baseKey` groups entries that differ only in the params they read. */
export interface CacheEntry {
  key: string;
  baseKey: string;
  step: string;
  components: CacheKeyComponents;
  output: OutputRef;
  runId: string;
  createdAt: number;
  expiresAt?: number;
}

/** A claim of one step run: the token identifies the holder in {@link PipelineStore.completeStep}. */
export interface StepClaim {
  token: string;
  now: number;
  /**
   * Takes the claim over from the holder with this token: the claim then also succeeds when the
   * step is `running` under exactly this token. The engine passes it when an executor redelivers a
   * task whose earlier delivery was abandoned (its worker died), so that the step does not stay with
   * a holder that will never commit; the old holder's commit is then refused, so the step is still
   * committed once.
   */
  replaces?: string;
}

/** The record of a step run just claimed with `claim`: what every store's `claimStep` returns. */
export function claimedStep(runId: string, step: string, claim: StepClaim): StepRunRecord {
  return {
    runId,
    step,
    status: "running",
    attempts: 0,
    claimToken: claim.token,
    startedAt: claim.now,
    cacheHit: false,
    updatedAt: claim.now,
  };
}

/** Everything a finished step writes, committed as one unit by {@link PipelineStore.commitStep}. */
export interface StepCommit {
  runId: string;
  step: string;
  /** The claim token; nothing is written unless it still holds the claim. */
  token: string;
  record: Omit<StepRunRecord, "runId" | "step" | "claimToken">;
  cache?: CacheEntry;
  /** The step's tracking run to update (its end: status, end time), when the step opened one. */
  trackingRun?: { id: string; patch: RunPatch };
  /** Lineage nodes and edges of the step run (edge ends: node ids or indexes into `nodes`). */
  lineage?: { nodes: readonly LineageNodeInput[]; edges: readonly LineageBatchEdge[] };
}

/** Filter of {@link PipelineStore.listRuns}. */
export interface PipelineRunFilter {
  pipeline?: string;
  status?: PipelineRunStatus;
  /** Default 100. */
  limit?: number;
}

/**
 * The pipeline-run metadata port: pipeline runs, step runs and cache entries. Built-ins:
 * `MemoryPipelineStore` (reference) and `SqlPipelineStore`. Check a third-party store with
 * `pipelineStoreSuite` from `mlcycle/testing`.
 *
 * The guarantees the engine relies on: {@link claimStep} is atomic per (run, step) — of several
 * concurrent claims at most one succeeds — and {@link completeStep} commits only for the holder of
 * the claim, so a step run is committed once however often its task is delivered.
 */
export interface PipelineStore {
  /** Inserts a run; `CONFLICT` when the id exists. */
  createRun(run: PipelineRunRecord): Promise<void>;
  getRun(id: string): Promise<PipelineRunRecord | undefined>;
  /** Updates status, finish time, error or tracking run of a run. */
  updateRun(
    id: string,
    patch: Partial<Pick<PipelineRunRecord, "status" | "finishedAt" | "error" | "trackingRunId" | "updatedAt">>,
  ): Promise<void>;
  /** Runs, newest first. */
  listRuns(filter?: PipelineRunFilter): Promise<PipelineRunRecord[]>;
  /**
   * Atomically makes `lease.holder` the driver of a run, for `resume`: succeeds when the run is
   * `failed` or `cancelled`, or `running` with no lease, an expired one (`expiresAt <= now`) or one
   * `lease.holder` holds already. The run becomes `running` with `lease` (and `updatedAt: now`). Of
   * several concurrent attempts at most one succeeds. A `succeeded` run is never acquired. Returns
   * the run as it is afterwards (undefined when it does not exist).
   *
   * Optional: without it a run has no driver lease, and `resume` cannot tell a live driver in
   * another process from a dead one (it resumes either).
   */
  acquireRun?(runId: string, lease: RunLease, now: number): Promise<RunLeaseOutcome>;
  /**
   * Extends the lease of a run's driver to `lease.expiresAt` when `lease.holder` still holds it;
   * false (nothing written) when another driver took the run over or the run does not exist.
   * Implemented together with {@link acquireRun}.
   */
  renewLease?(runId: string, lease: RunLease): Promise<boolean>;

  /**
   * Atomically claims (run, step): succeeds when no record exists or the record is `queued` — or
   * `running` under the token `claim.replaces` names — and the run is `running`. The claimed record
   * becomes `running` with the claim's token. Returns undefined when someone else holds or has
   * completed the step, or the run is not running.
   *
   * A store written before `replaces` existed refuses such a claim: a step whose worker died then
   * stays `running`, its run fails once the executor gives up, and `resume` runs the step again.
   */
  claimStep(runId: string, step: string, claim: StepClaim): Promise<StepRunRecord | undefined>;
  /**
   * Commits the outcome of a claimed step (and, atomically with it, a cache entry) when `token` still
   * holds the claim; returns false (and writes nothing) otherwise.
   */
  completeStep(
    runId: string,
    step: string,
    token: string,
    record: Omit<StepRunRecord, "runId" | "step" | "claimToken">,
    cache?: CacheEntry,
  ): Promise<boolean>;
  /** Commits a step's outcome, cache entry, tracking-run end and lineage as one transaction when
   *  the token still holds the claim; returns committed=false and writes nothing otherwise.
   *
   *  Optional: without it the engine writes the same records one after another (`completeStep`, then
   *  the tracking and lineage stores), so a crash between them can leave the step committed without
   *  its run end or lineage. Every built-in store has it. A failure of any part (a missing tracking
   *  run, an edge naming a node index outside `nodes`) rejects and writes nothing. */
  commitStep?(commit: StepCommit): Promise<{ committed: boolean; lineage: LineageNode[] }>;
  /** Writes a step record that was never claimed (skipped, cancelled) unless one is completed already. */
  putStep(record: StepRunRecord): Promise<void>;
  getStep(runId: string, step: string): Promise<StepRunRecord | undefined>;
  /** Every step record of a run. */
  listSteps(runId: string): Promise<StepRunRecord[]>;
  /**
   * Prepares a run for resuming: steps not completed (queued, running, failed, timed_out, cancelled)
   * are deleted so they can be claimed again, and the run is set back to `running`. Returns the
   * names of the steps reset.
   */
  resetIncomplete(runId: string, now: number): Promise<string[]>;

  /** Cache entries sharing a base key (same step, version, input and serializer), newest first. */
  findCache(baseKey: string): Promise<CacheEntry[]>;
  /** Recent cache entries of a step (for explaining a miss), newest first. */
  listCache(step: string, limit?: number): Promise<CacheEntry[]>;
  /** Inserts or replaces a cache entry by key. */
  putCache(entry: CacheEntry): Promise<void>;
  /** Removes cache entries of a step (every step when omitted); returns how many. */
  clearCache(step?: string): Promise<number>;
}

/** One unit of work the engine hands to an executor: "run step `step` of pipeline run `runId`". */
export interface StepTask {
  runId: string;
  step: string;
  /** The pipeline's name and version: a worker finds the definition by them. */
  pipeline: string;
  version: string;
}

/**
 * What an executor knows about one delivery of a task, handed to the runner beside it. Every member
 * is optional: an executor that knows nothing passes nothing.
 */
export interface StepDelivery {
  /**
   * True when an earlier delivery of this task was abandoned — its worker died or stopped renewing
   * its hold on the task (a job queue's stalled job), or its attempt ended without settling the step
   * — so that whoever holds the step's claim from it will never commit. The runner then takes the
   * claim over from that holder (`StepClaim.replaces`); should the old holder come back, its commit
   * is refused, so the step is still committed once. Leave it false for a duplicate that may run
   * beside a live delivery (default `false`).
   */
  redelivered?: boolean;
}

/**
 * Runs a task where the executor delivers it: claims the step, runs it with retries and timeout,
 * commits the outcome. Resolves once the step run is committed (whatever its status); the outcome
 * is read from the pipeline store, never from the executor. A duplicate of a task this process is
 * running resolves when that one does.
 */
export type StepTaskRunner = (task: StepTask, delivery?: StepDelivery) => Promise<void>;

/**
 * The executor port: carries only "run step S of run R". The engine — graph, caching, retries,
 * resume, lineage — does not depend on where the task runs, and delivery may be at least once
 * (a step run is committed once per (run, step) by the store's claim).
 *
 * - In process (default): `inProcessExecutor`, a concurrency limit with a FIFO queue.
 * - Distributed: `bullmqExecutor` from `mlcycle/bullmq` — `submit` enqueues a job, workers in other
 *   processes (`startWorker`) call their own workspace's runner, and `submit` resolves when the job
 *   completes; a task whose worker died is redelivered (`StepDelivery.redelivered`).
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ executor: inProcessExecutor({ concurrency: 4 }) });
 * ```
 */
export interface Executor {
  /** A short name for logs, e.g. `in-process`, `bullmq`. */
  readonly name: string;
  /**
   * Gives the executor the function that runs a task in this process. Called once per workspace
   * before the first `submit`; a distributed executor's workers use it too.
   */
  attach(runner: StepTaskRunner): void | Promise<void>;
  /** Runs a task (somewhere); resolves when it is done, rejects only when it could not be delivered. */
  submit(task: StepTask): Promise<void>;
  /** Waits for running tasks and releases resources; no submit afterwards. */
  close(): Promise<void>;
  /**
   * What the executor promises beyond the required methods, as data (defaults in
   * {@link DEFAULT_EXECUTOR_CAPABILITIES}; read them with {@link executorCapabilities}). The
   * conformance suite skips or relaxes its checks by them.
   */
  readonly capabilities?: Partial<ExecutorCapabilities>;
}

/**
 * What an executor declares about itself. Every member has a default, so an executor written
 * before a capability existed keeps its meaning.
 */
export interface ExecutorCapabilities {
  /**
   * At most this many tasks run at once (over every run it carries), or `undefined` when the
   * executor declares no limit (default `undefined`).
   */
  concurrency: number | undefined;
  /**
   * Whether a task may be delivered more than once (at-least-once delivery, as a job queue that
   * re-delivers after a worker stalls). The engine tolerates it either way — a step run is
   * committed once per (run, step) — but callers and the suite then expect one delivery or more
   * instead of exactly one (default `false`).
   */
  atLeastOnce: boolean;
}

/** The capabilities an executor has when it declares none. */
export const DEFAULT_EXECUTOR_CAPABILITIES: Readonly<ExecutorCapabilities> = Object.freeze({
  concurrency: undefined,
  atLeastOnce: false,
});

/**
 * An executor's capabilities with the defaults filled in.
 *
 * @example
 * ```ts
 * executorCapabilities(inProcessExecutor({ concurrency: 2 })); // { concurrency: 2, atLeastOnce: false }
 * ```
 */
export function executorCapabilities(executor: Pick<Executor, "capabilities">): ExecutorCapabilities {
  return { ...DEFAULT_EXECUTOR_CAPABILITIES, ...executor.capabilities };
}

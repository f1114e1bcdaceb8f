import { invalid } from "../../core/errors.js";
import type { Executor } from "../../stores/executor.js";
import { type BullmqExecutor, bullmqExecutor } from "./bullmq-executor.js";
import { type BullmqExecutorOptions, type BullmqWorkerOptions, checkWorkerOptions } from "./bullmq-options.js";

/**
 * What {@link startWorker} needs of a workspace, typed structurally (a mlcycle `Workspace` fits):
 * register pipeline definitions, attach its executor, close.
 */
export interface WorkerWorkspace {
  readonly pipelines: {
    register(p: any): unknown;
    startWorker(): Promise<void>;
  };
  close(): Promise<void>;
}

/** Options of {@link startWorker}: the executor's (without `worker`) and the worker's settings. */
export interface StartWorkerOptions<W extends WorkerWorkspace>
  extends Omit<BullmqExecutorOptions, "worker">,
    BullmqWorkerOptions {
  /**
   * Opens the worker's workspace, on the same stores as the coordinator's (metadata, artifacts),
   * with the executor it is given: `(executor) => openWorkspace(dir, { executor })`. The worker runs
   * each task through this workspace's pipeline engine; `close()` closes it.
   */
  workspace: (executor: Executor) => W | Promise<W>;
  /**
   * The pipeline definitions this worker runs, found by name and version as each task names them.
   * A task of a pipeline the worker lacks fails its delivery (and is delivered again, perhaps to a
   * worker that has it).
   */
  pipelines: ReadonlyArray<Parameters<W["pipelines"]["register"]>[0]>;
}

/** A running worker, as {@link startWorker} returns it. */
export interface BullmqWorker<W extends WorkerWorkspace> {
  /** The worker's workspace. */
  readonly workspace: W;
  /** The executor whose BullMQ worker takes the tasks. */
  readonly executor: BullmqExecutor;
  /**
   * Shuts the worker down gracefully: it takes no new task, finishes the steps it is running (each
   * committed as usual), then closes its connections and the workspace. Call it on SIGTERM.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a worker that takes step tasks from the BullMQ queue and runs each through its own
 * workspace's pipeline engine: it finds the definition by the task's pipeline name and version
 * among `pipelines`, claims the step, runs it (with the step's retries and timeout), and commits
 * its outcome, cache entry and lineage to the shared stores. Several workers, on any hosts, share
 * the queue; a task whose worker dies is taken over by another once its lock expires.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { startWorker } from "mlcycle/bullmq";
 * const worker = await startWorker({
 *   connection: new Redis(process.env.REDIS_URL!),
 *   workspace: (executor) => openWorkspace("./shared", { executor }),
 *   pipelines: [train],
 *   concurrency: 2,
 * });
 * process.once("SIGTERM", () => void worker.close());   // finishes its steps, then exits
 * ```
 */
export async function startWorker<W extends WorkerWorkspace>(options: StartWorkerOptions<W>): Promise<BullmqWorker<W>> {
  if (options === null || typeof options !== "object")
    throw invalid(["options"], "must be an object with `connection`, `workspace` and `pipelines`");
  const { workspace: open, pipelines, concurrency, lockDuration, stalledInterval, maxStalledCount, ...rest } = options;
  if (typeof open !== "function")
    throw invalid(["workspace"], "must be a function opening the worker's workspace with the executor it is given");
  if (!Array.isArray(pipelines) || pipelines.length === 0)
    throw invalid(["pipelines"], "must be a non-empty array of the pipeline definitions this worker runs");
  const worker = checkWorkerOptions({ concurrency, lockDuration, stalledInterval, maxStalledCount }, []);
  const executor = bullmqExecutor({ ...rest, worker });
  let ws: W | undefined;
  try {
    ws = await open(executor);
    if (ws === null || typeof ws !== "object" || typeof ws.pipelines?.startWorker !== "function")
      throw invalid(["workspace"], "must return a workspace (what createWorkspace or openWorkspace gives)");
    for (const p of pipelines) ws.pipelines.register(p);
    await ws.pipelines.startWorker();
    if (!executor.attached)
      throw invalid(
        ["workspace"],
        "opened a workspace with another executor: pass the executor it is given, as `{ executor }`",
      );
  } catch (error) {
    await executor.close().catch(() => undefined);
    await ws?.close().catch(() => undefined);
    throw error;
  }
  const opened = ws;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        await executor.close();
      } finally {
        await opened.close();
      }
    })();
    return closing;
  };
  return { workspace: opened, executor, close, [Symbol.asyncDispose]: close };
}

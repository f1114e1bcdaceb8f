import PQueue from "p-queue";
import { MlcycleError } from "../core/errors.js";
import type { Executor, StepTask, StepTaskRunner } from "./executor.js";

/** Options of {@link inProcessExecutor}. */
export interface InProcessExecutorOptions {
  /** Steps running at once across every pipeline run of the workspace (default 4). */
  concurrency?: number;
}

/**
 * The default executor: runs step tasks in this process through a p-queue with a concurrency limit.
 *
 * @example
 * ```ts
 * const ws = await openWorkspace(dir, { executor: inProcessExecutor({ concurrency: 8 }) });
 * ```
 */
export function inProcessExecutor(options: InProcessExecutorOptions = {}): Executor {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new MlcycleError("VALIDATION", "inProcessExecutor: concurrency must be a positive integer");
  const queue = new PQueue({ concurrency });
  let runner: StepTaskRunner | undefined;
  let closed = false;
  return {
    name: "in-process",
    capabilities: { concurrency, atLeastOnce: false },
    attach(r) {
      runner = r;
    },
    async submit(task: StepTask) {
      if (closed) throw new MlcycleError("UNAVAILABLE", "the executor is closed");
      const run = runner;
      if (!run) throw new MlcycleError("INTERNAL", "the executor has no runner attached");
      await queue.add(() => run(task));
    },
    async close() {
      closed = true;
      await queue.onIdle();
    },
  };
}

import { type Executor, MlcycleError, type StepTask, type StepTaskRunner } from "../../src/index.js";

/**
 * An at-least-once executor for tests: delivers each task twice at once, then once more after
 * both settle, in this process. `onSubmit` sees each task once, as submitted.
 */
export function duplicatingExecutor(onSubmit?: (task: StepTask) => void): Executor {
  let runner: StepTaskRunner | undefined;
  let closed = false;
  const running = new Set<Promise<void>>();
  return {
    name: "duplicating",
    capabilities: { atLeastOnce: true },
    attach(r) {
      runner = r;
    },
    async submit(task: StepTask) {
      if (closed) throw new MlcycleError("UNAVAILABLE", "the executor is closed");
      const run = runner;
      if (!run) throw new MlcycleError("INTERNAL", "the executor has no runner attached");
      onSubmit?.(task);
      const work = (async () => {
        await Promise.all([run(task), run(task)]);
        await run(task);
      })();
      running.add(work);
      try {
        await work;
      } finally {
        running.delete(work);
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...running]);
    },
  };
}

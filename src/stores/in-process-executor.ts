import { MlcycleError } from "../core/errors.js";
import type { Executor, StepTask, StepTaskRunner } from "./executor.js";

/** Options of {@link inProcessExecutor}. */
export interface InProcessExecutorOptions {
  /** Steps running at once across every pipeline run of the workspace (default 4). */
  concurrency?: number;
}

/**
 * The default executor: runs step tasks in this process, at most `concurrency` at once, the others
 * waiting in the order they were submitted.
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
  const slots = new Slots(concurrency);
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
      const waited = slots.take();
      if (waited) await waited;
      try {
        await run(task);
      } finally {
        slots.give();
      }
    },
    async close() {
      closed = true;
      await slots.idle();
    },
  };
}

/**
 * A counting semaphore with a FIFO queue: `take` resolves at once (returns nothing) while a slot is
 * free, else returns a promise settled when one is given back. A step that finds a free slot costs
 * one counter increment — no promise, closure or event per task.
 */
class Slots {
  private used = 0;
  private queue: Array<() => void> = [];
  private head = 0;
  private idlers: Array<() => void> = [];

  constructor(private readonly size: number) {}

  take(): Promise<void> | undefined {
    if (this.used < this.size) {
      this.used++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.queue.push(resolve));
  }

  give(): void {
    if (this.head < this.queue.length) {
      // The slot passes straight to the next waiter: `used` is unchanged.
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      next();
      return;
    }
    this.used--;
    if (this.used === 0 && this.idlers.length) for (const idle of this.idlers.splice(0)) idle();
  }

  /** Resolves once nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.used === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idlers.push(resolve));
  }
}

import { describe, expect, it } from "./vitest.js";
import { isMlcycleError } from "../core/errors.js";
import { type Executor, executorCapabilities, type StepTask } from "../stores/executor.js";

/** Options of {@link executorSuite}. */
export interface ExecutorSuiteOptions {
  /** How many tasks the load checks submit at once (default 12). */
  tasks?: number;
  /** How long a check waits for deliveries before failing, in ms (default 5000). */
  waitMs?: number;
}

const task = (i: number, runId = "r1"): StepTask => ({ runId, step: `s${i}`, pipeline: "p", version: "1" });
const key = (t: StepTask) => `${t.runId}/${t.step}`;

/** A promise with its resolver, released by the check. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

async function until(condition: () => boolean, waitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets queued callbacks and short timers run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

/**
 * The {@link Executor} conformance suite: submitted tasks reach the attached runner and `submit`
 * resolves once the task is done; a declared concurrency limit holds; `close()` waits for running
 * tasks and refuses new ones; a failing runner does not stop later tasks. Checks adapt to the
 * executor's declared `capabilities`: with `atLeastOnce` a task may be delivered more than once
 * (the checks count distinct tasks), and the concurrency check is skipped when no limit is
 * declared.
 *
 * The factory returns a fresh executor whose `attach`ed runner receives the tasks it carries (a
 * distributed executor under test runs its worker in the same process).
 *
 * @example
 * ```ts
 * executorSuite("in-process", () => inProcessExecutor({ concurrency: 3 }));
 * ```
 */
export function executorSuite(
  name: string,
  factory: () => Executor | Promise<Executor>,
  options: ExecutorSuiteOptions = {},
): void {
  const n = options.tasks ?? 12;
  const waitMs = options.waitMs ?? 5000;

  /** A fresh executor with a runner that records deliveries; `hold` makes tasks wait for a gate. */
  async function harness(hold?: Promise<void>) {
    const ex = await factory();
    const caps = executorCapabilities(ex);
    const deliveries: string[] = [];
    const done = new Set<string>();
    let running = 0;
    let maxRunning = 0;
    let fail: ((t: StepTask) => boolean) | undefined;
    await ex.attach(async (t) => {
      deliveries.push(key(t));
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await new Promise((r) => setTimeout(r, 1));
        if (hold) await hold;
        if (fail?.(t)) throw new Error(`task ${key(t)} failed`);
        done.add(key(t));
      } finally {
        running--;
      }
    });
    const count = (k: string) => deliveries.filter((d) => d === k).length;
    /** Exactly once, or at least once when the executor declares at-least-once delivery. */
    const expectDelivered = (k: string) => {
      if (caps.atLeastOnce) expect(count(k)).toBeGreaterThanOrEqual(1);
      else expect(count(k)).toBe(1);
    };
    return {
      ex,
      caps,
      deliveries,
      done,
      count,
      expectDelivered,
      running: () => running,
      maxRunning: () => maxRunning,
      failWhen: (f: (t: StepTask) => boolean) => {
        fail = f;
      },
    };
  }

  describe(`Executor conformance: ${name}`, () => {
    it("declares well-formed capabilities", async () => {
      const ex = await factory();
      expect(typeof ex.name).toBe("string");
      expect(ex.name.length).toBeGreaterThan(0);
      const caps = executorCapabilities(ex);
      expect(typeof caps.atLeastOnce).toBe("boolean");
      if (caps.concurrency !== undefined) {
        expect(Number.isInteger(caps.concurrency)).toBe(true);
        expect(caps.concurrency).toBeGreaterThanOrEqual(1);
      }
      await ex.attach(async () => undefined);
      await ex.close();
    });

    it("delivers a submitted task to the attached runner and resolves once it is done", async () => {
      const h = await harness();
      const t = task(1);
      await h.ex.submit(t);
      expect(h.done.has(key(t))).toBe(true);
      h.expectDelivered(key(t));
      expect(h.deliveries.every((d) => d === key(t))).toBe(true);
      await h.ex.close();
    });

    it("delivers every one of many tasks submitted at once, whole", async () => {
      const h = await harness();
      const seen: StepTask[] = [];
      const tasks = Array.from({ length: n }, (_, i) => task(i, i % 2 ? "r1" : "r2"));
      await Promise.all(tasks.map((t) => h.ex.submit(t).then(() => seen.push(t))));
      expect(seen).toHaveLength(n);
      for (const t of tasks) {
        expect(h.done.has(key(t))).toBe(true);
        h.expectDelivered(key(t));
      }
      expect(new Set(h.deliveries)).toEqual(new Set(tasks.map(key)));
      await h.ex.close();
    });

    it("runs at most its declared concurrency of tasks at once, and reaches it", async (ctx) => {
      const open = gate();
      const h = await harness(open.promise);
      const limit = h.caps.concurrency;
      if (limit === undefined) {
        await h.ex.close();
        return ctx.skip();
      }
      const tasks = Array.from({ length: limit * 2 + 1 }, (_, i) => task(i));
      const submitted = Promise.all(tasks.map((t) => h.ex.submit(t)));
      await until(() => h.running() >= limit, waitMs, `${limit} tasks to run at once`);
      await settle();
      expect(h.running()).toBe(limit);
      open.open();
      await submitted;
      expect(h.maxRunning()).toBe(limit);
      for (const t of tasks) h.expectDelivered(key(t));
      await h.ex.close();
    });

    it("keeps delivering after a runner fails: that task's submit settles", async () => {
      const h = await harness();
      h.failWhen((t) => t.step === "s0");
      const outcome = await h.ex.submit(task(0)).then(
        () => "resolved",
        () => "rejected",
      );
      expect(["resolved", "rejected"]).toContain(outcome);
      await h.ex.submit(task(1));
      expect(h.done.has(key(task(1)))).toBe(true);
      await h.ex.close();
    });

    it("waits in close() for the tasks running, then refuses new ones with UNAVAILABLE", async () => {
      const open = gate();
      const h = await harness(open.promise);
      const t = task(1);
      const submitted = h.ex.submit(t);
      await until(() => h.deliveries.length > 0, waitMs, "the task to be delivered");
      let closed = false;
      const closing = h.ex.close().then(() => {
        closed = true;
      });
      await settle();
      expect(closed).toBe(false);
      open.open();
      await closing;
      await submitted;
      expect(h.done.has(key(t))).toBe(true);
      h.expectDelivered(key(t));
      await expect(h.ex.submit(task(2))).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
      expect(h.count(key(task(2)))).toBe(0);
    });
  });
}

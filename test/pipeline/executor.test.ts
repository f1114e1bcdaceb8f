import { describe, expect, it } from "vitest";
import { inProcessExecutor, type StepTask } from "../../src/index.js";
import { executorSuite } from "../../src/testing/index.js";
import { duplicatingExecutor } from "./duplicating-executor.js";

executorSuite("in-process", () => inProcessExecutor({ concurrency: 3 }));
executorSuite("in-process (default concurrency)", () => inProcessExecutor());
executorSuite("duplicating (at least once)", () => duplicatingExecutor());

describe("inProcessExecutor", () => {
  const task = (i: number): StepTask => ({ runId: "r", step: `s${i}`, pipeline: "p", version: "1" });

  it("starts waiting tasks in the order they were submitted, one per slot given back", async () => {
    const ex = inProcessExecutor({ concurrency: 2 });
    const started: string[] = [];
    const release = new Map<string, () => void>();
    ex.attach(
      (t) =>
        new Promise<void>((resolve) => {
          started.push(t.step);
          release.set(t.step, resolve);
        }),
    );
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => ex.submit(task(i))));
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(["s0", "s1"]);
    release.get("s1")!();
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(["s0", "s1", "s2"]);
    release.get("s0")!();
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(["s0", "s1", "s2", "s3"]);
    for (const s of ["s2", "s3"]) release.get(s)!();
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(["s0", "s1", "s2", "s3", "s4"]);
    release.get("s4")!();
    await all;
    await ex.close();
  });

  it("keeps its limit across thousands of queued tasks", async () => {
    const ex = inProcessExecutor({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    let done = 0;
    ex.attach(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      done++;
    });
    await Promise.all(Array.from({ length: 3000 }, (_, i) => ex.submit(task(i))));
    expect({ peak, done, running }).toEqual({ peak: 3, done: 3000, running: 0 });
    await ex.close();
  });
});

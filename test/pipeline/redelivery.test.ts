// At-least-once executors redeliver a task whose worker died (a job queue's stalled job). The runner
// then takes the step's claim over from the abandoned delivery, so the run completes; should the
// abandoned delivery come back, its commit is refused and the step stays committed once.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createWorkspace,
  type Executor,
  openWorkspace,
  pipeline,
  type StepTaskRunner,
  step,
  type Workspace,
  type WorkspaceOptions,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
type Open = (options?: Omit<WorkspaceOptions, "metadata" | "artifacts">) => Promise<Workspace>;
const kinds: Array<[string, Open]> = [
  ["memory", (o) => createWorkspace(o)],
  ["sqlite", (o) => openWorkspace(join(dir, `ws-${Math.random()}`), o)],
];

/** A workspace on the coordinator's stores that only runs tasks handed to its runner. */
async function workerOf(ws: Workspace) {
  let runner: StepTaskRunner | undefined;
  const worker = await createWorkspace({
    metadata: ws.metadata,
    artifacts: ws.artifacts,
    executor: {
      name: "worker",
      attach(r) {
        runner = r;
      },
      submit: async () => {
        throw new Error("a worker does not submit");
      },
      async close() {},
    },
  });
  return { worker, run: (...a: Parameters<StepTaskRunner>) => runner!(...a) };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

describe.each(kinds)("a redelivered task on %s", (_kind, open) => {
  it("takes the step over from the abandoned delivery; the abandoned one's late commit is refused", async () => {
    const started: string[] = [];
    let release!: () => void;
    const stalled = new Promise<void>((r) => {
      release = r;
    });
    const slow = step({
      name: "slow",
      version: "1",
      input: z.object({}),
      output: z.string(),
      run: async () => {
        if (started.length === 0) {
          started.push("abandoned");
          await stalled;
          return "from the abandoned delivery";
        }
        started.push("redelivered");
        return "from the redelivery";
      },
    });
    const after = step({
      name: "after",
      version: "1",
      input: z.object({ x: z.string() }),
      output: z.string(),
      run: ({ x }) => x.toUpperCase(),
    });
    const p = pipeline("redelivery")
      .step("slow", slow)
      .step("after", after, ({ slow }) => ({ x: slow }));

    let a!: Awaited<ReturnType<typeof workerOf>>;
    let b!: Awaited<ReturnType<typeof workerOf>>;
    let abandoned: Promise<void> | undefined;
    const plain: string[] = [];
    const redelivering: Executor = {
      name: "redelivering",
      capabilities: { atLeastOnce: true },
      attach() {},
      async submit(task) {
        if (task.step !== "slow") {
          plain.push(task.step);
          return b.run(task);
        }
        // Worker A takes the task and stops answering mid-step; the queue hands the task to B.
        abandoned = a.run(task);
        await until(() => started.length > 0);
        // Delivered again without saying it was abandoned: A's claim holds, nothing runs.
        await b.run(task);
        expect(started).toEqual(["abandoned"]);
        await b.run(task, { redelivered: true });
      },
      async close() {},
    };
    const ws = await open({ executor: redelivering });
    a = await workerOf(ws);
    b = await workerOf(ws);
    for (const w of [a, b]) {
      w.worker.pipelines.register(p);
      await w.worker.pipelines.startWorker();
    }
    const r = await ws.pipelines.run(p);
    expect(r.status).toBe("succeeded");
    expect(r.outputs).toEqual({ slow: "from the redelivery", after: "FROM THE REDELIVERY" });
    expect(started).toEqual(["abandoned", "redelivered"]);
    expect(plain).toEqual(["after"]);

    // A comes back and tries to commit its own output: refused, nothing of it is stored.
    release();
    await abandoned;
    const rec = await ws.pipelines.stepRun(r.id, "slow");
    expect(rec.status).toBe("succeeded");
    expect(await ws.pipelines.output(r.id, "slow")).toBe("from the redelivery");
    const cached = await ws.metadata.pipelines.listCache("slow", 10);
    expect(cached.map((e) => e.runId)).toEqual([r.id]);
    const exec = await ws.lineage.get({ kind: "execution", externalId: `step_run:${r.id}/slow` });
    const down = await ws.lineage.downstream(exec.id, { maxHops: 1 });
    expect(down.nodes.filter((n) => n.kind === "artifact").map((n) => n.externalId)).toEqual([
      `step_output:${rec.output!.hash}`,
    ]);
    await ws.close();
    for (const w of [a, b]) await w.worker.close().catch(() => undefined);
  });

  it("lets a duplicate of a step this process runs settle when that step is committed", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let runs = 0;
    const held = step({
      name: "held",
      version: "1",
      input: z.object({}),
      output: z.number(),
      run: async () => {
        runs++;
        await gate;
        return 7;
      },
    });
    const p = pipeline("duplicate-waits").step("held", held);
    let runner!: StepTaskRunner;
    const order: string[] = [];
    const twice: Executor = {
      name: "twice",
      capabilities: { atLeastOnce: true },
      attach(r) {
        runner = r;
      },
      async submit(task) {
        const first = runner(task).then(() => order.push("first"));
        await until(() => runs > 0);
        const second = runner(task, { redelivered: true }).then(() => order.push("duplicate"));
        await new Promise((r) => setTimeout(r, 20));
        expect(order).toEqual([]);
        release();
        await Promise.all([first, second]);
      },
      async close() {},
    };
    await using ws = await open({ executor: twice });
    const r = await ws.pipelines.run(p);
    expect(r.status).toBe("succeeded");
    expect(r.outputs.held).toBe(7);
    expect(runs).toBe(1);
    expect(order).toEqual(["first", "duplicate"]);
  });
});

// The BullMQ executor and startWorker in one process: a coordinator that only enqueues and a worker
// on the same stores, failed deliveries, foreign jobs, what close() releases, and bad options.
import * as bullmq from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type BullmqConnectionLike,
  type BullmqModuleLike,
  bullmqExecutor,
  startWorker,
} from "../../../src/adapters/bullmq/index.js";
import {
  isMlcycleError,
  type MlcycleEvents,
  openWorkspace,
  pipeline,
  step,
  type Workspace,
} from "../../../src/index.js";
import { tempDir } from "../../helpers.js";
import { REDIS_URL, service } from "../../services.js";
import { testQueues } from "./bullmq-test-queues.js";

const redis = await service("Redis", REDIS_URL);
const root = tempDir();
let folders = 0;
const folder = () => `${root}/ws-${folders++}`;

const task = { runId: "r1", step: "s1", pipeline: "p", version: "1" };

function trainPipeline(where: (ws: unknown) => void) {
  const load = step({
    name: "load",
    version: "1",
    input: z.object({ n: z.number() }),
    output: z.array(z.number()),
    run: ({ n }, ctx) => {
      where(ctx.workspace);
      return Array.from({ length: n }, (_, i) => i + 1);
    },
  });
  const fit = step({
    name: "fit",
    version: "1",
    input: z.object({ rows: z.array(z.number()) }),
    output: z.object({ weight: z.number() }),
    run: ({ rows }, ctx) => {
      where(ctx.workspace);
      return { weight: rows.reduce((a, b) => a + b, 0) };
    },
  });
  return pipeline("train", { params: z.object({ n: z.number() }) })
    .step("load", load, ({ params }) => ({ n: params.n }))
    .step("fit", fit, ({ load }) => ({ rows: load }));
}

function stepEvents(ws: Workspace): string[] {
  const seen: string[] = [];
  for (const name of ["pipeline.step.started", "pipeline.step.finished"] as Array<keyof MlcycleEvents>)
    ws.events.on(name, (e: any) => seen.push(`${name}:${e.step}`));
  return seen;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(redis)("BullMQ executor", () => {
  const queues = testQueues("mlc_bullmq_exec");
  afterAll(() => queues.drop());

  /** Names of the server's connections whose name starts with the prefix. */
  async function connectionsUnder(prefix: string): Promise<string[]> {
    const list = String(await queues.client.client("LIST"));
    return list
      .split("\n")
      .map((l) => / name=(\S*)/.exec(l)?.[1] ?? "")
      .filter((n) => n.startsWith(`${prefix}:`));
  }

  it("takes the bullmq module and an ioredis client as they are (typed structurally)", () => {
    const module: BullmqModuleLike = bullmq;
    const client: BullmqConnectionLike = queues.client;
    expect(typeof module.Worker).toBe("function");
    expect(typeof client.duplicate).toBe("function");
  });

  it("runs every step on a worker started apart: the coordinator only enqueues", async () => {
    const names = queues.names();
    const dir = folder();
    const coordinator = queues.executor({ ...names });
    expect(coordinator.capabilities).toEqual({ atLeastOnce: true });
    await using ws = await openWorkspace(dir, { executor: coordinator });
    const ranIn: unknown[] = [];
    const p = trainPipeline((w) => ranIn.push(w));
    await using worker = await startWorker({
      connection: queues.client,
      ...names,
      workspace: (executor) => openWorkspace(dir, { executor }),
      pipelines: [p],
      concurrency: 2,
    });
    const onCoordinator = stepEvents(ws);
    const onWorker = stepEvents(worker.workspace);
    const r = await ws.pipelines.run(p, { n: 4 });
    expect(r.status).toBe("succeeded");
    expect(r.outputs).toEqual({ load: [1, 2, 3, 4], fit: { weight: 10 } });
    expect(ranIn).toEqual([worker.workspace, worker.workspace]);
    expect(onCoordinator).toEqual([]);
    expect(onWorker).toEqual([
      "pipeline.step.started:load",
      "pipeline.step.finished:load",
      "pipeline.step.started:fit",
      "pipeline.step.finished:fit",
    ]);
    // Engine features work across the queue: the second run is served from the cache.
    const again = await ws.pipelines.run(p, { n: 4 });
    expect(Object.values(again.steps).map((s) => s.status)).toEqual(["cached", "cached"]);
    const exec = await ws.lineage.get({ kind: "execution", externalId: `step_run:${r.id}/fit` });
    expect(exec.properties).toMatchObject({ pipelineRunId: r.id, status: "succeeded" });
    await worker.close();
    await expect(worker.workspace.experiments.list()).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
  });

  it("fails the run with the delivery error when no worker can run a task (attempts used up)", async () => {
    const names = queues.names();
    const dir = folder();
    const coordinator = queues.executor({ ...names, attempts: 2, backoffMs: 10 });
    await using ws = await openWorkspace(dir, { executor: coordinator });
    const p = trainPipeline(() => undefined);
    const other = pipeline("other").step(
      "x",
      step({ name: "x", version: "1", input: z.object({}), output: z.number(), run: () => 1 }),
    );
    await using _worker = await startWorker({
      connection: queues.client,
      ...names,
      workspace: (executor) => openWorkspace(dir, { executor }),
      pipelines: [other],
    });
    const r = await ws.pipelines.run(p, { n: 1 });
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: "UNAVAILABLE" });
    expect(r.error?.message).toMatch(
      /step 'load' of run '.+' could not be run .*pipeline definition 'train@.+' not found/,
    );
    // The failed job is kept for inspection, after both deliveries.
    const connection = queues.client.duplicate();
    const queue = new bullmq.Queue(names.queue, { connection, prefix: names.prefix });
    const [failed] = await queue.getFailed();
    expect(failed?.attemptsMade).toBe(2);
    expect(failed?.data).toEqual({ runId: r.id, step: "load", pipeline: "train", version: p.version });
    await queue.close();
    await connection.quit();
  });

  it("fails a job that carries no step task at once, without delivering it again", async () => {
    const names = queues.names();
    const ex = queues.executor({ ...names, worker: true });
    const delivered: unknown[] = [];
    await ex.attach(async (t) => {
      delivered.push(t);
    });
    const connection = queues.client.duplicate();
    const queue = new bullmq.Queue(names.queue, { connection, prefix: names.prefix });
    const job = await queue.add("foreign", { hello: "world" }, { attempts: 5 });
    await until(async () => (await queue.getJobState(job.id!)) === "failed", "the foreign job to fail");
    const failed = await queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/carries no step task: only mlcycle's executor may add jobs to this queue/);
    expect(delivered).toEqual([]);
    await queue.close();
    await connection.quit();
  });

  it("closes the queue, the event reader, the worker and its own connections; never the caller's client", async () => {
    const names = queues.names();
    const ex = queues.executor({ ...names, worker: true });
    const idle = queues.executor();
    await ex.attach(async () => undefined);
    await ex.submit(task);
    expect((await connectionsUnder(names.prefix)).length).toBeGreaterThanOrEqual(3);
    await ex.close();
    await ex.close();
    await idle.close();
    await until(async () => (await connectionsUnder(names.prefix)).length === 0, "the executor's connections to close");
    expect(await queues.client.ping()).toBe("PONG");
    await expect(ex.submit(task)).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
    await expect(ex.attach(async () => undefined)).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
    await expect(idle.submit(task)).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
  });

  it("refuses bad options with a VALIDATION error naming the option", () => {
    const client = queues.client;
    const cases: Array<[unknown, string, RegExp]> = [
      [undefined, "options", /must be an object/],
      [{}, "connection", /must be your ioredis client/],
      [{ connection: { host: "127.0.0.1", port: 6379 } }, "connection", /connection options or a URL are not taken/],
      [{ connection: "redis://127.0.0.1:6379" }, "connection", /must be your ioredis client/],
      [{ connection: { duplicate: () => undefined, isCluster: true } }, "connection", /Cluster is not supported/],
      [
        { connection: { duplicate: () => undefined, options: { keyPrefix: "app:" } } },
        "connection",
        /keyPrefix 'app:'.*`prefix` option/,
      ],
      [{ connection: client, queue: "a:b" }, "queue", /letters, digits and _ - \. only/],
      [{ connection: client, queue: "" }, "queue", /1 to 200 characters/],
      [{ connection: client, queue: "q".repeat(201) }, "queue", /1 to 200 characters/],
      [{ connection: client, queue: 7 }, "queue", /must be a string/],
      [{ connection: client, prefix: "my app" }, "prefix", /letters, digits and _ - \. : only/],
      [{ connection: client, attempts: 0 }, "attempts", /integer from 1 to 100/],
      [{ connection: client, attempts: 1.5 }, "attempts", /integer from 1 to 100/],
      [{ connection: client, backoffMs: -1 }, "backoffMs", /integer from 0/],
      [{ connection: client, worker: "yes" }, "worker", /true, false or an object/],
      [{ connection: client, worker: { concurrency: 0 } }, "worker.concurrency", /integer from 1 to 1000/],
      [{ connection: client, worker: { lockDuration: 50 } }, "worker.lockDuration", /integer from 100/],
      [{ connection: client, worker: { stalledInterval: "1s" } }, "worker.stalledInterval", /integer from 100/],
      [{ connection: client, worker: { maxStalledCount: -1 } }, "worker.maxStalledCount", /integer from 0/],
      [{ connection: client, worker: { lock: 1 } }, "worker.lock", /is not an option/],
      [{ connection: client, queueName: "x" }, "queueName", /is not an option \(known: connection, queue/],
      [{ connection: client, onError: "log" }, "onError", /must be a function/],
      [{ connection: client, bullmq: {} }, "bullmq", /must be the bullmq module/],
    ];
    for (const [options, path, message] of cases) {
      let error: unknown;
      try {
        bullmqExecutor(options as never);
      } catch (e) {
        error = e;
      }
      expect(isMlcycleError(error, "VALIDATION"), `${JSON.stringify(options)} → ${String(error)}`).toBe(true);
      const e = error as { issues: Array<{ path: string[] }>; message: string };
      expect(e.issues[0]?.path.join(".")).toBe(path);
      expect(e.message).toMatch(message);
    }
  });

  it("refuses a worker without a workspace factory, without pipelines, or whose workspace ignores its executor", async () => {
    const names = queues.names();
    const p = trainPipeline(() => undefined);
    const base = { connection: queues.client, ...names };
    await expect(startWorker({ ...base, workspace: undefined as never, pipelines: [p] })).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/^workspace: must be a function/),
    });
    await expect(
      startWorker({ ...base, workspace: (executor) => openWorkspace(folder(), { executor }), pipelines: [] }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/^pipelines: must be a non-empty/) });
    await expect(
      startWorker({
        ...base,
        workspace: (executor) => openWorkspace(folder(), { executor }),
        pipelines: [p],
        concurrency: 0,
      }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/^concurrency: must be an integer/) });
    let opened: Workspace | undefined;
    await expect(
      startWorker({
        ...base,
        workspace: async () => {
          opened = await openWorkspace(folder());
          return opened;
        },
        pipelines: [p],
      }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/another executor/) });
    // What it opened is closed again.
    await expect(opened!.experiments.list()).rejects.toSatisfy((e) => isMlcycleError(e, "UNAVAILABLE"));
    await until(async () => (await connectionsUnder(names.prefix)).length === 0, "the worker's connections to close");
  });
});

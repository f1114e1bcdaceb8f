/**
 * Pipeline steps on BullMQ workers: a fan-out of 1,000 independent steps (each waits a fixed 20 ms,
 * standing for a step bound by I/O — a remote call, a query — so that on this 2-core machine the
 * speed-up shows the queue's parallelism rather than the cores' count), run by worker processes
 * (`startWorker`, each a child process with concurrency 1) taking the steps from a BullMQ queue on
 * Redis, driven by a coordinator workspace (`bullmqExecutor`). Every process opens a workspace on the
 * same stores: metadata in a PostgreSQL schema of the bench's own, artifacts in a local folder (one
 * host). Every default is on: step claims, cache entries, lineage, the pipeline's tracking run.
 *
 * 1. Per step, on 1 worker and on 4 workers: the run's wall time per step, beside the same step
 *    bodies called directly in this process (one at a time for 1 worker, four at a time for 4); the
 *    difference is the per-step cost of the queue, the claims, the commits and the coordination.
 * 2. The run on 4 workers against the same run on 1: the speed-up.
 * 3. For reference, the same run in the coordinator's process (the in-process executor, one step at
 *    a time) on the same stores: the engine's and PostgreSQL's share of the per-step cost.
 *
 * Each run uses new params, so no step is a cache hit. Needs the test setup's PostgreSQL and Redis
 * (MLCYCLE_TEST_POSTGRES_URL, MLCYCLE_TEST_REDIS_URL); the schema is dropped and the queue's Redis keys
 * (a prefix of the bench's own) deleted at the end. When a server does not answer, the bench records
 * nothing and says why (and fails instead under MLCYCLE_REQUIRE_SERVICES=1).
 *
 *   npm run bench -- scaleout-bullmq
 *   BENCH_FANOUT=200 BENCH_STEP_MS=5 npx tsx bench/scaleout-bullmq.bench.ts
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import pg from "pg";
import { z } from "zod";
import { bullmqExecutor, startWorker } from "mlcycle/bullmq";
import { postgresStore } from "mlcycle/postgres";
import { escapeGlob } from "mlcycle/redis";
import {
  type AnyPipeline,
  createWorkspace,
  type Executor,
  inProcessExecutor,
  localArtifactStore,
  pipeline,
  step,
} from "mlcycle";
import { record, size, skip } from "./report.js";

const POSTGRES_URL = process.env.MLCYCLE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.MLCYCLE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const STEPS = Number(process.env.BENCH_FANOUT ?? size(1000, 40));
const STEP_MS = Number(process.env.BENCH_STEP_MS ?? 20);
const WORKERS = [1, 4];
const QUEUE = "fanout-steps";

/** The body of every step: a fixed wait. The baseline calls it directly. */
async function body(i: number): Promise<{ i: number; pid: number }> {
  await sleep(STEP_MS);
  return { i, pid: process.pid };
}

const wait = step({
  name: "wait",
  version: "1",
  input: z.object({ i: z.number(), n: z.number() }),
  output: z.object({ i: z.number(), pid: z.number() }),
  run: ({ i }) => body(i),
});

/** `steps` independent steps, each reading only the params: all ready at once. */
function fanout(name: string, steps: number): AnyPipeline {
  let p: any = pipeline(name, { params: z.object({ n: z.number() }) });
  for (let i = 0; i < steps; i++)
    p = p.step(`s${i}`, wait, ({ params }: { params: { n: number } }) => ({ i, n: params.n }));
  return p;
}
const WARMUP_STEPS = 8;
const pipelines = () => [fanout("fanout", STEPS), fanout("warmup", WARMUP_STEPS)];

/** The shared stores, as every process opens them. */
interface Shared {
  schema: string;
  prefix: string;
  artifacts: string;
}

function openWorkspace(pool: pg.Pool, shared: Shared, executor: Executor) {
  return createWorkspace({
    ...postgresStore({ pool, schema: shared.schema }),
    artifacts: localArtifactStore({ root: shared.artifacts }),
    executor,
  });
}

// ---------------------------------------------------------------- worker process

async function workerProcess(shared: Shared): Promise<void> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const worker = await startWorker({
    connection: redis,
    queue: QUEUE,
    prefix: shared.prefix,
    workspace: (executor) => openWorkspace(pool, shared, executor),
    pipelines: pipelines(),
    concurrency: 1,
  });
  process.send?.("ready");
  process.once("message", async () => {
    await worker.close();
    await pool.end();
    redis.disconnect();
    process.disconnect?.();
  });
}

// ---------------------------------------------------------------- coordinator

/**
 * Starts `n` worker processes and waits until each is taking tasks. A worker that dies before it is
 * told to stop ends the bench (with exit code 1): the run it was serving would otherwise wait for
 * ever with one worker, BullMQ having no delivery deadline.
 */
async function startWorkers(n: number, shared: Shared): Promise<ChildProcess[]> {
  const started = await Promise.allSettled(
    Array.from(
      { length: n },
      () =>
        new Promise<ChildProcess>((resolve, reject) => {
          const child = fork(import.meta.filename, ["--worker", JSON.stringify(shared)], {
            execArgv: ["--import", "tsx"],
            stdio: ["ignore", "inherit", "inherit", "ipc"],
          });
          child.once("message", () => {
            child.removeAllListeners("exit");
            child.once("exit", (code, signal) => {
              console.error(`worker ${child.pid} died (${signal ?? `exit code ${code}`}) before it was stopped`);
              process.exit(1);
            });
            resolve(child);
          });
          child.once("exit", (code) => reject(new Error(`a worker exited before it was ready (exit code ${code})`)));
          child.once("error", reject);
        }),
    ),
  );
  const children = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stopWorkers(children);
    throw failed.reason;
  }
  return children;
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.removeAllListeners("exit");
          child.once("exit", () => resolve());
          child.send("stop");
        }),
    ),
  );
}

/** The step bodies called directly, `lanes` at a time: ms. */
async function direct(lanes: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < STEPS) await body(next++);
    }),
  );
  return performance.now() - t0;
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

async function coordinator(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 6 });
  const down: string[] = [];
  await redis.ping().catch((e: Error) => down.push(`Redis at ${REDIS_URL} does not answer (${e.message})`));
  await pool
    .query("select 1")
    .catch((e: Error) => down.push(`PostgreSQL at ${POSTGRES_URL} does not answer (${e.message})`));
  if (down.length) {
    redis.disconnect();
    await pool.end();
    const reason = `${down.join("; ")}: start it, or set MLCYCLE_TEST_POSTGRES_URL / MLCYCLE_TEST_REDIS_URL`;
    if (process.env.MLCYCLE_REQUIRE_SERVICES === "1") {
      console.log(reason);
      process.exitCode = 1;
    } else skip(reason);
    return;
  }
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const shared: Shared = {
    schema: `bench_bullmq_${tag}`,
    prefix: `mlcycle_bench_${tag}`,
    artifacts: mkdtempSync(join(tmpdir(), "mlcycle-bench-bullmq-")),
  };
  const [main, warmup] = pipelines();
  const executor = bullmqExecutor({ connection: redis, queue: QUEUE, prefix: shared.prefix });
  let children: ChildProcess[] = [];
  console.log(
    `load average ${load()} on ${os.cpus().length} CPUs; fan-out of ${STEPS} steps, each waiting ${STEP_MS} ms`,
  );
  try {
    // The coordinator's workspace runs the migrations before any worker starts.
    await using ws = await openWorkspace(pool, shared, executor);
    let n = 0;
    const walls = new Map<number, number>();
    for (const workers of WORKERS) {
      children = await startWorkers(workers, shared);
      const warm = await ws.pipelines.run(warmup, { n: ++n });
      if (warm.status !== "succeeded") throw new Error(`the warm-up run ended ${warm.status}`);
      const loadStart = load();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const run = await ws.pipelines.run(main, { n: ++n });
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (run.status !== "succeeded") throw new Error(`the fan-out run ended ${run.status}`);
      const outputs = Object.values(run.outputs) as Array<{ i: number; pid: number }>;
      if (outputs.length !== STEPS) throw new Error(`expected ${STEPS} step outputs, got ${outputs.length}`);
      const pids = new Set(outputs.map((o) => o.pid));
      const perWorker = [...pids].map((p) => outputs.filter((o) => o.pid === p).length);
      await stopWorkers(children);
      children = [];
      const base = await direct(workers);
      walls.set(workers, wall);
      record({
        name: `BullMQ fan-out of ${STEPS.toLocaleString("en")} steps on ${workers} worker${workers > 1 ? "s" : ""}: time per step`,
        value: wall / STEPS,
        unit: "ms",
        baseline: {
          name: `the same step bodies (a ${STEP_MS} ms wait) called directly, ${workers === 1 ? "one" : workers} at a time`,
          value: base / STEPS,
        },
        note:
          `overhead ${(((wall - base) / STEPS) * 1000).toFixed(0)} µs a step (run ${(wall / 1000).toFixed(2)} s, direct ${(base / 1000).toFixed(2)} s); ` +
          `steps per worker process ${perWorker.join(", ")}; coordinator CPU ${((cpu.user + cpu.system) / 1000 / STEPS).toFixed(2)} ms a step; ` +
          `worker processes with concurrency 1, metadata on PostgreSQL; load average ${loadStart} → ${load()}`,
      });
    }
    // The same run on the same stores with the in-process executor, one step at a time: what the
    // engine and PostgreSQL cost per step without the queue.
    {
      await using local = await openWorkspace(pool, shared, inProcessExecutor({ concurrency: 1 }));
      const warm = await local.pipelines.run(warmup, { n: ++n });
      if (warm.status !== "succeeded") throw new Error(`the warm-up run ended ${warm.status}`);
      const loadStart = load();
      const t0 = performance.now();
      const run = await local.pipelines.run(main, { n: ++n });
      const wall = performance.now() - t0;
      if (run.status !== "succeeded") throw new Error(`the in-process run ended ${run.status}`);
      const base = await direct(1);
      record({
        name: `the same fan-out in process (concurrency 1, same stores): time per step`,
        value: wall / STEPS,
        unit: "ms",
        baseline: {
          name: `the same step bodies (a ${STEP_MS} ms wait) called directly, one at a time`,
          value: base / STEPS,
        },
        note: `overhead ${(((wall - base) / STEPS) * 1000).toFixed(0)} µs a step without the queue (run ${(wall / 1000).toFixed(2)} s); load average ${loadStart} → ${load()}`,
      });
    }
    const one = walls.get(1)!;
    const four = walls.get(4)!;
    record({
      name: `BullMQ fan-out of ${STEPS.toLocaleString("en")} steps: 4 workers against 1`,
      value: four / 1000,
      unit: "s",
      baseline: { name: "the same run on 1 worker", value: one / 1000 },
      note: `speed-up ${(one / four).toFixed(2)}× from 1 to 4 worker processes (ideal 4×; steps wait ${STEP_MS} ms, 2 CPUs shared by the coordinator, the workers, PostgreSQL and Redis); load average ${load()}`,
    });
  } finally {
    await stopWorkers(children);
    await executor.close();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${escapeGlob(shared.prefix)}:*`, "COUNT", 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();
    await pool.query(`drop schema if exists "${shared.schema}" cascade`);
    await pool.end();
    rmSync(shared.artifacts, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--worker") await workerProcess(JSON.parse(process.argv[3]) as Shared);
else await coordinator();

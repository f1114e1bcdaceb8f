// Workers in child processes on one SQLite folder (WAL), a coordinator in this process: a worker
// killed with SIGKILL mid-step has its task taken over by another, the run completes and the step is
// committed once; a worker sent SIGTERM mid-step finishes that step, then exits.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openWorkspace, type Workspace } from "../../../src/index.js";
import { tempDir } from "../../helpers.js";
import { REDIS_URL, service } from "../../services.js";
import { testQueues } from "./bullmq-test-queues.js";
import { RELEASE, STARTED, workerPipeline } from "./fixtures/worker-pipeline.js";

const redis = await service("Redis", REDIS_URL);
const root = tempDir();
const child = join(import.meta.dirname, "fixtures", "worker-child.ts");

interface Worker {
  pid: number;
  proc: ChildProcess;
  out: () => string;
  /** Settles with the exit code, or the signal that ended the process. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Resolves once the process has written `text` on stdout. */
  said(text: string): Promise<void>;
}

const spawned: Worker[] = [];

function spawnWorker(settings: Record<string, string>): Worker {
  const proc = spawn(process.execPath, ["--import", "tsx", child, JSON.stringify(settings)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  proc.stdout!.on("data", (d) => {
    out += String(d);
    for (const l of listeners) l();
  });
  proc.stderr!.on("data", (d) => {
    err += String(d);
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    proc.on("exit", (code, signal) => resolve(signal ?? code)),
  );
  const worker: Worker = {
    pid: proc.pid!,
    proc,
    out: () => out,
    exited,
    said: (text) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
        void exited.then((how) => {
          if (!out.includes(text))
            reject(new Error(`worker ${proc.pid} exited (${how}) before '${text}':\n${out}\n${err}`));
        });
      }),
  };
  spawned.push(worker);
  return worker;
}

/** Resolves once `file` exists (the step in a child process writes it). */
async function fileAppears(file: string, workers: Worker[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} never appeared:\n${workers.map((w) => w.out()).join("\n")}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The rows of the shared SQLite file that record a step of a run, read apart from the workspaces. */
function storedRows(dir: string, runId: string, step: string) {
  const db = new Database(join(dir, "mlcycle.db"), { readonly: true });
  try {
    const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const exec = db
      .prepare("SELECT id FROM lineage_nodes WHERE kind = 'execution' AND external_id = ?")
      .all(`step_run:${runId}/${step}`) as Array<{ id: string }>;
    return {
      stepRecords: count("SELECT count(*) AS n FROM pipeline_steps WHERE run_id = ? AND step = ?", runId, step),
      executions: exec.length,
      outputEdges: exec.length
        ? count("SELECT count(*) AS n FROM lineage_edges WHERE from_id = ? AND direction = 'output'", exec[0]!.id)
        : 0,
    };
  } finally {
    db.close();
  }
}

describe.runIf(redis)("BullMQ workers in other processes", () => {
  const queues = testQueues("mlc_bullmq_procs");
  afterEach(async () => {
    for (const w of spawned.splice(0))
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill("SIGKILL");
  });
  afterAll(() => queues.drop());

  async function setup(name: string) {
    const dir = join(root, name);
    const markers = join(root, `${name}-markers`);
    mkdirSync(markers, { recursive: true });
    const names = queues.names();
    const settings = { dir, markers, ...names, redisUrl: REDIS_URL };
    // The coordinator creates the folder (and its migrations) before the workers open it.
    const ws: Workspace = await openWorkspace(dir, { executor: queues.executor({ ...names }) });
    const workers = [spawnWorker(settings), spawnWorker(settings)];
    await Promise.all(workers.map((w) => w.said("READY")));
    return { dir, markers, ws, workers, p: workerPipeline(markers) };
  }

  it("takes over the task of a worker killed mid-step: the run completes and the step is committed once", async () => {
    const { dir, markers, ws, workers, p } = await setup("kill");
    const handle = await ws.pipelines.start(p, { n: 4, mode: "kill" });
    await fileAppears(join(markers, "first"), workers);
    const victim = workers.find((w) => w.pid === Number(readFileSync(join(markers, "first"), "utf8")))!;
    const survivor = workers.find((w) => w !== victim)!;
    victim.proc.kill("SIGKILL");
    expect(await victim.exited).toBe("SIGKILL");

    const r = await handle.result;
    expect(r.status).toBe("succeeded");
    expect(r.outputs.slow).toEqual({ sum: 10, by: survivor.pid });
    expect(r.outputs.report).toEqual({ text: "sum=10", by: survivor.pid });
    // The step started on the victim, then on the survivor, and ran to its end once.
    expect(readFileSync(join(markers, STARTED), "utf8")).toBe(`${victim.pid}\n${survivor.pid}\n`);
    const slow = await ws.pipelines.stepRun(r.id, "slow");
    expect(slow).toMatchObject({ status: "succeeded", attempts: 1 });
    for (const step of ["prepare", "slow", "report"])
      expect(storedRows(dir, r.id, step)).toEqual({ stepRecords: 1, executions: 1, outputEdges: 1 });
    const exec = await ws.lineage.get({ kind: "execution", externalId: `step_run:${r.id}/slow` });
    const outputs = (await ws.lineage.downstream(exec.id, { maxHops: 1 })).nodes.filter((n) => n.kind === "artifact");
    expect(outputs.map((n) => n.externalId)).toEqual([`step_output:${slow.output!.hash}`]);

    survivor.proc.kill("SIGTERM");
    expect(await survivor.exited).toBe(0);
    await ws.close();
  }, 120_000);

  it("finishes the step a worker runs when it is sent SIGTERM, then the worker exits; the run completes", async () => {
    const { markers, ws, workers, p } = await setup("graceful");
    const handle = await ws.pipelines.start(p, { n: 3, mode: "graceful" });
    await fileAppears(join(markers, STARTED), workers);
    const stopping = workers.find((w) => w.pid === Number(readFileSync(join(markers, STARTED), "utf8").trim()))!;
    const other = workers.find((w) => w !== stopping)!;
    stopping.proc.kill("SIGTERM");
    await stopping.said("CLOSING");
    // Still running its step: it has not closed nor exited.
    let exitedEarly = false;
    void stopping.exited.then(() => {
      exitedEarly = !existsSync(join(markers, RELEASE));
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(stopping.out()).not.toContain("CLOSED");
    writeFileSync(join(markers, RELEASE), "");
    expect(await stopping.exited).toBe(0);
    expect(exitedEarly).toBe(false);
    expect(stopping.out()).toContain("CLOSED");

    const r = await handle.result;
    expect(r.status).toBe("succeeded");
    expect(r.outputs.slow).toEqual({ sum: 6, by: stopping.pid });
    // The worker that was stopping took no new task: the next step ran on the other one.
    expect(r.outputs.report).toEqual({ text: "sum=6", by: other.pid });
    expect(readFileSync(join(markers, STARTED), "utf8")).toBe(`${stopping.pid}\n`);

    other.proc.kill("SIGTERM");
    expect(await other.exited).toBe(0);
    await ws.close();
  }, 120_000);
});

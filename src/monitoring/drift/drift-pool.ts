import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { MlcycleError } from "../../core/errors.js";
import type { ColumnDriftResult } from "./column-drift.js";
import { type ColumnJob, fromJobError, type JobError } from "./column-job.js";

/** Jobs sent ahead to each worker, so it never waits for this thread between two columns. */
const DEPTH = 2;

/** How to start a drift worker: its module, or (from the sources) a script that loads it. */
export interface WorkerEntry {
  /** The worker's module, or the source of a CommonJS script run with `eval`. */
  script: URL | string;
  eval: boolean;
}

let entry: WorkerEntry | null | undefined;

/** The URL of tsx's ESM API (`tsx/esm/api` under the `import` condition), found from `from`. */
function tsxEsmApi(from: string): string {
  const manifest = createRequire(from).resolve("tsx/package.json");
  const exportsMap = JSON.parse(readFileSync(manifest, "utf8")).exports as Record<
    string,
    { import: { default: string } }
  >;
  return pathToFileURL(join(dirname(manifest), exportsMap["./esm/api"].import.default)).href;
}

/**
 * The worker's module beside this one: `drift-worker.js` in the built package. Run from the sources
 * (tests, benchmarks) it is `drift-worker.ts`, loaded through tsx's loader (a development
 * dependency), registered in the worker first. A bundle that left the worker out has none, and
 * reports are computed in the calling thread.
 */
export function driftWorkerEntry(): WorkerEntry | undefined {
  if (entry === undefined) {
    entry = null;
    try {
      const here = import.meta.url;
      const fromSources = here.endsWith(".ts");
      const url = new URL(fromSources ? "./drift-worker.ts" : "./drift-worker.js", here);
      if (url.protocol === "file:" && existsSync(fileURLToPath(url))) {
        if (!fromSources) entry = { script: url, eval: false };
        else {
          const tsx = tsxEsmApi(here);
          entry = {
            script: `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`,
            eval: true,
          };
        }
      }
    } catch {
      entry = null;
    }
  }
  return entry ?? undefined;
}

/** What {@link runOnWorkers} runs. */
export interface PoolRun {
  /** Number of jobs. */
  jobs: number;
  /**
   * Makes job `i`, called in order as workers free up (so only the jobs in flight are in memory);
   * undefined when there is nothing to compute for it. May throw.
   */
  prepare(i: number): ColumnJob | undefined;
  /** Worker threads to start (at least 1). */
  workers: number;
  entry: WorkerEntry;
  signal?: AbortSignal;
}

function transferList(job: ColumnJob): ArrayBuffer[] {
  if (job.kind !== "numeric") return [];
  const buffers = [job.reference.buffer as ArrayBuffer];
  if (job.current.buffer !== job.reference.buffer) buffers.push(job.current.buffer as ArrayBuffer);
  return buffers;
}

/**
 * Runs column jobs on a pool of worker threads started for this call and stopped when it ends: each
 * worker holds at most {@link DEPTH} jobs, gets the next as it answers one, and the results come back
 * in job order. The first error (a job's, a worker's, or the signal's) stops every worker.
 */
export function runOnWorkers(run: PoolRun): Promise<Array<ColumnDriftResult | undefined>> {
  const results = new Array<ColumnDriftResult | undefined>(run.jobs);
  if (run.jobs === 0) return Promise.resolve(results);
  return new Promise((resolve, reject) => {
    const pool: Worker[] = [];
    const inFlight = new Map<Worker, number>();
    let next = 0;
    let done = 0;
    let settled = false;
    const onAbort = () =>
      finish(new MlcycleError("CANCELLED", "driftReport was aborted", { cause: run.signal?.reason }));
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      run.signal?.removeEventListener("abort", onAbort);
      for (const w of pool) void w.terminate();
      if (error) reject(error);
      else resolve(results);
    };
    const feed = (w: Worker) => {
      while (!settled && (inFlight.get(w) ?? 0) < DEPTH && next < run.jobs) {
        const id = next++;
        let job: ColumnJob | undefined;
        try {
          job = run.prepare(id);
        } catch (error) {
          finish(error);
          return;
        }
        if (!job) {
          if (++done === run.jobs) finish();
          continue;
        }
        w.postMessage({ id, job }, transferList(job));
        inFlight.set(w, (inFlight.get(w) ?? 0) + 1);
      }
    };
    if (run.signal?.aborted) return onAbort();
    run.signal?.addEventListener("abort", onAbort, { once: true });
    for (let k = 0; k < run.workers && !settled; k++) {
      const w = new Worker(run.entry.script, { eval: run.entry.eval });
      pool.push(w);
      w.on("message", (m: { id: number; result?: ColumnDriftResult; error?: JobError }) => {
        if (settled) return;
        if (m.error) return finish(fromJobError(m.error));
        results[m.id] = m.result as ColumnDriftResult;
        inFlight.set(w, (inFlight.get(w) ?? 1) - 1);
        if (++done === run.jobs) return finish();
        feed(w);
      });
      w.on("error", (error: unknown) => {
        // Errors thrown in a worker arrive cloned, not always as Error instances.
        const message = (error as { message?: unknown })?.message ?? error;
        finish(new MlcycleError("INTERNAL", `drift worker failed: ${String(message)}`, { cause: error }));
      });
      w.on("exit", (code) => finish(new MlcycleError("INTERNAL", `drift worker exited early (code ${code})`)));
      feed(w);
    }
  });
}

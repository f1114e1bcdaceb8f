/**
 * Tracking benchmarks on the embedded default (SQLite workspace in a temp folder):
 *
 * 1. Ingest 1,000,000 metric points (100 runs × 10 metrics × 1,000 steps) through the public API
 *    (`run.logMetrics`, buffered and batched), and the same rows through a raw better-sqlite3
 *    prepared insert in one transaction into an equivalent table (same columns and index).
 *    Target: the API within 2× of the raw baseline.
 * 2. Search 10,000 runs with a metric filter and an order by: p50 through `searchRuns` (parse,
 *    compile, query, load params/tags/metrics of the page) beside the same filter/order as one
 *    hand-written SQL query returning ids only. Target: p50 < 50 ms.
 *
 *   npx tsx bench/tracking.bench.ts            # or: npm run bench -- tracking
 */
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createWorkspace, localArtifactStore, sqliteBackend } from "mlcycle";
import { record, size } from "./report.js";

const RUNS = Number(process.env.BENCH_RUNS ?? size(100, 5));
const METRICS = 10;
const STEPS = Number(process.env.BENCH_STEPS ?? size(1000, 200));
const SEARCH_RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? size(10_000, 500));
const POINTS = RUNS * METRICS * STEPS;

const root = mkdtempSync(join(tmpdir(), "mlcycle-bench-tracking-"));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall and CPU seconds of one ingest (CPU time is the steadier figure on a shared machine). */
interface Timing {
  wall: number;
  cpu: number;
}

async function ingestApi(): Promise<Timing> {
  const backend = sqliteBackend({ path: join(root, "api", "mlcycle.db") });
  const ws = await createWorkspace({
    ...backend,
    artifacts: localArtifactStore({ root: join(root, "api", "artifacts") }),
  });
  const keys = Array.from({ length: METRICS }, (_, i) => `metric_${i}`);
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await ws.experiments.startRun({ experiment: "bench", name: `run-${r}` }));
  const t0 = performance.now();
  const c0 = cpuMs();
  const ts = Date.now();
  for (const run of runs) {
    for (let step = 0; step < STEPS; step++) {
      const values: Record<string, number> = {};
      for (let k = 0; k < METRICS; k++) values[keys[k]] = Math.sin(step + k);
      const p = run.logMetrics(values, { step, timestamp: ts + step });
      if (p) await p;
    }
  }
  for (const run of runs) await run.end();
  const seconds = { wall: (performance.now() - t0) / 1000, cpu: (cpuMs() - c0) / 1000 };
  // Check nothing was lost.
  const raw = backend.database.sqlite;
  const count = raw.prepare("select count(*) from tracking_metrics").pluck().get() as number;
  if (count !== POINTS) throw new Error(`expected ${POINTS} stored points, found ${count}`);
  await ws.close();
  return seconds;
}

function ingestRaw(): Timing {
  const db = new Database(join(root, "raw.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`create table metrics (run_id varchar(26) not null, key varchar(250) not null, step bigint not null,
    "timestamp" bigint not null, value double precision);
    create index metrics_series on metrics (run_id, key, step);`);
  const keys = Array.from({ length: METRICS }, (_, i) => `metric_${i}`);
  const runIds = Array.from({ length: RUNS }, (_, r) => `01JRAWRUN${String(r).padStart(17, "0")}`);
  const insert = db.prepare(`insert into metrics (run_id, key, step, "timestamp", value) values (?, ?, ?, ?, ?)`);
  const t0 = performance.now();
  const c0 = cpuMs();
  const ts = Date.now();
  db.transaction(() => {
    for (const runId of runIds)
      for (let step = 0; step < STEPS; step++)
        for (let k = 0; k < METRICS; k++) insert.run(runId, keys[k], step, ts + step, Math.sin(step + k));
  })();
  const seconds = { wall: (performance.now() - t0) / 1000, cpu: (cpuMs() - c0) / 1000 };
  db.close();
  return seconds;
}

async function search(): Promise<void> {
  const dir = join(root, "search");
  const backend = sqliteBackend({ path: join(dir, "mlcycle.db") });
  const ws = await createWorkspace({
    ...backend,
    artifacts: localArtifactStore({ root: join(dir, "artifacts") }),
    tracking: { metricBatchSize: 5000 },
  });
  const models = ["rf", "lr", "gb"];
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const t0 = performance.now();
  for (let i = 0; i < SEARCH_RUNS; i++) {
    const run = await ws.experiments.startRun({
      experiment: i % 2 ? "search-a" : "search-b",
      name: `run-${i}`,
      params: { model: models[i % 3], lr: String(rand()), depth: i % 10 },
      tags: { team: i % 4 ? "ml-core" : "data" },
    });
    run.logMetrics({ acc: rand(), loss: rand(), f1: rand() });
    await run.end();
  }
  await ws.experiments.flush();
  console.log(
    `  created ${fmt(SEARCH_RUNS)} runs (3 params, 1 tag, 3 metrics each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const filter = "metrics.acc > 0.5 and params.model = 'rf'";
  const orderBy = "metrics.acc DESC";
  const raw = backend.database.sqlite;
  const rawQuery = raw.prepare(`select r.id from tracking_runs r
      left join tracking_latest_metrics o on o.run_id = r.id and o.key = 'acc'
      where exists (select 1 from tracking_latest_metrics m where m.run_id = r.id and m.key = 'acc' and m.value > ?)
        and exists (select 1 from tracking_params p where p.run_id = r.id and p.key = 'model' and p.value = ?)
      order by o.value desc, r.start_time desc, r.id desc limit ?`);
  for (const maxResults of [100, 1000]) {
    const api: number[] = [];
    const apiCpu: number[] = [];
    const base: number[] = [];
    let matched = 0;
    for (let i = 0; i < size(25, 5); i++) {
      const c = process.cpuUsage();
      let t = performance.now();
      const page = await ws.experiments.searchRuns({ filter, orderBy, maxResults });
      api.push(performance.now() - t);
      const d = process.cpuUsage(c);
      apiCpu.push((d.user + d.system) / 1000);
      matched = page.runs.length;
      t = performance.now();
      rawQuery.all(0.5, "rf", maxResults + 1);
      base.push(performance.now() - t);
    }
    const p50 = pct(api, 0.5);
    const b50 = pct(base, 0.5);
    record({
      name: `searchRuns of ${fmt(SEARCH_RUNS)} runs, maxResults ${maxResults}: p50`,
      value: p50,
      unit: "ms",
      baseline: { name: "the same filter and order as one hand-written SQL query, ids only", value: b50 },
      target: { max: 50 },
      note: `"${filter}" order by ${orderBy}; ${matched} returned with params/tags/metrics; CPU p50 ${pct(apiCpu, 0.5).toFixed(1)} ms, wall p90 ${pct(api, 0.9).toFixed(1)} ms`,
    });
  }
  await ws.close();
}

try {
  console.log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${os.cpus().length} CPUs (figures are wall-clock unless marked CPU)`,
  );
  console.log(`ingest ${fmt(POINTS)} metric points (${RUNS} runs × ${METRICS} metrics × ${STEPS} steps)`);
  const raw = ingestRaw();
  const api = await ingestApi();
  for (const what of ["wall", "cpu"] as const) {
    record({
      name: `ingest ${fmt(POINTS)} metric points, run.logMetrics (batched): ${what === "wall" ? "wall" : "CPU"} time`,
      value: api[what],
      unit: "s",
      baseline: { name: "raw better-sqlite3 prepared insert, one transaction", value: raw[what] },
      target: { ratioMax: 2 },
      note: `${fmt(POINTS / api[what])} points/s against ${fmt(POINTS / raw[what])} points/s`,
    });
  }
  await search();
} finally {
  rmSync(root, { recursive: true, force: true });
}

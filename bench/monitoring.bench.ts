/**
 * Monitoring costs on synthetic data. Each figure is printed beside a baseline measured in the same
 * run, as a ratio:
 *
 * - `driftReport` over 20 numeric columns × 1,000,000 reference and 1,000,000 current rows — exact,
 *   Evidently's defaults (normed Wasserstein, as the reference has > 1,000 rows), every other
 *   column shifted by 0.2 σ — against `Float64Array.prototype.sort` on the same 40 columns, the floor
 *   of any exact Wasserstein or KS: target < 3 s and ≤ 2× the sort; with the default worker pool and
 *   in the calling thread (`workers: 0`). Median of 3.
 * - the same report over 1,000 columns × 100,000 rows on each side: target < 30 s.
 * - peak memory of each: the RSS sampled every 5 ms by a thread of its own while it runs, above the
 *   RSS before it (the data held), and `process.resourceUsage().maxRSS` before and after. Each run is
 *   a process of its own, so each peak is its own.
 * - `monitor.observe` rows per second into hourly windows against appending the same rows to an
 *   array, with the partial writes to the store (SQLite, every 1,000 rows) and aggregated in memory.
 *
 * Like every bench, it measures the package as built (`dist/`, rebuilt first when a source is newer):
 * from the sources, each worker thread would first load TypeScript through tsx (~0.5 s per pool).
 *
 *   npm run bench -- monitoring
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { ensureBuilt } from "./built.js";
import { quick, record, size } from "./report.js";

const root = join(import.meta.dirname, "..");
const measuring = process.argv.indexOf("--measure");

if (measuring < 0) ensureBuilt();
const { driftReport, openWorkspace } = await import("mlcycle");

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const maxRss = () => process.resourceUsage().maxRSS * 1024;

/** Standard normal values from a fixed seed (xorshift32, Box-Muller: two values per draw). */
function normals(seed: number): (out: Float64Array, mean: number) => Float64Array {
  let x = seed >>> 0 || 1;
  const uniform = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) + 0.5) / 4294967296;
  };
  return (out, mean) => {
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(uniform()));
      const t = 2 * Math.PI * uniform();
      out[i] = mean + r * Math.cos(t);
      if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(t);
    }
    return out;
  };
}

/** `columns` columns of `rows` normal values on each side; every other current column shifted by 0.2 σ. */
function dataSets(columns: number, rows: number) {
  const fill = normals(columns * 7919 + rows);
  const reference: Record<string, Float64Array> = {};
  const current: Record<string, Float64Array> = {};
  for (let c = 0; c < columns; c++) {
    reference[`f${c}`] = fill(new Float64Array(rows), 0);
    current[`f${c}`] = fill(new Float64Array(rows), c % 2 ? 0.2 : 0);
  }
  return { reference, current };
}

/** Collects garbage and gives the heap a moment to hand freed pages back, so RSS shows what is held. */
async function settle(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
}

/** What one child process measures: one report (or the sort) on one data set. */
interface Measure {
  columns: number;
  rows: number;
  run: "sort" | "thread" | "pool";
}

interface Measured {
  ms: number;
  /** CPU time of the process over the run, every thread included. */
  cpuMs: number;
  /** RSS with the data held, before the run; the highest RSS sampled while it ran. */
  before: number;
  peak: number;
  maxRssBefore: number;
  maxRssAfter: number;
  summary?: string;
}

/** Runs `fn`, sampling the RSS every 5 ms from a thread of its own (a report in this thread blocks it). */
async function measure(fn: () => Promise<string | undefined>): Promise<Measured> {
  await settle();
  const before = process.memoryUsage().rss;
  const maxRssBefore = maxRss();
  const sampler = new Worker(
    `const { parentPort } = require("node:worker_threads");
     let peak = 0;
     const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); };
     const timer = setInterval(sample, 5);
     parentPort.on("message", () => { clearInterval(timer); sample(); parentPort.postMessage(peak); });`,
    { eval: true },
  );
  await new Promise((resolve) => sampler.once("online", resolve));
  const t = performance.now();
  const cpu = process.cpuUsage();
  const summary = await fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const peak = await new Promise<number>((resolve) => {
    sampler.once("message", resolve);
    sampler.postMessage("stop");
  });
  await sampler.terminate();
  const peakRss = Math.max(peak, process.memoryUsage().rss);
  return { ms, cpuMs, before, peak: peakRss, maxRssBefore, maxRssAfter: maxRss(), summary };
}

/** The child's side: builds the data set and measures one run. */
async function measureOne(m: Measure): Promise<Measured> {
  const { reference, current } = dataSets(m.columns, m.rows);
  return measure(async () => {
    if (m.run === "sort") {
      // Float64Array.prototype.sort on a copy of each column, one column at a time.
      for (const set of [reference, current]) for (const values of Object.values(set)) values.slice().sort();
      return undefined;
    }
    const r = await driftReport(reference, current, m.run === "thread" ? { workers: 0 } : {});
    const c = r.columns[1];
    return `${r.driftedCount} of ${r.columnCount} columns drifted (${c.method} ${c.statistic.toFixed(3)} on a 0.2 σ shift), ${r.workers} workers`;
  });
}

if (measuring >= 0) {
  const out = await measureOne(JSON.parse(process.argv[measuring + 1]) as Measure);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

/**
 * Measures in a process of its own — in quick mode in this one, as a quick run's figures are not
 * measures and starting a process per run would be most of its time.
 */
async function inChild(m: Measure): Promise<Measured> {
  if (quick) return measureOne(m);
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--expose-gc", import.meta.filename, "--measure", JSON.stringify(m)],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (r.status !== 0) throw new Error(`measuring ${JSON.stringify(m)} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as Measured;
}

/** Sort, report in this thread and report on the pool, `rounds` times each, interleaved; medians printed. */
async function driftCase(columns: number, rows: number, rounds: number, limitMs: number, ratio?: number) {
  const runs = { sort: [] as Measured[], thread: [] as Measured[], pool: [] as Measured[] };
  for (let round = 0; round < rounds; round++)
    for (const run of ["sort", "pool", "thread"] as const) runs[run].push(await inChild({ columns, rows, run }));
  const ms = (run: keyof typeof runs) => median(runs[run].map((m) => m.ms));
  const above = (run: keyof typeof runs) => median(runs[run].map((m) => m.peak - m.before));
  const sort = ms("sort");
  const shape = `${columns.toLocaleString("en")} columns × ${rows.toLocaleString("en")} rows`;
  console.log(`\ndrift report, ${shape} on each side (median of ${rounds}): ${runs.pool[0].summary}`);
  const cpu = (run: keyof typeof runs) => median(runs[run].map((m) => m.cpuMs)) / 1000;
  const held = median(runs.sort.map((m) => m.before));
  for (const [label, run] of [
    ["default (worker pool)", "pool"],
    ["in the calling thread (workers: 0)", "thread"],
  ] as const) {
    record({
      name: `driftReport, ${shape}, ${label}: wall time`,
      value: ms(run) / 1000,
      unit: "s",
      baseline: {
        name: `Float64Array.prototype.sort of the ${(2 * columns).toLocaleString("en")} columns`,
        value: sort / 1000,
      },
      target: { max: limitMs / 1000, ratioMax: ratio },
      note: `CPU ${cpu(run).toFixed(2)} s against the sort's ${cpu("sort").toFixed(2)} s`,
    });
    record({
      name: `driftReport, ${shape}, ${label}: peak RSS above the data`,
      value: above(run) / MB,
      unit: "MB",
      baseline: { name: "sorting copies of the columns", value: above("sort") / MB },
      note: `RSS with the data held ${mb(held)}; maxRSS ${mb(median(runs[run].map((m) => m.maxRssBefore)))} before, ${mb(median(runs[run].map((m) => m.maxRssAfter)))} after`,
    });
  }
}

/** monitor.observe into hourly windows against appending the same rows to an array. */
async function ingestCase(): Promise<void> {
  const N = size(200_000, 10_000);
  const BATCH = 1_000;
  const ROUNDS = size(3, 1);
  const PLANS = ["free", "pro", "team", "enterprise"];
  const noise = normals(42)(new Float64Array(4 * (N + size(20_000, 2_000))), 0);
  let k = 0;
  const row = (shift: number) => ({
    id: `r${k}`,
    age: Math.round(40 + 10 * (noise[k++] + shift)),
    income: 50_000 + 15_000 * noise[k++],
    sessions: Math.abs(Math.round(10 * noise[k++])),
    plan: PLANS[Math.abs(Math.round(noise[k++] * 2)) % 4],
    score: Math.abs(noise[k - 1]) % 1,
  });
  const trainingRows = Array.from({ length: size(20_000, 2_000) }, () => row(0));
  const rows = Array.from({ length: N }, () => row(0.3));
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-monitoring-bench-"));
  const ws = await openWorkspace(dir);
  const open = async (name: string, flushSize: number) => {
    const monitor = await ws.monitors.open(name, {
      features: ["age", "income", "sessions", "plan"],
      predictions: ["score"],
      idColumn: "id",
      window: { ms: 3_600_000 },
      checkIntervalMs: false,
      flushIntervalMs: 600_000,
      flushSize,
    });
    await monitor.setReference({ rows: trainingRows });
    return monitor;
  };
  const writing = await open("ingest-writes", 1_000);
  const inMemory = await open("ingest-memory", 1_000_000);
  const at = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 60_000;
  let sink: typeof rows = [];
  /** Feeds every row in batches, letting the event loop run between batches (background writes run there). */
  const ingest = async (take: (batch: typeof rows) => void, end?: () => Promise<void>) => {
    const t = performance.now();
    for (let b = 0; b < N; b += BATCH) {
      take(rows.slice(b, b + BATCH));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await end?.();
    return performance.now() - t;
  };
  const times = { array: [] as number[], writes: [] as number[], memory: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    sink = [];
    times.array.push(await ingest((batch) => sink.push(...batch)));
    times.writes.push(
      await ingest(
        (batch) => writing.observe(batch, { at }),
        () => writing.flush(),
      ),
    );
    times.memory.push(await ingest((batch) => inMemory.observe(batch, { at })));
  }
  const array = median(times.array);
  console.log(
    `\nmonitor.observe, ${N.toLocaleString("en")} rows of 5 columns in batches of ${BATCH} (median of ${ROUNDS})`,
  );
  for (const [label, t] of [
    ["partials written every 1,000 rows", median(times.writes)],
    ["aggregated in memory", median(times.memory)],
  ] as const)
    record({
      name: `monitor.observe, ${N.toLocaleString("en")} rows, ${label}`,
      value: (N / t) * 1000,
      unit: "/s",
      baseline: { name: "appending the same rows to an array", value: (N / array) * 1000 },
    });
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`${availableParallelism()} cores (os.availableParallelism)`);
if (quick) {
  await driftCase(20, 20_000, 1, 3_000, 2);
  await driftCase(50, 5_000, 1, 30_000);
} else {
  await driftCase(20, 1_000_000, 3, 3_000, 2);
  await driftCase(1_000, 100_000, 1, 30_000);
}
await ingestCase();

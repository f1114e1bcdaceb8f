/**
 * Feature store benchmarks, each beside a baseline measured in the same run:
 *
 * 1. Online reads of 1 entity × 20 features and 100 entities × 20 features (p50, p99) on the memory
 *    and SQLite online stores, against a raw `Map` and a raw better-sqlite3 prepared statement.
 * 2. Historical retrieval (point-in-time join) of 1,000,000 entity rows against 5,000,000 feature
 *    rows on the SQLite offline store: time and peak memory (measured in a child process so the
 *    setup does not count), against DuckDB's ASOF JOIN on the same data.
 *
 *   npx tsx bench/features.bench.ts            # both
 *   npx tsx bench/features.bench.ts online     # only the online part
 *   HIST_ENTITY_ROWS=100000 HIST_FEATURE_ROWS=500000 npx tsx bench/features.bench.ts historical
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createWorkspace, localArtifactStore, openWorkspace, sqliteBackend, type Workspace } from "mlcycle";
import { record, size, type Target } from "./report.js";

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);

const ENTITY_ROWS = Number(process.env.HIST_ENTITY_ROWS ?? size(1_000_000, 10_000));
const FEATURE_ROWS = Number(process.env.HIST_FEATURE_ROWS ?? size(5_000_000, 50_000));
const ROWS_PER_DRIVER = 50;
const DRIVERS = Math.max(1, Math.floor(FEATURE_ROWS / ROWS_PER_DRIVER));
const TTL_MS = 2 * HOUR;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

type Latency = { p50: number; p99: number };

/**
 * Times `ours` and `raw` alternately, call by call, so both see the same background load and GC
 * pressure (the machine is shared); returns the percentiles of each.
 */
async function timePair(n: number, ours: () => unknown, raw: () => unknown): Promise<[Latency, Latency]> {
  for (let i = 0; i < Math.min(2000, n); i++) {
    await ours();
    await raw();
  }
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = process.hrtime.bigint();
    await ours();
    a[i] = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    await raw();
    b[i] = Number(process.hrtime.bigint() - t) / 1e6;
  }
  a.sort();
  b.sort();
  return [
    { p50: percentile(a, 0.5), p99: percentile(a, 0.99) },
    { p50: percentile(b, 0.5), p99: percentile(b, 0.99) },
  ];
}

/** Records the p99 of one online read beside the raw baseline's, the p50s in the note. */
function online(name: string, ours: Latency, raw: Latency, baseline: string, target?: Target): void {
  record({
    name: `online read, ${name}: p99`,
    value: ours.p99 * 1000,
    unit: "µs",
    baseline: { name: baseline, value: raw.p99 * 1000 },
    target,
    note: `p50 ${(ours.p50 * 1000).toFixed(2)} µs against ${(raw.p50 * 1000).toFixed(2)} µs`,
  });
}

async function onlineBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-bench-online-"));
  const ENTITIES = size(10_000, 1_000);
  const setup = async (ws: Workspace) => {
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "driver_wide",
      entities: ["driver"],
      schema: z.object(Object.fromEntries(FEATURES.map((f) => [f, z.number()]))),
    });
    const rows = Array.from({ length: ENTITIES }, (_, d) => ({
      driver_id: d,
      event_timestamp: Date.now(),
      ...Object.fromEntries(FEATURES.map((f, i) => [f, d * 0.001 + i])),
    }));
    await ws.features.push("driver_wide", rows, { to: "online" });
  };
  const refs = FEATURES.map((f) => `driver_wide:${f}`);
  const one = [{ driver_id: 42 }];
  let k = 0;
  const hundred = () => Array.from({ length: 100 }, () => ({ driver_id: (k = (k + 7919) % ENTITIES) }));
  const batches = Array.from({ length: 64 }, hundred);

  console.log("\nOnline read (getOnlineFeatures), 20 features per entity");

  // Memory store vs a raw Map holding the same records.
  {
    await using ws = await createWorkspace();
    await setup(ws);
    const raw = new Map<string, { eventTime: number; values: Record<string, unknown> }>();
    for (let d = 0; d < ENTITIES; d++) {
      const [rec] = await ws.features.online.read("driver_wide", [String(d)]);
      raw.set(String(d), rec!);
    }
    const rawRead = (ids: number[]) => {
      const out = [];
      for (const id of ids) {
        const rec = raw.get(String(id));
        const values: Record<string, unknown> = {};
        for (const f of FEATURES) values[f] = rec ? rec.values[f] : null;
        out.push(values);
      }
      return out;
    };
    let b = 0;
    const [m1, r1] = await timePair(
      size(20_000, 1_000),
      () => ws.features.getOnlineFeatures(one, refs),
      () => rawRead([42]),
    );
    const [m100, r100] = await timePair(
      size(3_000, 200),
      () => ws.features.getOnlineFeatures(batches[b & 63], refs),
      () => rawRead(batches[b++ & 63].map((e) => e.driver_id)),
    );
    online("memory store, 1 × 20", m1, r1, "a raw Map holding the same records", { ratioMax: 2 });
    online("memory store, 100 × 20", m100, r100, "a raw Map holding the same records");
  }

  // SQLite store vs a raw prepared statement on the same database and table.
  {
    const backend = sqliteBackend({ path: join(dir, "ws", "mlcycle.db") });
    await using ws = await createWorkspace({
      ...backend,
      artifacts: localArtifactStore({ root: join(dir, "ws", "artifacts") }),
    });
    await setup(ws);
    const stmt = backend.database.sqlite.prepare(
      "select event_time, values_json from feature_online_values where view = ? and entity_key = ?",
    );
    const rawRead = (ids: number[]) => {
      const out = [];
      for (const id of ids) {
        const r = stmt.get("driver_wide", String(id)) as { event_time: number; values_json: string } | undefined;
        const parsed = r ? (JSON.parse(r.values_json) as Record<string, unknown>) : undefined;
        const values: Record<string, unknown> = {};
        for (const f of FEATURES) values[f] = parsed ? parsed[f] : null;
        out.push(values);
      }
      return out;
    };
    let b = 0;
    const [s1, r1] = await timePair(
      size(20_000, 1_000),
      () => ws.features.getOnlineFeatures(one, refs),
      () => rawRead([42]),
    );
    const [s100, r100] = await timePair(
      size(3_000, 200),
      () => ws.features.getOnlineFeatures(batches[b & 63], refs),
      () => rawRead(batches[b++ & 63].map((e) => e.driver_id)),
    );
    const statement = "a raw better-sqlite3 prepared statement on the same table";
    online("SQLite store, 1 × 20", s1, r1, statement, { max: 200, ratioMax: 1.5 });
    online("SQLite store, 100 × 20", s100, r100, statement);
  }
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- historical retrieval

/** Feature row j of driver d: hourly, jittered by up to 50 minutes. Same formulas in SQL below. */
const featureTime = (d: number, j: number) => T0 + (j * 3600 + ((d * 7919 + j * 104729) % 3000)) * 1000;
const featureValues = (d: number, j: number) => ({
  conv_rate: ((d * 31 + j * 17) % 1000) / 1000,
  trips: (d + j) % 500,
});
const entityDriver = (i: number) => (i * 48271) % DRIVERS;
const entityTime = (i: number) => T0 + ((i * 69621) % (ROWS_PER_DRIVER * 3600)) * 1000;

async function buildOffline(dir: string): Promise<number> {
  await using ws = await openWorkspace(dir);
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema: z.object({ conv_rate: z.number(), trips: z.number().int() }),
    ttlMs: TTL_MS,
  });
  const started = performance.now();
  const CHUNK = 50_000;
  let chunk = [];
  for (let d = 0; d < DRIVERS; d++) {
    for (let j = 0; j < ROWS_PER_DRIVER; j++) {
      const t = featureTime(d, j);
      chunk.push({ entityKey: String(d), eventTime: t, createdTime: t, values: featureValues(d, j) });
    }
    if (chunk.length >= CHUNK) {
      await ws.features.offline.writeRows("driver_stats", chunk);
      chunk = [];
    }
  }
  if (chunk.length) await ws.features.offline.writeRows("driver_stats", chunk);
  return performance.now() - started;
}

/** Runs in a child process: the retrieval alone, so its peak RSS is its own. */
async function historicalChild(dir: string): Promise<void> {
  await using ws = await openWorkspace(dir);
  const before = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const entityRows = Array.from({ length: ENTITY_ROWS }, (_, i) => ({
    driver_id: entityDriver(i),
    event_timestamp: entityTime(i),
  }));
  const set = await ws.features.getHistoricalFeatures({
    entityRows,
    features: ["driver_stats:conv_rate", "driver_stats:trips"],
    name: "bench",
  });
  const ms = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu0);
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
  let matched = 0;
  let tripsSum = 0;
  for (const r of set.rows) {
    if (r.trips !== null) {
      matched++;
      tripsSum += r.trips as number;
    }
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ ms, cpuMs, peak, before, rows: set.rows.length, matched, tripsSum }));
}

async function duckdbReference(): Promise<{
  ms: number;
  cpuMs: number;
  loadMs: number;
  matched: number;
  tripsSum: number;
}> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const con = await instance.connect();
  const loadStarted = performance.now();
  await con.run(`create table features as
    select d.range as driver_id, j.range as j,
      ${T0}::bigint + (j.range * 3600 + ((d.range * 7919 + j.range * 104729) % 3000)) * 1000 as event_ts,
      ((d.range * 31 + j.range * 17) % 1000) / 1000.0 as conv_rate,
      (d.range + j.range) % 500 as trips
    from range(${DRIVERS}) d, range(${ROWS_PER_DRIVER}) j`);
  await con.run(`create table entity as
    select range as i, (range * 48271) % ${DRIVERS} as driver_id,
      ${T0}::bigint + ((range * 69621) % ${ROWS_PER_DRIVER * 3600}) * 1000 as ts
    from range(${ENTITY_ROWS})`);
  const loadMs = performance.now() - loadStarted;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await con.run(`create table joined as
    select e.i, e.driver_id, e.ts,
      case when f.event_ts >= e.ts - ${TTL_MS} then f.conv_rate end as conv_rate,
      case when f.event_ts >= e.ts - ${TTL_MS} then f.trips end as trips
    from entity e asof left join features f on e.driver_id = f.driver_id and e.ts >= f.event_ts`);
  const ms = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu0);
  const reader = await con.runAndReadAll(
    "select count(trips)::double as m, coalesce(sum(trips), 0)::double as s from joined",
  );
  const [m, s] = reader.getRows()[0] as [number, number];
  con.closeSync();
  return { ms, cpuMs: (cpuUsed.user + cpuUsed.system) / 1000, loadMs, matched: Number(m), tripsSum: Number(s) };
}

async function historicalBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-bench-hist-"));
  try {
    console.log(
      `\nHistorical retrieval: ${ENTITY_ROWS.toLocaleString("en")} entity rows × ${(DRIVERS * ROWS_PER_DRIVER).toLocaleString("en")} feature rows (${DRIVERS.toLocaleString("en")} drivers, TTL 2 h), SQLite offline store`,
    );
    const loadMs = await buildOffline(dir);
    console.log(`setup: offline rows written in ${(loadMs / 1000).toFixed(1)} s (not part of the figure)`);
    const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--historical-child", dir], {
      encoding: "utf8",
      env: process.env,
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`retrieval child failed: ${child.stderr}`);
    const ours = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
      ms: number;
      cpuMs: number;
      peak: number;
      before: number;
      rows: number;
      matched: number;
      tripsSum: number;
    };
    const duck = await duckdbReference();
    const shape = `${ENTITY_ROWS.toLocaleString("en")} entity rows × ${(DRIVERS * ROWS_PER_DRIVER).toLocaleString("en")} feature rows, SQLite`;
    const same = ours.matched === duck.matched && ours.tripsSum === duck.tripsSum;
    if (!same) console.log(`NOT the same answer as DuckDB: trips sum ${ours.tripsSum} vs ${duck.tripsSum}`);
    record({
      name: `historical retrieval, ${shape}: wall time`,
      value: ours.ms / 1000,
      unit: "s",
      baseline: { name: "DuckDB's ASOF JOIN on the same data, in memory", value: duck.ms / 1000 },
      target: { max: 10, ratioMax: 3 },
      note: `${ours.matched.toLocaleString("en")} rows matched${same ? ", the same answer as DuckDB" : ", NOT DuckDB's answer"}`,
    });
    record({
      name: `historical retrieval, ${shape}: CPU time`,
      value: ours.cpuMs / 1000,
      unit: "s",
      baseline: { name: "DuckDB's ASOF JOIN", value: duck.cpuMs / 1000 },
    });
    record({
      name: `historical retrieval, ${shape}: peak RSS`,
      value: ours.peak / 2 ** 20,
      unit: "MiB",
      target: { max: 1024 },
      note: `process at start ${(ours.before / 2 ** 20).toFixed(0)} MiB`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === "--historical-child") {
  await historicalChild(args[1]);
} else {
  if (args.length === 0 || args.includes("online")) await onlineBench();
  if (args.length === 0 || args.includes("historical")) await historicalBench();
}

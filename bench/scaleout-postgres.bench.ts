/**
 * The PostgreSQL store at scale, each figure beside a raw baseline in the same run:
 *
 * 1. Metric ingest: 1,000,000 points (100 runs × 10 metrics × 1,000 steps) through `run.logMetrics`
 *    (buffered, batched) on a workspace on `postgresStore`, against the same rows sent by hand with
 *    `pg` as multi-row INSERTs (1,000 rows a statement, as the store sends them) into a plain table
 *    of the same columns and index. Target: the store ≤ 2× raw.
 * 2. Historical retrieval: `getHistoricalFeatures` of 1,000,000 entity rows against 5,000,000
 *    feature rows (100,000 drivers × 50 hourly rows, TTL 2 h) — the store's in-database LATERAL
 *    point-in-time join — against the same point-in-time query written by hand in SQL on the same
 *    table: every entity row in one query as two bound arrays, ordered by key and time in the
 *    server, one LATERAL probe of the primary key each, the matched values parsed in Node. Target:
 *    the store ≤ 1.5× the hand-written query. The hand-written query in the rows' own order, in
 *    batches, is measured beside them (in the note): probing in key order is what keeps the index
 *    pages a probe needs in the cache once the table outgrows it.
 *
 * Everything lives in a schema of its own, dropped at the end. Needs the PostgreSQL of the test setup
 * (MLCYCLE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); when it does not
 * answer the bench records nothing and says why (and fails instead under MLCYCLE_REQUIRE_SERVICES=1).
 *
 *   npm run bench -- scaleout-postgres
 *   HIST_ENTITY_ROWS=100000 HIST_FEATURE_ROWS=500000 npx tsx bench/scaleout-postgres.bench.ts
 */
import os from "node:os";
import pg from "pg";
import { z } from "zod";
import { postgresStore } from "mlcycle/postgres";
import { createWorkspace } from "mlcycle";
import { record, size, skip } from "./report.js";

const URL = process.env.MLCYCLE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const RUNS = Number(process.env.BENCH_RUNS ?? size(100, 5));
const METRICS = 10;
const STEPS = Number(process.env.BENCH_STEPS ?? size(1000, 100));
const POINTS = RUNS * METRICS * STEPS;
const INSERT_ROWS = 1000;

const ENTITY_ROWS = Number(process.env.HIST_ENTITY_ROWS ?? size(1_000_000, 2_000));
const FEATURE_ROWS = Number(process.env.HIST_FEATURE_ROWS ?? size(5_000_000, 10_000));
const ROWS_PER_DRIVER = 50;
const DRIVERS = Math.max(1, Math.floor(FEATURE_ROWS / ROWS_PER_DRIVER));
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const TTL_MS = 2 * HOUR;
/** Entity rows per query of the hand-written baseline (the store sends 20,000 a query). */
const HAND_BATCH = 20_000;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const q = (ident: string) => `"${ident}"`;

// ---------------------------------------------------------------- metric ingest

interface Timing {
  wall: number;
  cpu: number;
}

async function ingestStore(pool: pg.Pool, schema: string): Promise<Timing> {
  await using ws = await createWorkspace(postgresStore({ pool, schema }));
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
  const timing = { wall: performance.now() - t0, cpu: cpuMs() - c0 };
  const { rows } = await pool.query(`select count(*)::int as n from ${q(schema)}.tracking_metrics`);
  if (rows[0].n !== POINTS) throw new Error(`expected ${POINTS} stored points, found ${rows[0].n}`);
  return timing;
}

async function ingestRaw(pool: pg.Pool, schema: string): Promise<Timing> {
  const table = `${q(schema)}.raw_metrics`;
  await pool.query(`create table ${table} (run_id varchar(26) not null, key varchar(250) not null,
    step bigint not null, "timestamp" bigint not null, value double precision, negative_zero smallint)`);
  await pool.query(`create index raw_metrics_series on ${table} (run_id, key, step)`);
  const keys = Array.from({ length: METRICS }, (_, i) => `metric_${i}`);
  const runIds = Array.from({ length: RUNS }, (_, r) => `01JRAWRUN${String(r).padStart(17, "0")}`);
  const statement = (n: number) => {
    const tuples: string[] = [];
    for (let i = 0; i < n; i++) {
      const b = i * 6;
      tuples.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`);
    }
    return `insert into ${table} (run_id, key, step, "timestamp", value, negative_zero) values ${tuples.join(", ")}`;
  };
  const full = statement(INSERT_ROWS);
  const client = await pool.connect();
  try {
    const t0 = performance.now();
    const c0 = cpuMs();
    const ts = Date.now();
    let params: unknown[] = [];
    const flush = async () => {
      const n = params.length / 6;
      if (n === 0) return;
      await client.query(n === INSERT_ROWS ? full : statement(n), params);
      params = [];
    };
    for (const runId of runIds)
      for (let step = 0; step < STEPS; step++)
        for (let k = 0; k < METRICS; k++) {
          params.push(runId, keys[k], step, ts + step, Math.sin(step + k), null);
          if (params.length === INSERT_ROWS * 6) await flush();
        }
    await flush();
    return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
  } finally {
    client.release();
  }
}

async function metricIngest(pool: pg.Pool, schema: string): Promise<void> {
  console.log(`\nMetric ingest: ${fmt(POINTS)} points (${RUNS} runs × ${METRICS} metrics × ${STEPS} steps)`);
  // Raw first, then the store, then raw again: the better raw time is the baseline (a warm server).
  const loadStart = load();
  const raw1 = await ingestRaw(pool, schema);
  const api = await ingestStore(pool, schema);
  await pool.query(`drop table ${q(schema)}.raw_metrics`);
  const raw2 = await ingestRaw(pool, schema);
  const raw = raw1.wall <= raw2.wall ? raw1 : raw2;
  const loadEnd = load();
  record({
    name: `ingest ${fmt(POINTS)} metric points on PostgreSQL, run.logMetrics (batched)`,
    value: api.wall / 1000,
    unit: "s",
    baseline: {
      name: `raw pg multi-row INSERTs (${fmt(INSERT_ROWS)} rows each) into a plain table`,
      value: raw.wall / 1000,
    },
    target: { ratioMax: 2 },
    note:
      `${fmt(POINTS / (api.wall / 1000))} points/s against ${fmt(POINTS / (raw.wall / 1000))}; ` +
      `Node CPU ${(api.cpu / 1000).toFixed(2)} s against ${(raw.cpu / 1000).toFixed(2)} s; raw runs ${(raw1.wall / 1000).toFixed(2)} s and ${(raw2.wall / 1000).toFixed(2)} s (the better is the baseline); ` +
      `the store also upserts each run's latest values and checks the run, in one serializable transaction per batch of 5,000; load average ${loadStart} → ${loadEnd}`,
  });
}

// ---------------------------------------------------------------- historical retrieval

/** Entity row i: a driver and a time within the drivers' 50 hours (same formulas as bench/features). */
const entityDriver = (i: number) => (i * 48271) % DRIVERS;
const entityTime = (i: number) => T0 + ((i * 69621) % (ROWS_PER_DRIVER * 3600)) * 1000;

/**
 * Loads the feature rows straight into the store's table, generated in the server (one INSERT …
 * SELECT from generate_series, in the primary key's order), with the view's write sequence reserved
 * as the store reserves it. Feature row j of driver d is hourly, jittered by up to 50 minutes.
 */
async function loadFeatures(pool: pg.Pool, schema: string): Promise<number> {
  const s = q(schema);
  const t0 = performance.now();
  const { rows } = await pool.query(
    `insert into ${s}.feature_offline_views (name, next_seq) values ($1, $2) returning id`,
    ["driver_stats", DRIVERS * ROWS_PER_DRIVER + 1],
  );
  const viewId = rows[0].id as number;
  await pool.query(
    `insert into ${s}.feature_offline_rows (view_id, entity_key, event_time, created_time, seq, values_json)
     select $1::int, d::text, t, t, d::int8 * ${ROWS_PER_DRIVER} + j + 1,
       '{"conv_rate":' || (((d * 31 + j * 17) % 1000) / 1000.0)::float8::text || ',"trips":' || ((d + j) % 500)::text || '}'
     from generate_series(0, $2::int - 1) d
     cross join generate_series(0, ${ROWS_PER_DRIVER - 1}) j
     cross join lateral (select $3::int8 + (j * 3600 + ((d * 7919 + j * 104729) % 3000)) * 1000 as t) x
     order by d::text, t`,
    [viewId, DRIVERS, T0],
  );
  await pool.query(`analyze ${s}.feature_offline_rows`);
  return performance.now() - t0;
}

/**
 * The point-in-time query written by hand: the entity rows as two bound arrays, one LATERAL probe
 * of the primary key each. `sorted`: the server orders the probes by key and time first, so that
 * consecutive probes descend into neighbouring index pages (what the store gets by sorting the rows
 * before it batches them).
 */
const HAND_QUERY = (schema: string, sorted: boolean) => `select p.n, m.values_json
  from ${sorted ? "(select * from unnest($1::text[], $2::int8[]) with ordinality as u(k, t, n) order by k, t) p" : "unnest($1::text[], $2::int8[]) with ordinality as p(k, t, n)"}
  cross join lateral (
    select g.values_json from ${q(schema)}.feature_offline_rows g
    where g.view_id = $3 and g.entity_key = p.k and g.event_time <= p.t and g.event_time >= p.t - $4::int8
    order by g.event_time desc, g.created_time desc, g.seq desc
    limit 1
  ) m`;

interface Answer {
  ms: number;
  cpu: number;
  matched: number;
  tripsSum: number;
}

/**
 * The hand-written query over every entity row: `sorted`, all of them in one query ordered by the
 * server; otherwise in batches of {@link HAND_BATCH} in the rows' own order.
 */
async function handWritten(pool: pg.Pool, schema: string, viewId: number, sorted: boolean): Promise<Answer> {
  const client = await pool.connect();
  try {
    const t0 = performance.now();
    const c0 = cpuMs();
    const keys = new Array<string>(ENTITY_ROWS);
    const times = new Array<number>(ENTITY_ROWS);
    for (let i = 0; i < ENTITY_ROWS; i++) {
      keys[i] = String(entityDriver(i));
      times[i] = entityTime(i);
    }
    const values = new Array<Record<string, unknown> | undefined>(ENTITY_ROWS);
    const sql = HAND_QUERY(schema, sorted);
    const batch = sorted ? ENTITY_ROWS : HAND_BATCH;
    for (let start = 0; start < ENTITY_ROWS; start += batch) {
      const end = Math.min(ENTITY_ROWS, start + batch);
      const { rows } = await client.query(sql, [keys.slice(start, end), times.slice(start, end), viewId, TTL_MS]);
      for (const r of rows) values[start + Number(r.n) - 1] = JSON.parse(r.values_json);
    }
    const ms = performance.now() - t0;
    const cpu = cpuMs() - c0;
    let matched = 0;
    let tripsSum = 0;
    for (const v of values)
      if (v) {
        matched++;
        tripsSum += v.trips as number;
      }
    return { ms, cpu, matched, tripsSum };
  } finally {
    client.release();
  }
}

async function storeRetrieval(pool: pg.Pool, schema: string): Promise<Answer> {
  await using ws = await createWorkspace(postgresStore({ pool, schema }));
  const features = ["driver_stats:conv_rate", "driver_stats:trips"];
  // One small retrieval first, as a process that serves them would have done: the definitions and
  // the view's id are read once per workspace.
  await ws.features.getHistoricalFeatures({ entityRows: [{ driver_id: 0, event_timestamp: T0 }], features });
  const t0 = performance.now();
  const c0 = cpuMs();
  const entityRows = Array.from({ length: ENTITY_ROWS }, (_, i) => ({
    driver_id: entityDriver(i),
    event_timestamp: entityTime(i),
  }));
  const set = await ws.features.getHistoricalFeatures({
    entityRows,
    features,
  });
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  let matched = 0;
  let tripsSum = 0;
  for (const r of set.rows)
    if (r.trips !== null) {
      matched++;
      tripsSum += r.trips as number;
    }
  if (set.rows.length !== ENTITY_ROWS) throw new Error(`expected ${ENTITY_ROWS} rows, got ${set.rows.length}`);
  return { ms, cpu, matched, tripsSum };
}

async function explain(pool: pg.Pool, schema: string, viewId: number, sorted: boolean): Promise<string> {
  const n = Math.min(ENTITY_ROWS, 1000);
  const keys = Array.from({ length: n }, (_, i) => String(entityDriver(i)));
  const times = Array.from({ length: n }, (_, i) => entityTime(i));
  const { rows } = await pool.query(`explain (costs off) ${HAND_QUERY(schema, sorted)}`, [keys, times, viewId, TTL_MS]);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

async function historical(pool: pg.Pool, schema: string): Promise<void> {
  const features = DRIVERS * ROWS_PER_DRIVER;
  console.log(
    `\nHistorical retrieval: ${fmt(ENTITY_ROWS)} entity rows × ${fmt(features)} feature rows (${fmt(DRIVERS)} drivers, TTL 2 h)`,
  );
  // The store's migrations create the tables; the view is defined through the API.
  {
    await using ws = await createWorkspace(postgresStore({ pool, schema }));
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "driver_stats",
      entities: ["driver"],
      schema: z.object({ conv_rate: z.number(), trips: z.number().int() }),
      ttlMs: TTL_MS,
    });
  }
  const loadMs = await loadFeatures(pool, schema);
  console.log(
    `setup: ${fmt(features)} feature rows loaded in ${(loadMs / 1000).toFixed(1)} s (not part of the figure)`,
  );
  const { rows } = await pool.query(`select id from ${q(schema)}.feature_offline_views where name = 'driver_stats'`);
  const viewId = rows[0].id as number;
  console.log(
    `plan of the hand-written query (probes ordered in the server):\n${await explain(pool, schema, viewId, true)}`,
  );
  console.log(
    `plan of the store's batch query (its SQL; the store orders the probes in Node):\n${await explain(pool, schema, viewId, false)}`,
  );

  // Hand-written, store, hand-written again: the better hand-written run is the baseline. The
  // hand-written query in the rows' own order, in batches, is measured once beside them.
  const loadStart = load();
  const hand1 = await handWritten(pool, schema, viewId, true);
  const ours = await storeRetrieval(pool, schema);
  const hand2 = await handWritten(pool, schema, viewId, true);
  const unsorted = await handWritten(pool, schema, viewId, false);
  const loadEnd = load();
  const hand = hand1.ms <= hand2.ms ? hand1 : hand2;
  for (const other of [hand, unsorted])
    if (ours.matched !== other.matched || ours.tripsSum !== other.tripsSum)
      throw new Error(
        `the store and the hand-written query disagree: ${ours.matched} matches (trips sum ${ours.tripsSum}) against ${other.matched} (${other.tripsSum})`,
      );
  record({
    name: `historical retrieval on PostgreSQL, ${fmt(ENTITY_ROWS)} entity rows × ${fmt(features)} feature rows`,
    value: ours.ms / 1000,
    unit: "s",
    baseline: {
      name: "the same point-in-time LATERAL query by hand, every entity row in one query, ordered by the server, values parsed",
      value: hand.ms / 1000,
    },
    target: { ratioMax: 1.5 },
    note:
      `${fmt(ours.matched)} rows matched on every side; Node CPU ${(ours.cpu / 1000).toFixed(2)} s against ${(hand.cpu / 1000).toFixed(2)} s; ` +
      `hand-written runs ${(hand1.ms / 1000).toFixed(2)} s and ${(hand2.ms / 1000).toFixed(2)} s (the better is the baseline); ` +
      `the hand-written query in the rows' own order, ${fmt(HAND_BATCH)} a query: ${(unsorted.ms / 1000).toFixed(2)} s; ` +
      `feature rows loaded by one INSERT … SELECT generate_series straight into the store's table (${(loadMs / 1000).toFixed(1)} s, not timed); ` +
      `load average ${loadStart} → ${loadEnd}`,
  });
}

// ----------------------------------------------------------------

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: URL, max: 6 });
  try {
    await pool.query("select 1");
  } catch (e) {
    const reason = `PostgreSQL at ${URL} does not answer (${(e as Error).message}): start it, or set MLCYCLE_TEST_POSTGRES_URL`;
    await pool.end();
    if (process.env.MLCYCLE_REQUIRE_SERVICES === "1") {
      console.log(reason);
      process.exitCode = 1;
    } else skip(reason);
    return;
  }
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const historySchema = `${schema}_hist`;
  console.log(`load average ${load()} on ${os.cpus().length} CPUs`);
  try {
    await pool.query(`create schema ${q(schema)}`);
    const only = process.argv.slice(2);
    if (only.length === 0 || only.includes("ingest")) await metricIngest(pool, schema);
    if (only.length === 0 || only.includes("historical")) await historical(pool, historySchema);
  } finally {
    for (const s of [schema, historySchema]) await pool.query(`drop schema if exists ${q(s)} cascade`);
    await pool.end();
  }
}

await main();

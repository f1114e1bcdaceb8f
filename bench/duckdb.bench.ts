/**
 * The DuckDB offline engine (`mlcycle/duckdb`) and Parquet sources, each figure beside a baseline
 * measured in the same run:
 *
 * 1. Historical retrieval of 1,000,000 entity rows (a JavaScript array) against 5,000,000 feature
 *    rows ingested into the DuckDB offline store, rows back in JavaScript — against the same join
 *    written by hand on the same instance: the entity rows appended to a temporary table, one
 *    `ASOF LEFT JOIN` on a typed in-memory table, the rows read back into JavaScript objects.
 * 2. The same from Parquet files in place: (a) `getHistoricalFeatures` with the view's rows a
 *    `parquetSource` (read by `read_parquet`), against the hand-written join over `read_parquet`;
 *    (b) `saveTrainingSet` with the entity rows a Parquet file too (built and written by DuckDB, put
 *    in the artifact store), against a hand-written `COPY (… ASOF JOIN …) TO 'x.parquet'`.
 * 3. Materialisation from a Parquet source into the SQLite online store (read with hyparquet, one
 *    row group at a time): rows/s and peak RSS, in a child process so the setup does not count,
 *    against reading the same file with hyparquet alone.
 *
 *   npx tsx bench/duckdb.bench.ts
 *   DUCK_ENTITY_ROWS=100000 DUCK_FEATURE_ROWS=500000 npx tsx bench/duckdb.bench.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { z } from "zod";
import { duckdbOfflineStore } from "mlcycle/duckdb";
import { openWorkspace, parquetSource, type Workspace } from "mlcycle";
import { record, size } from "./report.js";

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const ENTITY_ROWS = Number(process.env.DUCK_ENTITY_ROWS ?? size(1_000_000, 10_000));
const FEATURE_ROWS = Number(process.env.DUCK_FEATURE_ROWS ?? size(5_000_000, 50_000));
const ROWS_PER_DRIVER = 50;
const DRIVERS = Math.max(1, Math.floor(FEATURE_ROWS / ROWS_PER_DRIVER));
const TTL_MS = 2 * HOUR;
const schema = z.object({ conv_rate: z.number(), trips: z.number().int() });
const SHAPE = `${ENTITY_ROWS.toLocaleString("en")} entity rows × ${(DRIVERS * ROWS_PER_DRIVER).toLocaleString("en")} feature rows`;

// The same rows as bench/features.bench.ts, in SQL (for the files and the hand-written joins) and in JavaScript.
const FEATURES_SQL = `select d.range::bigint as driver_id,
    epoch_ms(${T0}::bigint + (j.range * 3600 + ((d.range * 7919 + j.range * 104729) % 3000)) * 1000) as event_timestamp,
    ((d.range * 31 + j.range * 17) % 1000) / 1000.0 as conv_rate,
    ((d.range + j.range) % 500)::bigint as trips
  from range(${DRIVERS}) d, range(${ROWS_PER_DRIVER}) j order by d.range, j.range`;
const ENTITIES_SQL = `select ((range * 48271) % ${DRIVERS})::bigint as driver_id,
    epoch_ms(${T0}::bigint + ((range * 69621) % ${ROWS_PER_DRIVER * 3600}) * 1000) as event_timestamp
  from range(${ENTITY_ROWS}) order by range`;
const featureTime = (d: number, j: number) => T0 + (j * 3600 + ((d * 7919 + j * 104729) % 3000)) * 1000;
const entityRows = () =>
  Array.from({ length: ENTITY_ROWS }, (_, i) => ({
    driver_id: (i * 48271) % DRIVERS,
    event_timestamp: T0 + ((i * 69621) % (ROWS_PER_DRIVER * 3600)) * 1000,
  }));

interface Answer {
  rows: number;
  matched: number;
  tripsSum: number;
}
function answerOf(rows: Iterable<Record<string, unknown>>, trips = "trips"): Answer {
  let n = 0;
  let matched = 0;
  let tripsSum = 0;
  for (const r of rows) {
    n++;
    const t = r[trips];
    if (t !== null && t !== undefined) {
      matched++;
      tripsSum += Number(t);
    }
  }
  return { rows: n, matched, tripsSum };
}
const same = (a: Answer, b: Answer) => a.rows === b.rows && a.matched === b.matched && a.tripsSum === b.tripsSum;

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

/**
 * The hand-written join's time and answer; its rows are dropped before the next measurement, so
 * they do not weigh on the heap of the one measured after it.
 */
async function handWrittenAnswer(
  con: DuckDBConnection,
  features: string,
  rows: ReadonlyArray<{ driver_id: number; event_timestamp: number }>,
): Promise<{ ms: number; answer: Answer }> {
  const { ms, value } = await timed(() => handWritten(con, features, rows));
  return { ms, answer: answerOf(value) };
}

/** Times `getHistoricalFeatures` on `ws` and records it beside the hand-written join's time and answer. */
async function retrieval(
  ws: Workspace,
  rows: Array<{ driver_id: number; event_timestamp: number }>,
  raw: { ms: number; answer: Answer },
  label: { path: string; baseline: string },
): Promise<void> {
  const ours = await timed(() =>
    ws.features.getHistoricalFeatures({
      entityRows: rows,
      features: ["driver_stats:conv_rate", "driver_stats:trips"],
      record: false,
    }),
  );
  const a = answerOf(ours.value.rows);
  const b = raw.answer;
  record({
    name: `historical retrieval, ${SHAPE}, ${label.path}: wall time`,
    value: ours.ms / 1000,
    unit: "s",
    baseline: { name: label.baseline, value: raw.ms / 1000 },
    target: { ratioMax: 1.3 },
    note: `${a.matched.toLocaleString("en")} rows matched${same(a, b) ? ", the same answer" : `, NOT the hand-written join's answer (${JSON.stringify(b)})`}`,
  });
}

/** The join as a user would write it by hand: entity rows appended, one ASOF LEFT JOIN, rows read back. */
async function handWritten(
  con: DuckDBConnection,
  features: string,
  rows: ReadonlyArray<{ driver_id: number; event_timestamp: number }>,
): Promise<Array<Record<string, unknown>>> {
  await con.run("create or replace temp table probe (i integer, driver_id bigint, ts bigint)");
  const appender = await con.createAppender("probe", "main", "temp");
  for (let i = 0; i < rows.length; i++) {
    appender.appendInteger(i);
    appender.appendBigInt(BigInt(rows[i].driver_id));
    appender.appendBigInt(BigInt(rows[i].event_timestamp));
    appender.endRow();
  }
  appender.closeSync();
  const result = await con.stream(`select p.driver_id, p.ts,
      case when f.event_timestamp >= p.t - interval 2 hour then f.conv_rate end,
      case when f.event_timestamp >= p.t - interval 2 hour then f.trips end
    from (select *, epoch_ms(ts) as t from temp.main.probe) p asof left join ${features} f
      on p.driver_id = f.driver_id and p.t >= f.event_timestamp
    order by p.i`);
  const out = new Array<Record<string, unknown>>(rows.length);
  let n = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const [d, t, c, tr] = [0, 1, 2, 3].map((i) => chunk.getColumnVector(i));
    for (let r = 0; r < chunk.rowCount; r++) {
      const trips = tr.getItem(r) as bigint | null;
      out[n++] = {
        driver_id: Number(d.getItem(r)),
        event_timestamp: Number(t.getItem(r)),
        conv_rate: c.getItem(r),
        trips: trips === null ? null : Number(trips),
      };
    }
  }
  await con.run("drop table temp.main.probe");
  return out;
}

async function driverView(ws: Workspace, source?: ReturnType<typeof parquetSource>) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema,
    ttlMs: TTL_MS,
    ...(source ? { source } : {}),
  });
}

async function retrievalBench(dir: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const con = await instance.connect();
  try {
    await con.run(`copy (${FEATURES_SQL}) to '${dir}/features.parquet' (format parquet, row_group_size 100000)`);
    await con.run(`copy (${ENTITIES_SQL}) to '${dir}/entities.parquet' (format parquet, row_group_size 100000)`);
    await con.run(`create table features as select * from read_parquet('${dir}/features.parquet')`);
    const rows = entityRows();
    console.log(
      `\nHistorical retrieval on mlcycle/duckdb: ${SHAPE} (${DRIVERS.toLocaleString("en")} drivers, TTL 2 h)`,
    );

    // 1. Stored rows.
    {
      await using ws = await openWorkspace(join(dir, "stored"), { offline: duckdbOfflineStore({ instance }) });
      await driverView(ws);
      const load = await timed(async () => {
        let chunk = [];
        for (let d = 0; d < DRIVERS; d++) {
          for (let j = 0; j < ROWS_PER_DRIVER; j++) {
            const t = featureTime(d, j);
            const values = { conv_rate: ((d * 31 + j * 17) % 1000) / 1000, trips: (d + j) % 500 };
            chunk.push({ entityKey: String(d), eventTime: t, createdTime: t, values });
          }
          if (chunk.length >= 100_000) {
            await ws.features.offline.writeRows("driver_stats", chunk);
            chunk = [];
          }
        }
        if (chunk.length) await ws.features.offline.writeRows("driver_stats", chunk);
      });
      console.log(`setup: ${FEATURE_ROWS.toLocaleString("en")} rows ingested in ${(load.ms / 1000).toFixed(1)} s`);
      await retrieval(ws, rows, await handWrittenAnswer(con, "features", rows), {
        path: "stored in the DuckDB offline store",
        baseline: "hand-written DuckDB ASOF JOIN, rows appended and read back",
      });
    }

    // 2a. The view read in place from its Parquet file.
    {
      await using ws = await openWorkspace(join(dir, "in-place"), { offline: duckdbOfflineStore({ instance }) });
      await driverView(ws, parquetSource({ path: join(dir, "features.parquet") }));
      await retrieval(ws, rows, await handWrittenAnswer(con, `read_parquet('${dir}/features.parquet')`, rows), {
        path: "view read in place from Parquet",
        baseline: "hand-written ASOF JOIN over read_parquet, rows read back",
      });

      // 2b. Entity rows and view both Parquet files: the whole set built and written by DuckDB.
      const rawCopy = await timed(async () => {
        await con.run(`copy (select e.driver_id, e.event_timestamp,
            case when f.event_timestamp >= e.event_timestamp - interval 2 hour then f.conv_rate end as conv_rate,
            case when f.event_timestamp >= e.event_timestamp - interval 2 hour then f.trips end as trips
          from (select *, file_row_number from read_parquet('${dir}/entities.parquet', file_row_number = true)) e
          asof left join read_parquet('${dir}/features.parquet') f
            on e.driver_id = f.driver_id and e.event_timestamp >= f.event_timestamp
          order by e.file_row_number) to '${dir}/raw-set.parquet' (format parquet)`);
      });
      const saved = await timed(() =>
        ws.features.saveTrainingSet({
          entityRows: parquetSource({ path: join(dir, "entities.parquet") }),
          features: ["driver_stats:conv_rate", "driver_stats:trips"],
          record: false,
        }),
      );
      const check = async (file: string) => {
        const reader = await con.runAndReadAll(
          `select count(*)::double, count(trips)::double, coalesce(sum(trips), 0)::double from read_parquet('${file}')`,
        );
        const [n, m, s] = reader.getRows()[0] as number[];
        return { rows: n, matched: m, tripsSum: s };
      };
      const artifact = join(dir, "saved.parquet");
      const bytes = await ws.artifacts.get(saved.value.digest);
      (await import("node:fs")).writeFileSync(artifact, bytes);
      const a2 = await check(artifact);
      const b2 = await check(`${dir}/raw-set.parquet`);
      record({
        name: `training set saved as Parquet, ${SHAPE}, entity rows and view read in place: wall time`,
        value: saved.ms / 1000,
        unit: "s",
        baseline: { name: "hand-written COPY (… ASOF JOIN over read_parquet …) TO Parquet", value: rawCopy.ms / 1000 },
        target: { ratioMax: 1.3 },
        note: `${(saved.value.size / 2 ** 20).toFixed(1)} MiB artifact (hashed and stored); ${a2.matched.toLocaleString("en")} rows matched${same(a2, b2) ? ", the same answer" : `, NOT the hand-written answer (${JSON.stringify(b2)})`}`,
      });
    }
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Runs in a child process: materialisation alone (then hyparquet alone), so the peak RSS is its own. */
async function materializeChild(dir: string): Promise<void> {
  const file = join(dir, "features.parquet");
  const before = process.memoryUsage().rss;
  await using ws = await openWorkspace(join(dir, "materialize"));
  await driverView(ws, parquetSource({ path: file }));
  const ours = await timed(() => ws.features.materialize({ end: T0 + 365 * 24 * HOUR }));
  const peak = process.resourceUsage().maxRSS * 1024;
  const raw = await timed(async () => {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    let n = 0;
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      n += (await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end })).length;
      start = end;
    }
    return n;
  });
  const [view] = ours.value;
  console.log(JSON.stringify({ ms: ours.ms, rawMs: raw.ms, rows: view.rows, written: view.written, peak, before }));
}

async function materializeBench(dir: string): Promise<void> {
  const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--materialize-child", dir], {
    encoding: "utf8",
    env: process.env,
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`materialisation child failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    ms: number;
    rawMs: number;
    rows: number;
    written: number;
    peak: number;
    before: number;
  };
  const rows = DRIVERS * ROWS_PER_DRIVER;
  record({
    name: `materialisation from a Parquet source into the SQLite online store, ${rows.toLocaleString("en")} rows: throughput`,
    value: r.rows / (r.ms / 1000),
    unit: "/s",
    baseline: { name: "reading the same file with hyparquet alone", value: rows / (r.rawMs / 1000) },
    note: `${r.written.toLocaleString("en")} entities written online in ${(r.ms / 1000).toFixed(1)} s`,
  });
  record({
    name: `materialisation from a Parquet source into the SQLite online store, ${rows.toLocaleString("en")} rows: peak RSS`,
    value: r.peak / 2 ** 20,
    unit: "MiB",
    target: { max: 1024 },
    note: `process at start ${(r.before / 2 ** 20).toFixed(0)} MiB; row groups of 100,000 rows`,
  });
}

const args = process.argv.slice(2);
if (args[0] === "--materialize-child") {
  await materializeChild(args[1]);
} else {
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-bench-duckdb-"));
  try {
    await retrievalBench(dir);
    await materializeBench(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

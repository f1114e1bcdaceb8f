// Files the source tests read: written by DuckDB (COPY … TO), the way a user's pipeline would.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

/** Runs statements on a fresh in-memory DuckDB (the rows of `rows` are available as table `input`). */
export async function duckdb(statements: string[], rows?: ReadonlyArray<Record<string, unknown>>, dir?: string) {
  const instance = await DuckDBInstance.create(":memory:");
  const con = await instance.connect();
  try {
    if (rows) {
      const file = join(dir as string, `input-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n"));
      await con.run(`create table input as select * from read_json('${file}', format = 'newline_delimited')`);
    }
    for (const s of statements) await con.run(s);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

export interface FixtureCase {
  ttl_seconds: number | null;
  feature_rows: Array<{
    driver_id: number;
    event_timestamp: number;
    created_timestamp: number;
    conv_rate: number;
    trips: number;
  }>;
  entity_rows: Array<{ driver_id: number; event_timestamp: number }>;
  expected: Array<{ conv_rate: number | null; trips: number | null }>;
}

/**
 * A fixture case's feature rows as Parquet (`features.parquet`, two row groups' worth in two files
 * when `split`) and CSV, with source column names of their own — `driver`, `ts` (a timestamp),
 * `created` (a timestamp), `conv`, `trips` — and its entity rows as Parquet and CSV (`driver_id`,
 * `event_timestamp`).
 */
export async function fixtureFiles(c: FixtureCase, dir: string) {
  const features = `select driver_id::bigint as driver, epoch_ms(event_timestamp::bigint * 1000) as ts,
    epoch_ms(created_timestamp::bigint * 1000) as created, conv_rate::double as conv, trips::bigint as trips from input`;
  const half = Math.floor(c.feature_rows.length / 2);
  await duckdb(
    [
      `copy (${features}) to '${dir}/features.parquet' (format parquet, row_group_size 64)`,
      `copy (${features} limit ${half}) to '${dir}/part-1.parquet' (format parquet)`,
      `copy (${features} offset ${half}) to '${dir}/part-2.parquet' (format parquet)`,
      `copy (${features}) to '${dir}/features.csv' (header, delimiter ',')`,
    ],
    c.feature_rows,
    dir,
  );
  const entities = `select driver_id::bigint as driver_id, epoch_ms(event_timestamp::bigint * 1000) as event_timestamp from input`;
  await duckdb(
    [
      `copy (${entities}) to '${dir}/entities.parquet' (format parquet, row_group_size 50)`,
      `copy (${entities}) to '${dir}/entities.csv' (header, delimiter ',')`,
    ],
    c.entity_rows,
    dir,
  );
}

import { MlcycleError } from "../../core/errors.js";
import type { PointInTimeBatch } from "../../stores/offline-store.js";
import { type DuckDBConnectionLike, type DuckDBParam, duckdbError } from "./duckdb-client.js";
import type { DuckDBSession } from "./duckdb-session.js";
import { MAX_BIGINT } from "./duckdb-sql.js";

/** Answers per batch handed to the feature store. */
const BATCH = 50_000;

let probeTables = 0;

/** A name for a temporary table of one operation (temporary tables belong to their connection). */
export function temporaryName(what: string): string {
  return `mlcycle_${what}_${process.pid}_${++probeTables}`;
}

/**
 * The point-in-time rule as a DuckDB join condition: `ASOF LEFT JOIN` takes, per probe, the row
 * of the same key with the greatest ordering value ≤ the probe's, and the ordering value here is
 * the struct (event time, created time, write position), compared field by field. A probe is
 * (time, MAX, MAX), so among rows with event time ≤ the probe's time the latest event time wins,
 * then the latest created time, then the last written: exactly every offline store's rule.
 */
export function asofCondition(
  probe: { key: string; time: string },
  row: { key: string; eventTime: string; createdTime: string; position: string },
): string {
  return `${probe.key} = ${row.key} AND ${asofOrder(probe.time, row)}`;
}

/** The inequality of {@link asofCondition} alone, for joins whose keys are compared otherwise. */
export function asofOrder(
  probeTime: string,
  row: { eventTime: string; createdTime: string; position: string },
): string {
  return `struct_pack(e := ${probeTime}, c := ${MAX_BIGINT}, o := ${MAX_BIGINT}) >= struct_pack(e := ${row.eventTime}, c := ${row.createdTime}, o := ${row.position})`;
}

/**
 * The TTL rule on a matched row: kept when its event time ≥ the probe's time − TTL (TTL > 0), the
 * match being the latest row at or before the probe's time, so no earlier row could be within it.
 */
export function withinTtl(probeTime: string, eventTime: string, ttlMs: number): string {
  return ttlMs > 0 ? `${eventTime} >= ${probeTime} - ${Math.floor(ttlMs)}::BIGINT` : "TRUE";
}

/**
 * Loads probes (index, entity key, time) into a temporary table of `connection` through the
 * appender; returns the table's name. The caller drops it.
 */
export async function loadProbes(
  connection: DuckDBConnectionLike,
  keys: readonly string[],
  times: ArrayLike<number>,
): Promise<string> {
  const table = temporaryName("probes");
  try {
    await connection.run(`CREATE TEMP TABLE ${table} (i INTEGER NOT NULL, k VARCHAR NOT NULL, t BIGINT NOT NULL)`);
    const appender = await connection.createAppender(table, "main", "temp");
    for (let i = 0; i < keys.length; i++) {
      appender.appendInteger(i);
      appender.appendVarchar(keys[i]);
      appender.appendBigInt(BigInt(Math.floor(times[i])));
      appender.endRow();
    }
    appender.closeSync();
  } catch (error) {
    await connection.run(`DROP TABLE IF EXISTS temp.main.${table}`).catch(() => undefined);
    throw duckdbError("loading the entity rows", error);
  }
  return table;
}

/**
 * Streams `(probe index, values JSON or null)` rows of a query and yields them as
 * {@link PointInTimeBatch}es of at most 50,000, parsing each matched row's JSON.
 */
export async function* streamMatches(
  connection: DuckDBConnectionLike,
  sql: string,
  params: DuckDBParam[],
  signal: AbortSignal | undefined,
  parse: (value: unknown) => Record<string, unknown> | undefined,
): AsyncIterable<PointInTimeBatch> {
  const result = await connection.stream(sql, params).catch((e: unknown) => {
    throw duckdbError("the point-in-time join", e);
  });
  let indices = new Int32Array(BATCH);
  let values = new Array<Record<string, unknown> | undefined>(BATCH);
  let n = 0;
  for (;;) {
    if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
    const chunk = await result.fetchChunk().catch((e: unknown) => {
      throw duckdbError("the point-in-time join", e);
    });
    if (!chunk || chunk.rowCount === 0) break;
    const iv = chunk.getColumnVector(0);
    const vv = chunk.getColumnVector(1);
    for (let r = 0; r < chunk.rowCount; r++) {
      indices[n] = iv.getItem(r) as number;
      values[n] = parse(vv.getItem(r));
      if (++n === BATCH) {
        yield { indices, values };
        indices = new Int32Array(BATCH);
        values = new Array(BATCH);
        n = 0;
      }
    }
  }
  if (n > 0) yield { indices: indices.subarray(0, n), values: values.slice(0, n) };
}

const parseJson = (value: unknown) =>
  value === null || value === undefined ? undefined : (JSON.parse(value as string) as Record<string, unknown>);

/**
 * `OfflineStore.pointInTime` on the DuckDB store's own rows: probes into a temporary table, one
 * ASOF join (see {@link asofCondition}) streamed back in batches, the temporary table dropped.
 */
export async function* storedPointInTime(
  session: DuckDBSession,
  store: { rowsTable: string; viewId: () => Promise<number | undefined> },
  keys: readonly string[],
  times: ArrayLike<number>,
  ttlMs: number,
  signal?: AbortSignal,
): AsyncIterable<PointInTimeBatch> {
  if (keys.length === 0) return;
  const viewId = await store.viewId();
  if (viewId === undefined) {
    const indices = new Int32Array(keys.length);
    for (let i = 0; i < keys.length; i++) indices[i] = i;
    yield { indices, values: new Array(keys.length) };
    return;
  }
  const { connection, release } = await session.acquire();
  let table: string | undefined;
  try {
    table = await loadProbes(connection, keys, times);
    const sql = `SELECT p.i, CASE WHEN ${withinTtl("p.t", "r.event_time", ttlMs)} THEN r.values_json END
      FROM temp.main.${table} p ASOF LEFT JOIN
        (SELECT entity_key, event_time, created_time, seq, values_json FROM ${store.rowsTable} WHERE view_id = $1) r
      ON ${asofCondition({ key: "p.k", time: "p.t" }, { key: "r.entity_key", eventTime: "r.event_time", createdTime: "r.created_time", position: "r.seq" })}`;
    yield* streamMatches(connection, sql, [viewId], signal, parseJson);
  } finally {
    if (table) await connection.run(`DROP TABLE IF EXISTS temp.main.${table}`).catch(() => undefined);
    release();
  }
}

import { MlcycleError } from "../../core/errors.js";
import type { EngineTrainingSetRequest, EngineTrainingView, SourceColumnKind } from "../../stores/offline-engine.js";
import type { OfflineRow } from "../../stores/offline-store.js";
import type { DuckDBAppenderLike, DuckDBConnectionLike } from "./duckdb-client.js";
import { duckdbError } from "./duckdb-client.js";
import type { DuckDBEngineStore } from "./duckdb-engine.js";
import { asofOrder, temporaryName, withinTtl } from "./duckdb-point-in-time.js";
import {
  describeTable,
  ORDER,
  type PreparedTable,
  prepareTable,
  releaseTable,
  viewRelation,
} from "./duckdb-relations.js";
import { entityKeySql, ident, literal } from "./duckdb-sql.js";
import { storedFeatureSql, timeSql } from "./duckdb-types.js";

const SQL_TYPES: Partial<Record<SourceColumnKind, string>> = {
  integer: "BIGINT",
  number: "DOUBLE",
  string: "VARCHAR",
  boolean: "BOOLEAN",
};

/**
 * Builds a training set in DuckDB and writes it with `COPY … TO` as Parquet: the entity rows read
 * in place (their columns as they are), one `ASOF LEFT JOIN` per view under the point-in-time rule,
 * each view's features typed by its schema, rows in the entity rows' order. A view read in place is
 * matched on its typed join-key columns; stored and staged rows on the encoded entity key.
 */
export async function writeTrainingSet(
  con: DuckDBConnectionLike,
  store: DuckDBEngineStore,
  request: EngineTrainingSetRequest,
): Promise<{ rows: number }> {
  const prepared: PreparedTable[] = [];
  const temporary: string[] = [];
  try {
    const entities = await prepareTable(con, request.entities.table);
    prepared.push(entities);
    const entityColumns = await describeTable(con, entities);
    const kindOf = (name: string) => entityColumns.find((c) => c.name === name)?.kind ?? "unknown";
    const featureColumns = new Set(request.views.flatMap((v) => v.columns.map((c) => c.column)));
    const passthrough = request.entities.columns.filter((c) => !featureColumns.has(c.name));
    const entitySelect = [
      ...passthrough.map((c) => `${ident(c.column)} AS ${ident(c.name)}`),
      `${timeSql(ident(request.entities.time.column), kindOf(request.entities.time.column))} AS mlcycle_t`,
      `${ORDER} AS mlcycle_row`,
    ];
    const byName = new Map(request.entities.columns.map((c) => [c.name, c.column]));
    let from = `(SELECT ${entitySelect.join(", ")} FROM ${entities.from}) E`;
    const outputs: string[] = passthrough.map((c) => `E.${ident(c.name)}`);
    for (let v = 0; v < request.views.length; v++) {
      if (request.signal?.aborted) throw new MlcycleError("CANCELLED", "writing the training set was cancelled");
      const view = request.views[v];
      const alias = `r${v}`;
      const { sql, features, on } = await viewJoin(con, store, view, alias, prepared, temporary);
      const keyOf = (k: { column: string }) => `E.${ident(k.column)}`;
      for (const k of view.entityKeys)
        if (!byName.has(k.column) && !passthrough.some((c) => c.name === k.column))
          throw new MlcycleError("VALIDATION", `the entity rows have no column '${k.column}' (a join key)`);
      from += ` ASOF LEFT JOIN ${sql} ${alias} ON ${on(view.entityKeys.map((k) => ({ sql: keyOf(k), type: k.type })))} AND ${asofOrder(
        "E.mlcycle_t",
        {
          eventTime: `${alias}.e`,
          createdTime: `${alias}.c`,
          position: `${alias}.o`,
        },
      )}`;
      const matched = `${alias}.e IS NOT NULL AND ${withinTtl("E.mlcycle_t", `${alias}.e`, view.ttlMs)}`;
      for (const c of view.columns) {
        const f = features.indexOf(c.feature);
        outputs.push(`CASE WHEN ${matched} THEN ${alias}.f${f} END AS ${ident(c.column)}`);
      }
    }
    const query = `SELECT ${outputs.join(", ")} FROM ${from} ORDER BY E.mlcycle_row`;
    try {
      const result = await con.runAndReadAll(`COPY (${query}) TO ${literal(request.path)} (FORMAT parquet)`);
      return { rows: Number(result.getRowsJS()[0]?.[0] ?? 0) };
    } catch (error) {
      throw duckdbError("writing the training set", error);
    }
  } finally {
    for (const t of temporary) await con.run(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    for (const p of prepared) await releaseTable(con, p);
  }
}

/** One view as a relation to join: its SQL, its features in column order, and the key condition. */
async function viewJoin(
  con: DuckDBConnectionLike,
  store: DuckDBEngineStore,
  view: EngineTrainingView,
  alias: string,
  prepared: PreparedTable[],
  temporary: string[],
): Promise<{
  sql: string;
  features: string[];
  on: (entityKeys: Array<{ sql: string; type: "int" | "string" }>) => string;
}> {
  const rows = view.rows;
  if (rows.kind === "table") {
    const table = await prepareTable(con, rows.view.table);
    prepared.push(table);
    const relation = viewRelation(table, rows.view, await describeTable(con, table), "typed");
    return {
      sql: relation.sql,
      features: relation.features.map((f) => f.name),
      on: (keys) =>
        keys
          .map((k, i) => `CAST(${k.sql} AS ${k.type === "int" ? "BIGINT" : "VARCHAR"}) = ${alias}.k${i}`)
          .join(" AND "),
    };
  }
  let source: string;
  if (rows.kind === "stored") {
    const id = await store.viewId(rows.view);
    source = `(SELECT * FROM ${store.rowsTable} WHERE view_id = ${id ?? -1})`;
  } else {
    const name = temporaryName("staged");
    temporary.push(`temp.main.${name}`);
    source = `temp.main.${name}`;
    await stageRows(con, name, rows.rows);
  }
  const select = [
    "entity_key AS k",
    "event_time AS e",
    "created_time AS c",
    "seq AS o",
    ...rows.features.map((f, i) => `${storedFeatureSql("values_json", f.name, f.type)} AS f${i}`),
  ];
  return {
    sql: `(SELECT ${select.join(", ")} FROM ${source})`,
    features: rows.features.map((f) => f.name),
    on: (keys) => `${entityKeySql(keys)} = ${alias}.k`,
  };
}

/** Stages offline rows given in JavaScript into a temporary table laid out as the store's rows. */
async function stageRows(
  con: DuckDBConnectionLike,
  name: string,
  rows: AsyncIterable<readonly OfflineRow[]>,
): Promise<void> {
  try {
    await con.run(`CREATE TEMP TABLE ${name} (entity_key VARCHAR, event_time BIGINT, created_time BIGINT,
      seq BIGINT, values_json VARCHAR)`);
  } catch (error) {
    throw duckdbError("staging a view's rows", error);
  }
  let seq = 0n;
  for await (const chunk of rows) {
    const appender = await con.createAppender(name, "main", "temp");
    try {
      for (const r of chunk) {
        appender.appendVarchar(r.entityKey);
        appender.appendBigInt(BigInt(r.eventTime));
        appender.appendBigInt(BigInt(r.createdTime));
        appender.appendBigInt(++seq);
        appender.appendVarchar(JSON.stringify(r.values));
        appender.endRow();
      }
      appender.closeSync();
    } catch (error) {
      throw duckdbError("staging a view's rows", error);
    }
  }
}

/**
 * Writes rows given in JavaScript to a Parquet file: a temporary table of the given column kinds
 * (`integer` BIGINT, `number` DOUBLE, `string` VARCHAR, `boolean` BOOLEAN, anything else JSON) filled
 * through the appender, then `COPY`'d in the rows' order.
 */
export async function writeRowsToParquet(
  con: DuckDBConnectionLike,
  path: string,
  columns: ReadonlyArray<{ name: string; kind: SourceColumnKind }>,
  rows: AsyncIterable<ReadonlyArray<Record<string, unknown>>>,
  signal?: AbortSignal,
): Promise<{ rows: number }> {
  const name = temporaryName("training_rows");
  const types = columns.map((c) => SQL_TYPES[c.kind] ?? "JSON");
  try {
    await con.run(
      `CREATE TEMP TABLE ${name} (mlcycle_row BIGINT, ${columns.map((c, i) => `${ident(c.name)} ${types[i]}`).join(", ")})`,
    );
    let n = 0;
    for await (const chunk of rows) {
      if (signal?.aborted) throw new MlcycleError("CANCELLED", "writing the training set was cancelled");
      const appender = await con.createAppender(name, "main", "temp");
      for (const row of chunk) {
        appender.appendBigInt(BigInt(n++));
        for (let c = 0; c < columns.length; c++) appendValue(appender, types[c], row[columns[c].name]);
        appender.endRow();
      }
      appender.closeSync();
    }
    await con.run(
      `COPY (SELECT * EXCLUDE (mlcycle_row) FROM temp.main.${name} ORDER BY mlcycle_row) TO ${literal(path)} (FORMAT parquet)`,
    );
    return { rows: n };
  } catch (error) {
    throw duckdbError("writing the training set", error);
  } finally {
    await con.run(`DROP TABLE IF EXISTS temp.main.${name}`).catch(() => undefined);
  }
}

function appendValue(appender: DuckDBAppenderLike, type: string, value: unknown): void {
  if (value === null || value === undefined) appender.appendNull();
  else if (type === "BIGINT") appender.appendBigInt(BigInt(value as number));
  else if (type === "DOUBLE") appender.appendDouble(value as number);
  else if (type === "VARCHAR") appender.appendVarchar(String(value));
  else if (type === "BOOLEAN") appender.appendBoolean(value as boolean);
  else appender.appendVarchar(JSON.stringify(value));
}

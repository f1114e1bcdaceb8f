import type { EngineTable, EngineViewTable, SourceColumn } from "../../stores/offline-engine.js";
import { type DuckDBConnectionLike, type DuckDBParam, duckdbError } from "./duckdb-client.js";
import { temporaryName } from "./duckdb-point-in-time.js";
import { entityKeySql, ident, literal, literalList } from "./duckdb-sql.js";
import { describedColumns, featureSelect, timeSql, type ValueReader } from "./duckdb-types.js";

/** The column every relation adds: the position of each row in reading order (ties go to the last read). */
export const ORDER = "mlcycle_order";

/** A table as DuckDB reads it: a `FROM` expression, and temporary tables to drop afterwards. */
export interface PreparedTable {
  /** `FROM` expression with the table's columns plus {@link ORDER}. */
  from: string;
  /** `FROM` expression with the table's own columns only (for `DESCRIBE`). */
  plain: string;
  drop: string[];
}

/**
 * Prepares a table for reading on `connection`: Parquet files through `read_parquet` (position:
 * the file's place in the list, then the row's number in its file), CSV through `read_csv` (position:
 * the row's number in the read), a SQL query run once into a temporary table (its parameters bound
 * there, so the queries built around it never mix placeholders).
 */
export async function prepareTable(connection: DuckDBConnectionLike, table: EngineTable): Promise<PreparedTable> {
  switch (table.kind) {
    case "parquet": {
      const files = literalList(table.files);
      const plain = `read_parquet(${files})`;
      if (table.files.length === 1)
        return {
          from: `(SELECT * EXCLUDE (file_row_number), file_row_number AS ${ORDER} FROM read_parquet(${files}, file_row_number = true))`,
          plain,
          drop: [],
        };
      return {
        from: `(SELECT t.* EXCLUDE (file_row_number, mlcycle_file), f.i * 1099511627776 + t.file_row_number AS ${ORDER}
          FROM read_parquet(${files}, file_row_number = true, filename = 'mlcycle_file') t
          JOIN (SELECT unnest(${files}) AS name, generate_subscripts(${files}, 1) AS i) f ON t.mlcycle_file = f.name)`,
        plain,
        drop: [],
      };
    }
    case "csv": {
      const options = [
        `delim = ${literal(table.delimiter)}`,
        `quote = ${literal(table.quote)}`,
        `header = ${table.header ? "true" : "false"}`,
        ...(table.columns ? [`names = ${literalList(table.columns)}`] : []),
      ].join(", ");
      const plain = `read_csv(${literalList(table.files)}, ${options})`;
      return { from: `(SELECT *, row_number() OVER () AS ${ORDER} FROM ${plain})`, plain, drop: [] };
    }
    case "sql": {
      const name = temporaryName("source");
      try {
        await connection.run(
          `CREATE TEMP TABLE ${name} AS SELECT *, row_number() OVER () AS ${ORDER} FROM (${table.query})`,
          table.params as DuckDBParam[],
        );
      } catch (error) {
        throw duckdbError("running the source query", error);
      }
      return {
        from: `temp.main.${name}`,
        plain: `(SELECT * EXCLUDE (${ORDER}) FROM temp.main.${name})`,
        drop: [`temp.main.${name}`],
      };
    }
  }
}

/** Drops a prepared table's temporary tables. */
export async function releaseTable(connection: DuckDBConnectionLike, prepared: PreparedTable | undefined) {
  for (const t of prepared?.drop ?? []) await connection.run(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
}

/** The columns of a prepared table. */
export async function describeTable(
  connection: DuckDBConnectionLike,
  prepared: PreparedTable,
): Promise<SourceColumn[]> {
  try {
    return describedColumns((await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${prepared.plain}`)).getRowsJS());
  } catch (error) {
    throw duckdbError("reading the source's columns", error);
  }
}

/** A view's rows as a relation with fixed columns: k (the key), e, c, o, then the features f0, f1… */
export interface ViewRelation {
  sql: string;
  features: Array<{ name: string; read: ValueReader }>;
}

/**
 * A view's table as the relation a point-in-time join reads: the entity key — encoded as the
 * feature store encodes it (`encoded`), or the typed join-key columns k0, k1… — the event time,
 * created time (0 without a column) and reading position, then each feature typed by the view's
 * schema.
 */
export function viewRelation(
  prepared: PreparedTable,
  view: EngineViewTable,
  columns: readonly SourceColumn[],
  keys: "encoded" | "typed",
): ViewRelation {
  const kind = (name: string) => columns.find((c) => c.name === name)?.kind ?? "unknown";
  const keySql =
    keys === "encoded"
      ? [`${entityKeySql(view.keys.map((k) => ({ sql: ident(k.column), type: k.type })))} AS k`]
      : view.keys.map((k, i) => `CAST(${ident(k.column)} AS ${k.type === "int" ? "BIGINT" : "VARCHAR"}) AS k${i}`);
  const features = view.features.map((f, i) => ({ ...featureSelect(ident(f.column), f.type), name: f.name, i }));
  const select = [
    ...keySql,
    `${timeSql(ident(view.eventTime.column), kind(view.eventTime.column))} AS e`,
    view.createdTime
      ? `${timeSql(ident(view.createdTime.column), kind(view.createdTime.column))} AS c`
      : "0::BIGINT AS c",
    `CAST(${ORDER} AS BIGINT) AS o`,
    ...features.map((f) => `${f.sql} AS f${f.i}`),
  ];
  return {
    sql: `(SELECT ${select.join(", ")} FROM ${prepared.from})`,
    features: features.map((f) => ({ name: f.name, read: f.read })),
  };
}

import type { SourceColumn, SourceColumnKind } from "../../stores/offline-engine.js";
import { ident } from "./duckdb-sql.js";

/** The kind of a DuckDB column type (as `DESCRIBE` names it). */
export function duckdbKind(type: string): SourceColumnKind {
  const t = type.toUpperCase();
  if (t.endsWith("]")) return "list";
  if (t.startsWith("STRUCT") || t.startsWith("MAP") || t.startsWith("UNION")) return "struct";
  if (t.startsWith("DECIMAL") || t.startsWith("NUMERIC")) return "number";
  if (t.startsWith("TIMESTAMP")) return "timestamp";
  if (t.startsWith("ENUM")) return "string";
  switch (t) {
    case "BOOLEAN":
      return "boolean";
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "BIGINT":
    case "HUGEINT":
    case "UTINYINT":
    case "USMALLINT":
    case "UINTEGER":
    case "UBIGINT":
    case "UHUGEINT":
      return "integer";
    case "FLOAT":
    case "DOUBLE":
      return "number";
    case "VARCHAR":
    case "UUID":
      return "string";
    case "DATE":
      return "date";
    case "JSON":
      return "json";
    case "BLOB":
      return "binary";
    default:
      return "other";
  }
}

/** The columns of a `DESCRIBE` result. */
export function describedColumns(rows: unknown[][]): SourceColumn[] {
  return rows.map((r) => ({ name: String(r[0]), type: String(r[1]), kind: duckdbKind(String(r[1])) }));
}

/** How a selected value is turned into a JavaScript value. */
export type ValueReader = (value: unknown) => unknown;

const bigintToNumber: ValueReader = (v) =>
  typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v;
const parseJson: ValueReader = (v) => (typeof v === "string" ? JSON.parse(v) : v);
const plain: ValueReader = (v) => v;

/**
 * A column selected so that its values arrive as plain JavaScript values, and how to read them:
 * integers as BIGINT (numbers when safe), decimals as DOUBLE, times as epoch ms, nested values and
 * anything else as JSON text parsed on arrival.
 */
export function plainSelect(expr: string, column: SourceColumn): { sql: string; read: ValueReader } {
  switch (column.kind) {
    case "integer":
      return { sql: `CAST(${expr} AS BIGINT)`, read: bigintToNumber };
    case "number":
      return { sql: `CAST(${expr} AS DOUBLE)`, read: plain };
    case "string":
      return { sql: `CAST(${expr} AS VARCHAR)`, read: plain };
    case "boolean":
      return { sql: expr, read: plain };
    case "timestamp":
      return { sql: `epoch_ms(${expr})`, read: bigintToNumber };
    case "date":
      return { sql: `epoch_ms(CAST(${expr} AS TIMESTAMP))`, read: bigintToNumber };
    case "binary":
      return { sql: `to_base64(${expr})`, read: plain };
    default:
      return { sql: `CAST(to_json(${expr}) AS VARCHAR)`, read: parseJson };
  }
}

/**
 * A feature selected as the view's schema types it, so DuckDB hands back what the JavaScript path
 * gives: `integer` as BIGINT, `number` as DOUBLE, `string` as VARCHAR, `boolean` as BOOLEAN,
 * anything else (arrays, objects, unions) as JSON text parsed on arrival.
 */
export function featureSelect(expr: string, type: string): { sql: string; read: ValueReader } {
  switch (type) {
    case "integer":
      return { sql: `CAST(${expr} AS BIGINT)`, read: bigintToNumber };
    case "number":
      return { sql: `CAST(${expr} AS DOUBLE)`, read: plain };
    case "string":
      return { sql: `CAST(${expr} AS VARCHAR)`, read: plain };
    case "boolean":
      return { sql: `CAST(${expr} AS BOOLEAN)`, read: plain };
    default:
      return { sql: `CAST(to_json(${expr}) AS VARCHAR)`, read: parseJson };
  }
}

/**
 * A feature of a stored row (values as JSON text), typed as {@link featureSelect} types it: the
 * member read by a JSON path (feature names never hold a quote), cast from JSON.
 */
export function storedFeatureSql(valuesJson: string, name: string, type: string): string {
  const path = `'$."${name.replaceAll("'", "''")}"'`;
  switch (type) {
    case "integer":
      return `CAST(json_extract(${valuesJson}, ${path}) AS BIGINT)`;
    case "number":
      return `CAST(json_extract(${valuesJson}, ${path}) AS DOUBLE)`;
    case "string":
      return `json_extract_string(${valuesJson}, ${path})`;
    case "boolean":
      return `CAST(json_extract(${valuesJson}, ${path}) AS BOOLEAN)`;
    default:
      return `json_extract(${valuesJson}, ${path})`;
  }
}

/** A time column as epoch ms (BIGINT), by its kind: timestamps and dates converted, integers taken as ms, text parsed. */
export function timeSql(expr: string, kind: SourceColumnKind): string {
  switch (kind) {
    case "timestamp":
      return `epoch_ms(${expr})`;
    case "date":
      return `epoch_ms(CAST(${expr} AS TIMESTAMP))`;
    case "integer":
    case "number":
      return `CAST(${expr} AS BIGINT)`;
    default:
      return `epoch_ms(CAST(${expr} AS TIMESTAMP WITH TIME ZONE))`;
  }
}

/** A quoted column reference of a relation alias: `r."name"`. */
export function col(alias: string, name: string): string {
  return `${alias}.${ident(name)}`;
}

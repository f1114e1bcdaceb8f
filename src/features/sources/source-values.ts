import type { SourceColumnKind } from "../../stores/offline-engine.js";
import { toEpochMs } from "../timestamps.js";

/** The kind of a value read from a source whose column types are known only from its rows. */
export function kindOfValue(value: unknown): SourceColumnKind | undefined {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "bigint":
      return "integer";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "object":
      if (value === null) return undefined;
      if (value instanceof Date) return "timestamp";
      if (Array.isArray(value)) return "list";
      if (value instanceof Uint8Array) return "binary";
      return "struct";
    default:
      return value === undefined ? undefined : "other";
  }
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A source value as a feature of JSON Schema type `type` takes it: a bigint (Parquet INT64,
 * DuckDB BIGINT) becomes a number when it is a safe integer; text from a column of kind `text` (a
 * CSV field) or a number a driver hands back as text (PostgreSQL `bigint` and `numeric`) becomes a
 * number, a boolean or JSON data as the type asks; an empty CSV field is null (as DuckDB reads it).
 * Anything else is
 * left as it is, for the view's schema to accept or refuse with its own message.
 */
export function featureValue(value: unknown, type: string, kind: SourceColumnKind): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value !== "string") return value;
  // An empty CSV field is null, as DuckDB reads it, whatever the column's type.
  if (kind === "text" && value === "") return null;
  if (type === "integer" || type === "number") {
    const t = value.trim();
    if (type === "integer" ? INTEGER_TEXT.test(t) : NUMBER_TEXT.test(t)) {
      const n = Number(t);
      if (type === "number" || Number.isSafeInteger(n)) return n;
    }
    return value;
  }
  if (kind !== "text") return value;
  if (type === "boolean") {
    const t = value.trim().toLowerCase();
    if (t === "true" || t === "1") return true;
    if (t === "false" || t === "0") return false;
    return value;
  }
  if (type === "array" || type === "object") {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * A join-key value as its declared type takes it: an `int` key from a bigint or from integer text
 * (PostgreSQL `bigint`, a CSV field) becomes a number; anything else is left for the key check to
 * refuse by name.
 */
export function joinKeyValue(value: unknown, type: "int" | "string"): unknown {
  if (type === "int") {
    if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
    if (typeof value === "string" && INTEGER_TEXT.test(value.trim())) {
      const n = Number(value.trim());
      return Number.isSafeInteger(n) ? n : value;
    }
  }
  return value;
}

const ZONELESS_DATE_TIME = /^[+-]?\d{4,6}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?$/;

/**
 * A time read from a source, as integer epoch ms: a `Date` (Parquet and SQL timestamps), an integer
 * (epoch ms), a bigint, or ISO-8601 text — a date-time without a zone read as UTC, as DuckDB reads
 * such a column. `VALIDATION` at `path` otherwise (`toEpochMs`'s message).
 */
export function sourceTime(value: unknown, path: PropertyKey[]): number {
  if (typeof value === "bigint") return toEpochMs(Number(value), path);
  if (typeof value === "string") {
    const t = value.trim();
    return toEpochMs(ZONELESS_DATE_TIME.test(t) ? `${t}Z` : t, path);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return toEpochMs(Number.isNaN(ms) ? value : Math.floor(ms), path);
  }
  return toEpochMs(value, path);
}

/**
 * A value of an entity-row column read from a source, as the training set carries it: a bigint as a
 * number when safe (else its decimal text), a `Date` as epoch ms, bytes as base64 text.
 */
export function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.getTime();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value === undefined ? null : value;
}

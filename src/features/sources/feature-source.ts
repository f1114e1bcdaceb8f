import { invalid } from "../../core/errors.js";
import { checkString, LIMITS } from "../../core/validation.js";
import type { EngineTable, OfflineEngine, SourceColumn, SqlParam } from "../../stores/offline-engine.js";
import type { SqlRowReader } from "../../stores/sql-row-reader.js";

/** The kinds of feature sources. */
export type SourceKind = "parquet" | "csv" | "sql" | "postgres" | "iterable";

/** What every source takes (Feast's `timestamp_field`, `created_timestamp_column`, `field_mapping`). */
export interface SourceOptions {
  /** The source column with each row's event time (default `event_timestamp`). */
  timestampField?: string;
  /**
   * The source column with each row's created time, which breaks ties between rows of one entity
   * and event time (default none: every row's created time is 0, and the row read last wins a tie).
   */
  createdTimestampField?: string;
  /**
   * Source column → name in the view (a feature or a join key), for columns named otherwise in the
   * source: `{ conv: "conv_rate" }`. The time fields name source columns as they are.
   */
  fieldMapping?: Record<string, string>;
}

/** What a source reads through: the offline store's engine and the workspace's SQL database. */
export interface SourceContext {
  engine?: OfflineEngine;
  sql?: SqlRowReader;
}

/** Options of {@link FeatureSource.read}. */
export interface SourceReadOptions {
  /** Rows per chunk (a Parquet row group is read whole, then handed on in chunks of this size). */
  chunkSize: number;
  /** Rows to pass over first (a resumed materialisation continues after them). */
  skip?: number;
  /** Only these columns, when the source can read fewer (Parquet). */
  columns?: readonly string[];
  signal?: AbortSignal;
}

/** A source as JSON: kept in the view's definition (its `source`), enough to rebuild file and SQL sources. */
export interface SourceSpec {
  kind: SourceKind;
  timestampField: string;
  createdTimestampField?: string;
  fieldMapping?: Record<string, string>;
  /** Parquet and CSV: the file or glob (absolute). */
  path?: string;
  /** CSV: delimiter, quote character, whether the first line names the columns, and the names otherwise. */
  delimiter?: string;
  quote?: string;
  header?: boolean;
  columns?: string[];
  /** SQL and PostgreSQL: the query and its parameters. */
  query?: string;
  params?: SqlParam[];
}

/**
 * Where a feature view's rows come from — Feast's data source. A view applied with a source reads
 * its rows from it: materialisation copies the latest values per entity from it to the online store
 * chunk by chunk, and historical retrieval joins it point in time (in place when the offline store's
 * engine reads it, else read chunk by chunk in JavaScript). Before any row is used, the source's
 * columns are checked against the view: each join key, feature and time field must be there with a
 * type that fits (`VALIDATION` naming the column and the type found).
 *
 * Built by {@link parquetSource}, {@link csvSource}, {@link sqlSource}, {@link postgresSource} and
 * {@link iterableSource}; each also reads entity rows for a training set.
 */
export abstract class FeatureSource {
  abstract readonly kind: SourceKind;
  readonly timestampField: string;
  readonly createdTimestampField?: string;
  readonly fieldMapping: Readonly<Record<string, string>>;
  private readonly reverse = new Map<string, string>();

  constructor(options: SourceOptions = {}) {
    if (typeof options !== "object" || options === null) throw invalid(["options"], "must be an object");
    this.timestampField = columnName("timestampField", options.timestampField ?? "event_timestamp");
    if (options.createdTimestampField !== undefined)
      this.createdTimestampField = columnName("createdTimestampField", options.createdTimestampField);
    const mapping = options.fieldMapping ?? {};
    if (typeof mapping !== "object" || mapping === null || Array.isArray(mapping))
      throw invalid(["fieldMapping"], "must be an object of source column → feature or join-key name");
    for (const [from, to] of Object.entries(mapping)) {
      if (typeof to !== "string" || to === "")
        throw invalid(["fieldMapping", from], "must name a feature or join key of the view");
      if (this.reverse.has(to)) throw invalid(["fieldMapping", from], `two columns are mapped to '${to}'`);
      this.reverse.set(to, from);
    }
    this.fieldMapping = Object.freeze({ ...mapping });
  }

  /** The source column holding `name` (a feature or join key of the view). */
  columnOf(name: string): string {
    return this.reverse.get(name) ?? name;
  }

  /** The name a source column has in the view (its mapping, or its own name). */
  nameOf(column: string): string {
    return this.fieldMapping[column] ?? column;
  }

  /** The options every source shares, as JSON. */
  protected commonSpec(): Pick<SourceSpec, "timestampField" | "createdTimestampField" | "fieldMapping"> {
    return {
      timestampField: this.timestampField,
      ...(this.createdTimestampField !== undefined ? { createdTimestampField: this.createdTimestampField } : {}),
      ...(Object.keys(this.fieldMapping).length > 0 ? { fieldMapping: { ...this.fieldMapping } } : {}),
    };
  }

  /** The source as JSON (see {@link SourceSpec}). */
  abstract spec(): SourceSpec;

  /** The table an engine may read in place; undefined for sources only JavaScript reads. */
  abstract table(context: SourceContext): Promise<EngineTable | undefined>;

  /** The source's columns without reading its rows, when it can tell (undefined: known from the rows). */
  abstract columns(context: SourceContext, signal?: AbortSignal): Promise<SourceColumn[] | undefined>;

  /** The rows as the source gives them (source column names), in chunks. */
  abstract read(context: SourceContext, options: SourceReadOptions): AsyncIterable<Array<Record<string, unknown>>>;

  /** A short description for messages: `parquet source 'data/*.parquet'`. */
  abstract describe(): string;
}

/** A source column's name: any non-empty text (files name columns freely), at most 250 characters. */
export function columnName(what: string, value: unknown): string {
  const name = checkString(what, value, LIMITS.keyLength);
  if (name === "") throw invalid([what], "must not be empty");
  return name;
}

/** True when `value` is a {@link FeatureSource}. */
export function isFeatureSource(value: unknown): value is FeatureSource {
  return value instanceof FeatureSource;
}

/** Reads chunks from an async iterable of rows, passing over the first `skip`, in chunks of `size`. */
export async function* rechunk(
  rows: AsyncIterable<Array<Record<string, unknown>>>,
  size: number,
  skip = 0,
): AsyncIterable<Array<Record<string, unknown>>> {
  let left = skip;
  let chunk: Array<Record<string, unknown>> = [];
  for await (const part of rows) {
    let from = 0;
    if (left > 0) {
      from = Math.min(left, part.length);
      left -= from;
    }
    for (let i = from; i < part.length; i++) {
      chunk.push(part[i]);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

import type { OfflineRow, PointInTimeBatch } from "./offline-store.js";

/**
 * What a column holds, as a source or an engine reports it and the feature store checks it
 * against a view's schema: `text` is untyped text (a CSV field) converted per value by the view's
 * types; `unknown` is a column whose type is not known before its values are read.
 */
export type SourceColumnKind =
  | "integer"
  | "number"
  | "string"
  | "boolean"
  | "timestamp"
  | "date"
  | "list"
  | "struct"
  | "json"
  | "binary"
  | "text"
  | "unknown"
  | "other";

/** One column of a source: its name, its kind and its type as the source names it (`INT64`, `DOUBLE`…). */
export interface SourceColumn {
  name: string;
  kind: SourceColumnKind;
  type: string;
}

/** A parameter of a SQL source's query. */
export type SqlParam = string | number | bigint | boolean | null;

/**
 * A table an engine may read in place: Parquet files (in this order; a glob is expanded by the
 * feature store), CSV files, or a query on the engine's own database.
 */
export type EngineTable =
  | { kind: "parquet"; files: readonly string[] }
  | { kind: "csv"; files: readonly string[]; delimiter: string; quote: string; header: boolean; columns?: string[] }
  | { kind: "sql"; query: string; params: readonly SqlParam[] };

/** A column of an engine table and what it holds. */
export interface EngineColumn {
  /** The column's name in the table. */
  column: string;
  kind: SourceColumnKind;
}

/** The join key of a view as columns of a table: each key's column and declared type, in the view's order. */
export type EngineKeyColumns = ReadonlyArray<EngineColumn & { type: "int" | "string" }>;

/**
 * A feature to read: its name in the view, where it comes from, and the kind the view's schema
 * declares (`integer`, `number`, `string`, `boolean`; anything else travels as JSON), so every
 * engine hands back the values the JavaScript path would.
 */
export interface EngineFeature {
  name: string;
  /** The column of the table holding it (ignored for stored and staged rows: their values are JSON). */
  column: string;
  /** The JSON Schema type of the feature (`integer`, `number`, `string`, `boolean`, or other). */
  type: string;
}

/** A feature view's rows as a table read in place: which column holds what. */
export interface EngineViewTable {
  table: EngineTable;
  keys: EngineKeyColumns;
  eventTime: EngineColumn;
  /** Absent: every row has created time 0 (ties are broken by the order rows are read in). */
  createdTime?: EngineColumn;
  features: readonly EngineFeature[];
}

/** Where a view's rows come from in an engine-built training set. */
export type EngineViewRows =
  /** Read in place. */
  | { kind: "table"; view: EngineViewTable }
  /** The rows the offline store keeps for the view (the engine is that store's). */
  | { kind: "stored"; view: string; features: readonly EngineFeature[] }
  /** Rows the feature store reads itself (a source the engine cannot read), staged into the engine. */
  | { kind: "staged"; rows: AsyncIterable<readonly OfflineRow[]>; features: readonly EngineFeature[] };

/** One view of an engine-built training set. */
export interface EngineTrainingView {
  rows: EngineViewRows;
  ttlMs: number;
  /** The entity columns holding the view's join keys, in the view's order (output names). */
  entityKeys: ReadonlyArray<{ column: string; type: "int" | "string" }>;
  /** The features to add, each under its output column. */
  columns: ReadonlyArray<{ feature: string; column: string }>;
}

/** A training set the engine builds and writes to a Parquet file, never through JavaScript. */
export interface EngineTrainingSetRequest {
  /** The entity rows, read in place. */
  entities: {
    table: EngineTable;
    /** The entity rows' time column. */
    time: EngineColumn;
    /** Every column of the output that comes from the entity rows: output name ← table column. */
    columns: ReadonlyArray<{ name: string; column: string }>;
  };
  views: readonly EngineTrainingView[];
  /** Where to write the Parquet file (the caller removes it). */
  path: string;
  signal?: AbortSignal;
}

/**
 * The optional engine of an offline store: reads sources in place and runs point-in-time joins
 * and training sets as queries, where the feature store would otherwise read rows into
 * JavaScript. `mlcycle/duckdb`'s store has one. Every method keeps the feature store's rules (the
 * latest event time ≤ the entity row's time, within TTL, ties by created time then read order; no
 * match → no values) and hands back values as the JavaScript path would.
 */
export interface OfflineEngine {
  /** A short name for messages (`duckdb`). */
  readonly name: string;
  /** Whether the engine reads this kind of table in place. */
  reads(table: EngineTable): boolean;
  /** The columns of a table as the engine reads it. */
  describe(table: EngineTable, signal?: AbortSignal): Promise<SourceColumn[]>;
  /**
   * A table's rows in chunks of about `chunkSize`, after the first `skip` (in the order the engine
   * reads them), with values as JavaScript values (integers as numbers when safe).
   */
  rows(
    table: EngineTable,
    options: { chunkSize: number; skip?: number; signal?: AbortSignal },
  ): AsyncIterable<Array<Record<string, unknown>>>;
  /** `OfflineStore.pointInTime` against a view's table read in place: values are the features by name. */
  pointInTime(
    view: EngineViewTable,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
  ): AsyncIterable<PointInTimeBatch>;
  /**
   * Builds a training set and writes it to `request.path` as Parquet, rows in the entity rows'
   * order; returns the number of rows written.
   */
  writeTrainingSet(request: EngineTrainingSetRequest): Promise<{ rows: number }>;
  /**
   * Writes rows given in JavaScript to a Parquet file, columns in the given order with the given
   * kinds (`integer`, `number`, `string`, `boolean`; anything else as JSON text).
   */
  writeRows(
    path: string,
    columns: ReadonlyArray<{ name: string; kind: SourceColumnKind }>,
    rows: AsyncIterable<ReadonlyArray<Record<string, unknown>>>,
    signal?: AbortSignal,
  ): Promise<{ rows: number }>;
}

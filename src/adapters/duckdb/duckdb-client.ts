import { MlcycleError } from "../../core/errors.js";

/**
 * A value bound to a statement parameter: text, a number (bound as DOUBLE), a bigint (BIGINT), a
 * boolean or null — the plain JavaScript values `@duckdb/node-api` binds without a wrapper.
 */
export type DuckDBParam = string | number | bigint | boolean | null;

/** One column of a result chunk, read value by value (`DuckDBVector` of `@duckdb/node-api`). */
export interface DuckDBVectorLike {
  getItem(index: number): unknown;
}

/** One chunk of a result (`DuckDBDataChunk`): at most 2,048 rows, read column by column. */
export interface DuckDBChunkLike {
  readonly rowCount: number;
  getColumnVector(columnIndex: number): DuckDBVectorLike;
}

/** A result read chunk by chunk (`DuckDBResult`); a chunk of 0 rows (or null) ends it. */
export interface DuckDBResultLike {
  readonly columnCount: number;
  columnName(columnIndex: number): string;
  fetchChunk(): Promise<DuckDBChunkLike | null>;
}

/** A fully read result (`DuckDBResultReader`). */
export interface DuckDBReaderLike {
  readonly columnCount: number;
  columnName(columnIndex: number): string;
  getRowsJS(): unknown[][];
}

/** The appender of one table (`DuckDBAppender`): values row by row, then `closeSync` flushes them. */
export interface DuckDBAppenderLike {
  appendVarchar(value: string): void;
  appendBigInt(value: bigint): void;
  appendInteger(value: number): void;
  appendDouble(value: number): void;
  appendBoolean(value: boolean): void;
  appendNull(): void;
  endRow(): void;
  flushSync(): void;
  closeSync(): void;
}

/**
 * The subset of a `DuckDBConnection` (`@duckdb/node-api`) the DuckDB adapter calls, typed
 * structurally so that this entry never imports the driver: the caller passes what they built.
 */
export interface DuckDBConnectionLike {
  run(sql: string, values?: DuckDBParam[]): Promise<unknown>;
  runAndReadAll(sql: string, values?: DuckDBParam[]): Promise<DuckDBReaderLike>;
  stream(sql: string, values?: DuckDBParam[]): Promise<DuckDBResultLike>;
  createAppender(table: string, schema?: string | null, catalog?: string | null): Promise<DuckDBAppenderLike>;
  closeSync(): void;
}

/** The subset of a `DuckDBInstance` the adapter calls: it opens connections of its own on it. */
export interface DuckDBInstanceLike {
  connect(): Promise<DuckDBConnectionLike>;
}

/**
 * A driver error as an {@link MlcycleError} with the driver's error as `cause`: `VALIDATION` for a
 * query DuckDB could not bind or parse (a missing file, column or table is the caller's input),
 * `UNAVAILABLE` for I/O and connection failures, `INTERNAL` for anything else.
 */
export function duckdbError(what: string, error: unknown): MlcycleError {
  if (error instanceof MlcycleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = /^(Binder|Parser|Catalog|Conversion|Invalid Input) Error/.test(message)
    ? "VALIDATION"
    : /^(IO|Connection|HTTP|Permission) Error/.test(message)
      ? "UNAVAILABLE"
      : "INTERNAL";
  return new MlcycleError(code, `DuckDB: ${what} failed: ${message}`, { cause: error });
}

/** Checks that `value` looks like a DuckDB instance or connection, naming the option otherwise. */
export function isDuckDBInstance(value: unknown): value is DuckDBInstanceLike {
  return typeof value === "object" && value !== null && typeof (value as DuckDBInstanceLike).connect === "function";
}

/** True when `value` has the connection methods the adapter calls. */
export function isDuckDBConnection(value: unknown): value is DuckDBConnectionLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as DuckDBConnectionLike).runAndReadAll === "function" &&
    typeof (value as DuckDBConnectionLike).stream === "function" &&
    typeof (value as DuckDBConnectionLike).createAppender === "function"
  );
}

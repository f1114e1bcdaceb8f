import type { SourceColumn, SqlParam } from "./offline-engine.js";

/**
 * The workspace's SQL database as SQL feature sources read it: a query's rows in chunks, so a
 * large result never sits whole in memory, and its columns before any row is read. A backend
 * bundle brings one (`sqliteBackend()` does); `sqlSource` queries run on it when the offline store
 * has no engine of its own.
 *
 * @example
 * ```ts
 * for await (const chunk of reader.rows("select * from trips where day = ?", ["2024-01-01"], 10_000)) use(chunk);
 * ```
 */
export interface SqlRowReader {
  /** The database's kind, for messages (`sqlite`, `postgres`). */
  readonly kind: string;
  /** The rows of a parameterised query, in chunks of at most `chunkSize`. */
  rows(query: string, params: readonly SqlParam[], chunkSize: number): AsyncIterable<Array<Record<string, unknown>>>;
  /** Optional: the query's columns, without reading its rows. */
  columns?(query: string, params: readonly SqlParam[]): Promise<SourceColumn[]>;
}

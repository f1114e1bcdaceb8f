import { invalid } from "../core/errors.js";
import type { ScanCursor } from "./feature-registry-store.js";

/**
 * One stored feature row: the values of a view's features for one entity key at one event time.
 * `entityKey` is the view's join-key values encoded by the feature store (see `encodeEntityKey`).
 */
export interface OfflineRow {
  entityKey: string;
  /** When the values were true in the world (epoch ms). */
  eventTime: number;
  /** When the row was written (epoch ms): breaks ties between rows of equal event time. */
  createdTime: number;
  values: Record<string, unknown>;
}

/** Options of {@link OfflineStore.scan}. */
export interface OfflineScanOptions {
  /** Only rows of these entity keys (the store may ignore it when the list is long). */
  keys?: readonly string[];
  /** Only rows with event time > `after` (exclusive, ms). */
  after?: number;
  /** Only rows with event time ≤ `until` (inclusive, ms). */
  until?: number;
  /** Continue after this position (from a page's `cursor`). */
  cursor?: ScanCursor;
  /** Rows per page (default 10,000). */
  pageSize?: number;
}

/** A page of a scan and the position after its last row. */
export interface OfflinePage {
  rows: OfflineRow[];
  /** Pass back as `cursor` to continue after this page. */
  cursor: ScanCursor;
}

/** A batch of {@link OfflineStore.pointInTime} answers: `values[j]` is the match of entity row `indices[j]`. */
export interface PointInTimeBatch {
  indices: ArrayLike<number>;
  /** The matched row's values, or undefined when no row matched. */
  values: ReadonlyArray<Record<string, unknown> | undefined>;
}

/**
 * The offline feature store port: timestamped feature rows kept for point-in-time retrieval,
 * materialisation and statistics.
 *
 * Required: `writeRows`, `scan`, `deleteView`. Scans return rows in (entity key, event time,
 * created time, write order) order — the order a streaming as-of join and materialisation need —
 * in pages, so a caller holds one page at a time. Built-ins: memory and SQL (Kysely; SQLite,
 * PostgreSQL-ready). Checked by `offlineStoreSuite` in `mlcycle/testing`.
 *
 * @example
 * ```ts
 * await offline.writeRows("driver_stats", [{ entityKey: "1", eventTime: 0, createdTime: 0, values: { trips: 3 } }]);
 * for await (const page of offline.scan("driver_stats")) console.log(page.rows.length);
 * ```
 */
export interface OfflineStore {
  /** Stores rows of a view atomically: all of them or, on error, none. */
  writeRows(view: string, rows: readonly OfflineRow[]): Promise<void>;
  /** Pages of a view's rows, ordered by (entity key, event time, created time, write order). */
  scan(view: string, options?: OfflineScanOptions): AsyncIterable<OfflinePage>;
  /**
   * Optional: the point-in-time lookup done inside the store. For each i, the values of the row of
   * key `keys[i]` with the latest (event time, created time, write order) among rows with event time
   * ≤ `times[i]` and, when `ttlMs` > 0, ≥ `times[i] − ttlMs`; undefined when none. Answers come in
   * batches, every i exactly once, in any order: the caller uses each batch before the next is
   * made, so a million matches never live at once. When absent, the feature store joins by merging
   * an ordered `scan`.
   */
  pointInTime?(
    view: string,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
  ): AsyncIterable<PointInTimeBatch>;
  /** Number of stored rows of a view. */
  count(view: string): Promise<number>;
  /** Removes every row of a view. */
  deleteView(view: string): Promise<void>;
  /** Releases what the store opened. */
  close?(): Promise<void>;
}

/** Checks the fields every offline store needs; shared by the built-in stores. */
export function checkOfflineRow(row: OfflineRow, index: number): void {
  if (typeof row.entityKey !== "string") throw invalid([index, "entityKey"], "must be a string");
  if (!Number.isFinite(row.eventTime)) throw invalid([index, "eventTime"], "must be a finite number (epoch ms)");
  if (!Number.isFinite(row.createdTime)) throw invalid([index, "createdTime"], "must be a finite number (epoch ms)");
  if (typeof row.values !== "object" || row.values === null) throw invalid([index, "values"], "must be an object");
}

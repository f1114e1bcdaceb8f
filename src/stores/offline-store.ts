import { invalid, MlcycleError } from "../core/errors.js";
import type { ScanCursor } from "./feature-registry-store.js";
import type { OfflineEngine } from "./offline-engine.js";

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
  /** The matched row's values, or undefined when no row matched. Empty when `columns` is given. */
  values: ReadonlyArray<Record<string, unknown> | undefined>;
  /**
   * The matches by feature instead of as objects, from a store that was asked for `features` and
   * chose to answer so: `matched[j]` is 1 when entity row `indices[j]` matched, and then
   * `byFeature[k][j]` is the matched row's value of `features[k]` (null when it has none).
   */
  columns?: PointInTimeColumns;
}

/** {@link PointInTimeBatch.columns}: the matches of a batch, one array per asked feature. */
export interface PointInTimeColumns {
  matched: ArrayLike<number>;
  byFeature: ReadonlyArray<ArrayLike<unknown>>;
}

/**
 * The offline feature store port: timestamped feature rows kept for point-in-time retrieval,
 * materialisation and statistics.
 *
 * Required: `writeRows`, `scan`, `deleteView`. Scans return rows in (entity key, event time,
 * created time, write order) order — the order a streaming as-of join and materialisation need —
 * in pages, so a caller holds one page at a time. Every store refuses a time that is not an integer
 * within the `Date` range and keeps values as JSON does (`checkOfflineRow`), so all of them give back
 * the same rows. Built-ins: memory and SQL (Kysely; SQLite, and PostgreSQL through `mlcycle/postgres`,
 * its point-in-time lookup in SQL). Checked by `offlineStoreSuite` in `mlcycle/testing`.
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
   * an ordered `scan`. Given `features` (the caller uses only these), a store may answer batches by
   * feature (`columns`) instead of row objects.
   */
  pointInTime?(
    view: string,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
    features?: readonly string[],
  ): AsyncIterable<PointInTimeBatch>;
  /**
   * Optional: an engine that reads feature sources (Parquet, CSV, SQL) in place, joins them point in
   * time and writes training sets to Parquet as queries. Without one, the feature store reads sources
   * into JavaScript, chunk by chunk.
   */
  readonly engine?: OfflineEngine;
  /** Number of stored rows of a view. */
  count(view: string): Promise<number>;
  /** Removes every row of a view. */
  deleteView(view: string): Promise<void>;
  /** Releases what the store opened. */
  close?(): Promise<void>;
}

/**
 * The largest distance from the epoch a feature store keeps a time at, in ms: the range of a `Date`
 * (±8.64e15, about ±275,760 years).
 */
export const MAX_FEATURE_TIME_MS = 8.64e15;

/**
 * Checks an event or created time as every offline and online store keeps it: an integer number of
 * epoch ms within ±{@link MAX_FEATURE_TIME_MS}. Anything else would be stored as something else (a
 * SQL integer column truncates `1.5`) or served as a time no `Date` can show (`1e20`), so it is
 * refused with `VALIDATION` at `path`, as `NaN` and `Infinity` are.
 *
 * @example
 * ```ts
 * checkFeatureTime(1_700_000_000_000, [0, "eventTime"]); // fine
 * checkFeatureTime(1.5, [0, "eventTime"]); // throws VALIDATION
 * ```
 */
export function checkFeatureTime(value: unknown, path: PropertyKey[]): void {
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) <= MAX_FEATURE_TIME_MS) return;
  const shown = typeof value === "number" ? String(value) : typeof value;
  throw invalid(
    path,
    `must be an integer number of epoch ms within ±${MAX_FEATURE_TIME_MS} (the range of a Date), got ${shown}`,
    typeof value === "number" && Number.isInteger(value) ? (value > 0 ? "too_big" : "too_small") : "invalid_type",
  );
}

/**
 * The values of a record as every offline and online store keeps them: JSON text. A store keeps
 * exactly what `JSON.parse` of this text gives back, so the memory stores serve what the SQL
 * stores serve: `-0` reads back as `0`, a member that is `undefined` is dropped, `NaN` becomes
 * `null`, a `Date` its ISO string. A value JSON cannot write (a bigint, a cycle) is `VALIDATION` at
 * `path`. (The feature store refuses the lossy cases before they get here; this keeps a direct
 * caller's writes identical across stores.)
 *
 * @example
 * ```ts
 * JSON.parse(featureValuesJson({ a: -0, b: undefined }, [0, "values"])); // { a: 0 }
 * ```
 */
export function featureValuesJson(values: unknown, path: PropertyKey[]): string {
  if (typeof values !== "object" || values === null) throw invalid(path, "must be an object");
  try {
    return JSON.stringify(values);
  } catch (error) {
    const e = invalid(path, `cannot be stored as JSON: ${(error as Error).message}`);
    throw new MlcycleError(e.code, e.message, { issues: e.issues, cause: error });
  }
}

/**
 * Checks the fields every offline store needs (times by {@link checkFeatureTime}) and returns the
 * row's values as the JSON text to keep ({@link featureValuesJson}); shared by the built-in stores.
 */
export function checkOfflineRow(row: OfflineRow, index: number): string {
  if (typeof row.entityKey !== "string") throw invalid([index, "entityKey"], "must be a string");
  checkFeatureTime(row.eventTime, [index, "eventTime"]);
  checkFeatureTime(row.createdTime, [index, "createdTime"]);
  return featureValuesJson(row.values, [index, "values"]);
}

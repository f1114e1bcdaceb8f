import { invalid } from "../core/errors.js";
import { supersedes } from "./newest-wins.js";
import { checkFeatureTime, featureValuesJson } from "./offline-store.js";

/** The latest feature values of one entity key in one view, as the online store keeps them. */
export interface OnlineRecord {
  /** Event time of the values (epoch ms): the freshness of the record. */
  eventTime: number;
  /** When the values were written to the offline store or pushed (epoch ms). */
  createdTime: number;
  values: Record<string, unknown>;
}

/** One record to write: an {@link OnlineRecord} with its entity key. */
export interface OnlineWrite extends OnlineRecord {
  entityKey: string;
}

/**
 * The online feature store port: the latest values per (view, entity key), read at serving time.
 *
 * Required: `write`, `read`, `deleteView`. A write never replaces a newer record: a record is kept
 * unless the incoming one has a later event time, or the same event time and a created time at
 * least as late — so replays and out-of-order writes are harmless. Times and values follow the
 * offline store's rules (`checkOnlineWrite`: integer epoch ms within the `Date` range, values kept as
 * JSON does). TTL is checked by the feature store on read, so every backend honours it. Built-ins:
 * memory and SQLite; Redis in `mlcycle/redis`. Checked by `onlineStoreSuite` in `mlcycle/testing`.
 *
 * @example
 * ```ts
 * await online.write("driver_stats", [{ entityKey: "1", eventTime: t, createdTime: t, values: { trips: 3 } }]);
 * const [rec] = await online.read("driver_stats", ["1"]);
 * ```
 */
export interface OnlineStore {
  /** Writes records (newer-wins per key); returns how many were applied. */
  write(view: string, records: readonly OnlineWrite[]): Promise<number>;
  /** The records of the given keys, in the same order (undefined when absent). */
  read(view: string, entityKeys: readonly string[]): Promise<Array<OnlineRecord | undefined>>;
  /**
   * Optional: the same as `read`, synchronously — for stores whose reads do not wait on I/O (an
   * in-process map, an embedded SQLite). The feature store uses it on its hot path when present.
   */
  readSync?(view: string, entityKeys: readonly string[]): Array<OnlineRecord | undefined>;
  /** Removes every record of a view. */
  deleteView(view: string): Promise<void>;
  /** Releases what the store opened. */
  close?(): Promise<void>;
}

/** True when `incoming` should replace `current` (newer event time, or same and created no earlier: {@link supersedes}). */
export function isNewerRecord(incoming: OnlineRecord, current: OnlineRecord | undefined): boolean {
  return !current || supersedes(incoming.eventTime, incoming.createdTime, current.eventTime, current.createdTime);
}

/**
 * Checks the fields every online store needs (times by {@link checkFeatureTime}) and returns the
 * record's values as the JSON text to keep ({@link featureValuesJson}); shared by the built-in stores.
 */
export function checkOnlineWrite(w: OnlineWrite, index: number): string {
  if (typeof w.entityKey !== "string") throw invalid([index, "entityKey"], "must be a string");
  checkFeatureTime(w.eventTime, [index, "eventTime"]);
  checkFeatureTime(w.createdTime, [index, "createdTime"]);
  return featureValuesJson(w.values, [index, "values"]);
}

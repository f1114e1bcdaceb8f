import { closedError, invalid, isMlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import type { OfflineRow, OfflineStore } from "../stores/offline-store.js";
import { isNewerRecord, type OnlineStore, type OnlineWrite } from "../stores/online-store.js";
import { throwIfCancelled } from "./cancellation.js";
import type { FeatureEvents } from "./feature-events.js";
import { chunked, type ResolvedView, type RowSource, toOfflineRows } from "./rows.js";

/** Where {@link writeFeatureRows} writes and what it reports to. */
export interface FeatureRowWrite {
  /** Validated rows are stored here when given (and `features.ingested` is emitted for them). */
  offline?: OfflineStore;
  /** The newest row per entity key of each chunk is written here when given. */
  online?: OnlineStore;
  /** Rows validated and written per chunk. */
  chunkSize: number;
  /** The created time of rows that carry none. */
  now: () => number;
  events: EventBus<FeatureEvents>;
  /** Resolves the view (after `chunkSize` is checked, so a bad option is reported first). */
  resolveView: (name: string) => Promise<ResolvedView>;
  signal?: AbortSignal;
  /** What the caller is doing, for the cancellation message (e.g. `ingestion into 'driver_stats'`). */
  what: string;
  /** True once the feature store is closed: the next chunk is then refused with the closed error. */
  closed?: () => boolean;
}

/**
 * The one loop of `ingest` and `push`: reads rows chunk by chunk (memory holds one chunk),
 * validates each chunk whole, then stores it offline and/or applies its newest row per key online.
 *
 * A bad row fails its whole chunk: `VALIDATION` with the row's index in the input and zod's issues;
 * nothing of that chunk is stored, the chunks before it are (`details.storedRows` says how many
 * rows). `features.ingested` is emitted once for the rows that reached the offline store, whether
 * or not a later chunk failed.
 */
export async function writeFeatureRows(
  viewName: string,
  rows: RowSource<Record<string, unknown>>,
  target: FeatureRowWrite,
): Promise<{ rows: number; chunks: number; online: number }> {
  const { offline, online, chunkSize, signal, what } = target;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw invalid(["chunkSize"], "must be a positive integer");
  const view = await target.resolveView(viewName);
  const name = view.def.name;
  throwIfCancelled(signal, what);
  let stored = 0;
  let chunks = 0;
  let applied = 0;
  const reportStored = () => {
    if (offline && stored > 0) target.events.emit("features.ingested", { view: name, rows: stored });
  };
  try {
    for await (const chunk of chunked(rows, chunkSize)) {
      throwIfCancelled(signal, what);
      if (target.closed?.()) throw closedError();
      const offlineRows = toOfflineRows(view, chunk, stored, target.now());
      if (offline) await offline.writeRows(name, offlineRows);
      if (online) applied += await online.write(name, latestPerKey(offlineRows));
      stored += chunk.length;
      chunks++;
    }
  } catch (error) {
    if (isMlcycleError(error)) error.details.storedRows = stored;
    reportStored();
    throw error;
  }
  reportStored();
  return { rows: stored, chunks, online: applied };
}

/** The newest row per entity key, by the online stores' own newest-wins rule. */
export function latestPerKey(rows: readonly OfflineRow[]): OnlineWrite[] {
  const latest = new Map<string, OfflineRow>();
  for (const r of rows) {
    if (isNewerRecord(r, latest.get(r.entityKey))) latest.set(r.entityKey, r);
  }
  return [...latest.values()].map((r) => ({
    entityKey: r.entityKey,
    eventTime: r.eventTime,
    createdTime: r.createdTime,
    values: r.values,
  }));
}

import { invalid } from "../../core/errors.js";
import {
  checkOfflineRow,
  type OfflinePage,
  type OfflineRow,
  type OfflineScanOptions,
  type OfflineStore,
} from "../offline-store.js";

interface StoredRow extends OfflineRow {
  seq: number;
}

interface ViewRows {
  byKey: Map<string, StoredRow[]>;
  /** Keys in scan order; rebuilt lazily after a write adds a key. */
  sortedKeys?: string[];
  seq: number;
  count: number;
}

interface Cursor {
  k: string;
  e: number;
  c: number;
  s: number;
}

const cmpRow = (a: StoredRow, b: { eventTime: number; createdTime: number; seq: number }) =>
  a.eventTime - b.eventTime || a.createdTime - b.createdTime || a.seq - b.seq;

/**
 * The in-memory {@link OfflineStore}: the reference implementation. Rows are kept per view and
 * entity key, sorted by event time, created time and write order; values are kept as JSON does
 * (`-0` reads back as `0`, an `undefined` member is dropped), exactly as the SQL store gives them.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ offline: memoryOfflineStore() });
 * ```
 */
export class MemoryOfflineStore implements OfflineStore {
  private readonly views = new Map<string, ViewRows>();

  async writeRows(view: string, rows: readonly OfflineRow[]): Promise<void> {
    // Every row is checked before any is kept: a bad row stores nothing of its batch.
    const texts = rows.map(checkOfflineRow);
    let v = this.views.get(view);
    if (!v) this.views.set(view, (v = { byKey: new Map(), seq: 0, count: 0 }));
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const stored: StoredRow = {
        entityKey: r.entityKey,
        eventTime: r.eventTime,
        createdTime: r.createdTime,
        // Kept as the SQL store keeps them (JSON text, parsed), so both serve the same values.
        values: deepFreeze(JSON.parse(texts[i]) as Record<string, unknown>),
        seq: ++v.seq,
      };
      let list = v.byKey.get(r.entityKey);
      if (!list) {
        v.byKey.set(r.entityKey, (list = []));
        v.sortedKeys = undefined;
      }
      // Rows mostly arrive in time order: append, else insert at the sorted position.
      if (list.length === 0 || cmpRow(list[list.length - 1], stored) <= 0) list.push(stored);
      else list.splice(upperBound(list, stored), 0, stored);
      v.count++;
    }
  }

  async *scan(view: string, options: OfflineScanOptions = {}): AsyncIterable<OfflinePage> {
    const v = this.views.get(view);
    if (!v) return;
    const pageSize = options.pageSize ?? 10_000;
    if (!(pageSize > 0)) throw invalid(["pageSize"], "must be positive");
    v.sortedKeys ??= [...v.byKey.keys()].sort();
    let keys = v.sortedKeys;
    if (options.keys) {
      const wanted = new Set(options.keys);
      keys = keys.filter((k) => wanted.has(k));
    }
    const cursor = options.cursor === undefined ? undefined : parseCursor(options.cursor);
    let ki = cursor ? lowerBoundKey(keys, cursor.k) : 0;
    let page: OfflineRow[] = [];
    let last: Cursor | undefined = cursor;
    for (; ki < keys.length; ki++) {
      const list = v.byKey.get(keys[ki]) ?? [];
      let ri = 0;
      if (cursor && keys[ki] === cursor.k)
        ri = upperBound(list, { eventTime: cursor.e, createdTime: cursor.c, seq: cursor.s });
      for (; ri < list.length; ri++) {
        const r = list[ri];
        if (options.after !== undefined && r.eventTime <= options.after) continue;
        if (options.until !== undefined && r.eventTime > options.until) break;
        // Values are deeply frozen on write: pages share them instead of copying.
        page.push({ entityKey: r.entityKey, eventTime: r.eventTime, createdTime: r.createdTime, values: r.values });
        last = { k: r.entityKey, e: r.eventTime, c: r.createdTime, s: r.seq };
        if (page.length >= pageSize) {
          yield { rows: page, cursor: JSON.stringify(last) };
          page = [];
        }
      }
    }
    if (page.length > 0 && last) yield { rows: page, cursor: JSON.stringify(last) };
  }

  async count(view: string): Promise<number> {
    return this.views.get(view)?.count ?? 0;
  }

  async deleteView(view: string): Promise<void> {
    this.views.delete(view);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** First index whose row sorts after `probe`. */
function upperBound(list: StoredRow[], probe: { eventTime: number; createdTime: number; seq: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmpRow(list[mid], probe) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is ≥ `key`. */
function lowerBoundKey(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function parseCursor(text: string): Cursor {
  try {
    const c = JSON.parse(text) as Cursor;
    if (typeof c.k === "string" && [c.e, c.c, c.s].every(Number.isFinite)) return c;
  } catch {}
  throw invalid(["cursor"], "is not a cursor returned by this store");
}

/**
 * A new in-memory offline store.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ offline: memoryOfflineStore() });
 * ```
 */
export function memoryOfflineStore(): OfflineStore {
  return new MemoryOfflineStore();
}

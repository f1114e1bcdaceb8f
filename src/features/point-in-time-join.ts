import { MlcycleError } from "../core/errors.js";
import type { OfflinePage, OfflineRow } from "../stores/offline-store.js";

/**
 * Entity rows to join, grouped by entity key: for each key, the indices of its rows sorted by time
 * (ties keep input order).
 */
export type JoinQueries = Map<string, number[]>;

/** Groups row indices by key and sorts each group by time. */
export function groupQueries(keys: readonly string[], times: Float64Array): JoinQueries {
  const groups: JoinQueries = new Map();
  for (let i = 0; i < keys.length; i++) {
    const g = groups.get(keys[i]);
    if (g) g.push(i);
    else groups.set(keys[i], [i]);
  }
  for (const g of groups.values()) {
    let sorted = true;
    for (let j = 1; j < g.length && sorted; j++) sorted = times[g[j - 1]] <= times[g[j]];
    if (!sorted) g.sort((a, b) => times[a] - times[b] || a - b);
  }
  return groups;
}

/**
 * The point-in-time (as-of) join as one streaming merge: `pages` yields a view's rows ordered by
 * (entity key, event time, created time, write order); for each entity row, `out[index]` becomes
 * the values of the last feature row of the same key with event time ≤ the row's time — so among
 * equal event times the latest created — kept only when its event time ≥ time − `ttlMs` (`ttlMs` >
 * 0); else it stays undefined. Memory: the queries plus one page.
 *
 * Keys only need to be contiguous in the stream, not sorted in any particular collation, so the
 * merge works with whatever text order a store has.
 */
export async function asOfJoin(
  pages: AsyncIterable<OfflinePage>,
  queries: JoinQueries,
  times: Float64Array,
  ttlMs: number,
  out: Array<Record<string, unknown> | undefined>,
  signal?: AbortSignal,
): Promise<void> {
  let key: string | undefined;
  let group: number[] | undefined;
  let p = 0;
  let last: OfflineRow | undefined;
  const seen = new Set<string>();

  const assign = (index: number) => {
    if (last === undefined) return;
    if (ttlMs > 0 && last.eventTime < times[index] - ttlMs) return;
    out[index] = last.values;
  };
  const finishKey = () => {
    if (group) for (; p < group.length; p++) assign(group[p]);
  };

  for await (const page of pages) {
    if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
    for (const row of page.rows) {
      if (row.entityKey !== key) {
        finishKey();
        key = row.entityKey;
        if (seen.has(key))
          throw new MlcycleError(
            "INTERNAL",
            `the offline store returned rows of key ${key} in two runs; scans must group keys`,
          );
        seen.add(key);
        group = queries.get(key);
        p = 0;
        last = undefined;
      }
      if (!group) continue;
      const t = row.eventTime;
      while (p < group.length && times[group[p]] < t) assign(group[p++]);
      if (p >= group.length) continue;
      last = row;
    }
  }
  finishKey();
}

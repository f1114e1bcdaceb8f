import { MlcycleError } from "../../core/errors.js";
import { groupQueries } from "../point-in-time-join.js";
import type { SourceChunk } from "./source-rows.js";

/** The entity rows of one key: their indices and times, sorted by time, and the best row found for each. */
interface KeySlots {
  indices: number[];
  times: Float64Array;
  event: Float64Array;
  created: Float64Array;
  order: Float64Array;
  values: Array<Record<string, unknown> | undefined>;
}

/**
 * The point-in-time join over rows in no particular order (a file, a query, a stream): for each
 * entity row, the values of the row of its key with the latest (event time, created time, read
 * order) among rows with event time ≤ the entity row's time, kept when within the TTL — the rule
 * every offline store applies, without sorting the source.
 *
 * A source row is a candidate for every entity row of its key at or after its event time, a suffix
 * of that key's entity rows sorted by time. So each row is kept only at the first entity row of its
 * suffix, when it beats what is there; once every row has been seen, a running maximum along each
 * key's entity rows gives each its answer. Memory: a few numbers per entity row plus one chunk of
 * the source. Writes `out[i]` for the matched entity rows.
 */
export async function sourcePointInTime(
  chunks: AsyncIterable<SourceChunk>,
  keys: readonly string[],
  times: Float64Array,
  ttlMs: number,
  out: Array<Record<string, unknown> | undefined>,
  signal?: AbortSignal,
): Promise<void> {
  const slots = new Map<string, KeySlots>();
  for (const [key, indices] of groupQueries(keys, times)) {
    const n = indices.length;
    const t = new Float64Array(n);
    for (let j = 0; j < n; j++) t[j] = times[indices[j]];
    slots.set(key, {
      indices,
      times: t,
      event: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
      created: new Float64Array(n),
      order: new Float64Array(n),
      values: new Array(n),
    });
  }
  let order = 0;
  for await (const { rows } of chunks) {
    if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
    for (const row of rows) {
      order++;
      const s = slots.get(row.entityKey);
      if (!s) continue;
      const e = row.eventTime;
      // The first entity row at or after the row's event time.
      let lo = 0;
      let hi = s.times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s.times[mid] < e) lo = mid + 1;
        else hi = mid;
      }
      if (lo === s.times.length) continue;
      const c = row.createdTime;
      if (
        e > s.event[lo] ||
        (e === s.event[lo] && (c > s.created[lo] || (c === s.created[lo] && order > s.order[lo])))
      ) {
        s.event[lo] = e;
        s.created[lo] = c;
        s.order[lo] = order;
        s.values[lo] = row.values;
      }
    }
  }
  for (const s of slots.values()) {
    let best = -1;
    for (let j = 0; j < s.indices.length; j++) {
      if (s.values[j] !== undefined) {
        const better =
          best < 0 ||
          s.event[j] > s.event[best] ||
          (s.event[j] === s.event[best] &&
            (s.created[j] > s.created[best] || (s.created[j] === s.created[best] && s.order[j] > s.order[best])));
        if (better) best = j;
      }
      if (best < 0) continue;
      if (ttlMs > 0 && s.event[best] < s.times[j] - ttlMs) continue;
      out[s.indices[j]] = s.values[best];
    }
  }
}

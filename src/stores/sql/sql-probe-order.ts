/** Point-in-time probes grouped by key, keys ascending, with what a lookup reads at each position. */
export interface ProbeGroups {
  /** The probe indices, grouped by key, keys ascending (a key's probes in input order). */
  order: Int32Array;
  /** The distinct keys, ascending. */
  keys: string[];
  /** For each position of `order`, the index in `keys` of its probe's key. */
  keyAt: Int32Array;
  /** For each position of `order`, its probe's time rounded down. */
  timeAt: Float64Array;
}

/**
 * Point-in-time probes grouped by key, keys in ascending order: consecutive probes then walk the
 * table's (view, key, time) order forward, each descent landing on pages the previous one just read
 * (sorting only the distinct keys; the order is a locality choice, any order gives the same
 * answer). Each probe's key and time are written in that order in the same pass that places it, so
 * a lookup reads them in sequence instead of through `order`. Shared by the SQLite and PostgreSQL
 * lookups.
 *
 * @example
 * ```ts
 * probeGroups(["b", "a", "b"], [1, 2, 3.5]);
 * // { order: [1, 0, 2], keys: ["a", "b"], keyAt: [0, 1, 1], timeAt: [2, 1, 3] }
 * ```
 */
export function probeGroups(keys: readonly string[], times: ArrayLike<number>): ProbeGroups {
  const ids = new Map<string, number>();
  const idOf = new Int32Array(keys.length);
  const distinct: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    let id = ids.get(keys[i]);
    if (id === undefined) {
      id = distinct.length;
      ids.set(keys[i], id);
      distinct.push(keys[i]);
    }
    idOf[i] = id;
  }
  // Counting sort by the rank of each key: stable, so a key's probes keep their input order.
  const byKey = distinct.map((_, id) => id).sort((a, b) => (distinct[a] < distinct[b] ? -1 : 1));
  const rank = new Int32Array(distinct.length);
  for (let r = 0; r < byKey.length; r++) rank[byKey[r]] = r;
  const next = new Int32Array(distinct.length + 1);
  for (let i = 0; i < keys.length; i++) next[rank[idOf[i]] + 1]++;
  for (let r = 1; r <= distinct.length; r++) next[r] += next[r - 1];
  const order = new Int32Array(keys.length);
  const keyAt = new Int32Array(keys.length);
  const timeAt = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const r = rank[idOf[i]];
    const at = next[r]++;
    order[at] = i;
    keyAt[at] = r;
    timeAt[at] = Math.floor(times[i]);
  }
  return { order, keys: byKey.map((id) => distinct[id]), keyAt, timeAt };
}

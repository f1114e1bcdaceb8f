/**
 * Indices of point-in-time probes grouped by key, keys in ascending order: consecutive probes then
 * walk the table's (view, key, time) order forward, each descent landing on pages the previous one
 * just read (sorting only the distinct keys; the order is a locality choice, any order gives the
 * same answer). Shared by the SQLite and PostgreSQL lookups.
 *
 * @example
 * ```ts
 * probeOrder(["b", "a", "b"]); // Int32Array [1, 0, 2]
 * ```
 */
export function probeOrder(keys: readonly string[]): Int32Array {
  return probeGroups(keys).order;
}

/** {@link probeOrder} with what a lookup reads of each position: its key (by index) and its time. */
export interface ProbeGroups {
  /** The probe indices, grouped by key, keys ascending. */
  order: Int32Array;
  /** The distinct keys, ascending. */
  keys: string[];
  /** For each position of `order`, the index in `keys` of its probe's key. */
  keyAt: Int32Array;
  /** For each position of `order`, its probe's time rounded down (given `times`; else empty). */
  timeAt: Float64Array;
}

/**
 * The probe order of {@link probeOrder}, and the keys and times in that order, written in the same
 * pass that places each probe: a lookup then reads them in sequence instead of through `order`.
 */
export function probeGroups(keys: readonly string[], times?: ArrayLike<number>): ProbeGroups {
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
  const timeAt = new Float64Array(times ? keys.length : 0);
  for (let i = 0; i < keys.length; i++) {
    const r = rank[idOf[i]];
    const at = next[r]++;
    order[at] = i;
    keyAt[at] = r;
    if (times) timeAt[at] = Math.floor(times[i]);
  }
  return { order, keys: byKey.map((id) => distinct[id]), keyAt, timeAt };
}

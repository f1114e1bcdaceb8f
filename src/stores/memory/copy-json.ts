/**
 * A deep copy of a JSON-like value (plain objects, arrays, primitives), made by hand, which costs
 * far less than `structuredClone` per record; anything else (a Date in params…) goes through
 * `structuredClone`. The memory pipeline and lineage stores copy records in and out with it, so
 * that a caller cannot change what is stored.
 */
export function copyJson<T>(v: T): T {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyJson(v[i]);
    return out as T;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  // A plain object's prototype (Object.prototype or none) has no enumerable keys: for…in lists
  // its own keys without the array Object.keys builds.
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    out[k] = typeof x !== "object" || x === null ? x : copyJson(x);
  }
  return out as T;
}

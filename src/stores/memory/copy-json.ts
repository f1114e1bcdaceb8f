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
  // A shallow copy by spread (V8 clones the object's shape at once), then the nested values are
  // replaced by copies: writing a field the copy already has keeps its shape. A plain object's
  // prototype (Object.prototype or none) has no enumerable keys: for…in lists its own keys.
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  for (const k in out) {
    const x = out[k];
    if (typeof x === "object" && x !== null) out[k] = copyJson(x);
  }
  return out as T;
}

import * as crypto from "node:crypto";

// Node ≥ 21.7 (and 20.12) has a one-shot `crypto.hash`: no Hash object per call.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/**
 * JSON with object keys sorted at every depth, so equal values give equal text whatever the key
 * order. `undefined` members are dropped as in `JSON.stringify`; non-finite numbers, bigints,
 * `Date`s and typed arrays get tagged stable forms so that they hash distinctly.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (Number.isFinite(value)) return Object.is(value, -0) ? "0" : JSON.stringify(value);
      return JSON.stringify({ $number: String(value) });
    case "bigint":
      return JSON.stringify({ $bigint: value.toString() });
    case "undefined":
    case "function":
    case "symbol":
      return "null";
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError("canonicalJson: value has a cycle");
  seen.add(obj);
  try {
    if (obj instanceof Date) return JSON.stringify({ $date: obj.toISOString() });
    if (ArrayBuffer.isView(obj)) {
      const bytes = new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
      return JSON.stringify({ $bytes: obj.constructor.name, sha256: sha256(bytes) });
    }
    if (Array.isArray(obj)) return `[${obj.map((v) => write(v, seen)).join(",")}]`;
    if (obj instanceof Map) {
      const entries = [...obj.entries()].map(([k, v]) => [canonicalJson(k), write(v, seen)] as const);
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return `{"$map":[${entries.map(([k, v]) => `[${k},${v}]`).join(",")}]}`;
    }
    if (obj instanceof Set) {
      const items = [...obj].map((v) => write(v, seen)).sort();
      return `{"$set":[${items.join(",")}]}`;
    }
    const withToJson = obj as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === "function") return write(withToJson.toJSON(), seen);
    const keys = Object.keys(obj).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      parts.push(`${JSON.stringify(k)}:${write(v, seen)}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(obj);
  }
}

/** Hex sha256 of bytes or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): string {
  if (typeof data === "string" && oneShot) return oneShot("sha256", data, "hex");
  return crypto.createHash("sha256").update(data).digest("hex");
}

/**
 * Hex sha256 of a value's {@link canonicalJson}: stable under key order.
 *
 * @example
 * ```ts
 * hashValue({ a: 1, b: 2 }) === hashValue({ b: 2, a: 1 }); // true
 * ```
 */
export function hashValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

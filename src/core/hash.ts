import * as crypto from "node:crypto";
import { MlcycleError } from "./errors.js";

// Node ≥ 21.7 (and 20.12) has a one-shot `crypto.hash`: no Hash object per call.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/** The deepest nesting {@link canonicalJson} writes (arrays, objects, maps and sets). */
export const CANONICAL_JSON_MAX_DEPTH = 1000;

/**
 * JSON with object keys sorted at every depth, so equal values give equal text whatever the key
 * order. `undefined` members are dropped as in `JSON.stringify`; non-finite numbers, bigints,
 * `Date`s and typed arrays get tagged stable forms so that they hash distinctly (`{"$bigint":"12"}`:
 * a form for hashing, not for storing a value to read back).
 *
 * A value holding a cycle, or nested more than {@link CANONICAL_JSON_MAX_DEPTH} levels deep, is a
 * `VALIDATION` {@link MlcycleError} naming the path where it happens (never a stack overflow).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, { seen: new Set(), path: [] });
}

interface Walk {
  /** The objects being written, from the root down: meeting one again is a cycle. */
  seen: Set<object>;
  /** Where the walk is, for error messages. */
  path: PropertyKey[];
}

function pathText(path: readonly PropertyKey[]): string {
  let out = "(root)";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  return out;
}

function child(value: unknown, key: PropertyKey, walk: Walk): string {
  walk.path.push(key);
  const text = write(value, walk);
  walk.path.pop();
  return text;
}

function write(value: unknown, walk: Walk): string {
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
  const { seen, path } = walk;
  if (seen.has(obj))
    throw new MlcycleError(
      "VALIDATION",
      `the value has a cycle: ${pathText(path)} refers back to one of its ancestors`,
      {
        issues: [{ code: "cycle", path: [...path], message: "refers back to one of its ancestors (a cycle)" }],
      },
    );
  if (seen.size >= CANONICAL_JSON_MAX_DEPTH)
    throw new MlcycleError(
      "VALIDATION",
      `the value is nested more than ${CANONICAL_JSON_MAX_DEPTH} levels deep (at ${pathText(path.slice(0, 8))}…)`,
      {
        issues: [
          {
            code: "too_big",
            path: path.slice(0, 8),
            message: `nested more than ${CANONICAL_JSON_MAX_DEPTH} levels deep`,
          },
        ],
      },
    );
  seen.add(obj);
  try {
    if (obj instanceof Date) return JSON.stringify({ $date: obj.toISOString() });
    if (ArrayBuffer.isView(obj)) {
      const bytes = new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
      return JSON.stringify({ $bytes: obj.constructor.name, sha256: sha256(bytes) });
    }
    if (Array.isArray(obj)) return `[${obj.map((v, i) => child(v, i, walk)).join(",")}]`;
    if (obj instanceof Map) {
      const entries = [...obj.entries()].map(
        ([k, v], i) => [child(k, `$map[${i}].key`, walk), child(v, `$map[${i}].value`, walk)] as const,
      );
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return `{"$map":[${entries.map(([k, v]) => `[${k},${v}]`).join(",")}]}`;
    }
    if (obj instanceof Set) {
      const items = [...obj].map((v, i) => child(v, `$set[${i}]`, walk)).sort();
      return `{"$set":[${items.join(",")}]}`;
    }
    const withToJson = obj as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === "function") return write(withToJson.toJSON(), walk);
    const keys = Object.keys(obj).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      parts.push(`${JSON.stringify(k)}:${child(v, k, walk)}`);
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

import { deserialize as v8Deserialize, serialize as v8Serialize } from "node:v8";
import { MlcycleError } from "../core/errors.js";

/**
 * Turns a step output into bytes for the artifact store and back. `id` names the format (and its
 * version): it is part of the cache key and stored with each output, so outputs stay readable.
 *
 * @example
 * ```ts
 * const csv: Serializer<string[][]> = { id: "csv@1",
 *   serialize: (rows) => new TextEncoder().encode(rows.map((r) => r.join(",")).join("\n")),
 *   deserialize: (b) => new TextDecoder().decode(b).split("\n").map((l) => l.split(",")) };
 * ```
 */
export interface Serializer<T = unknown> {
  readonly id: string;
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

/** JSON text (UTF-8). */
export const jsonSerializer: Serializer<unknown> = {
  id: "json@1",
  serialize: (v) => new TextEncoder().encode(JSON.stringify(v)),
  deserialize: (b) => JSON.parse(new TextDecoder().decode(b)),
};

/** Raw bytes, for `Uint8Array` outputs. */
export const bytesSerializer: Serializer<Uint8Array> = {
  id: "bytes@1",
  serialize: (v) => v,
  deserialize: (b) => b,
};

/**
 * Node's structured serialization (`node:v8`): typed arrays, Maps, Sets, Dates and nested mixes of
 * them and plain data. The default for outputs that are not plain JSON.
 */
export const structuredSerializer: Serializer<unknown> = {
  id: "v8@1",
  serialize: (v) => new Uint8Array(v8Serialize(v)),
  deserialize: (b) => v8Deserialize(b),
};

const builtins = new Map<string, Serializer<any>>(
  [jsonSerializer, bytesSerializer, structuredSerializer].map((s) => [s.id, s]),
);

/** A built-in serializer by id, or undefined. */
export function builtinSerializer(id: string): Serializer<any> | undefined {
  return builtins.get(id);
}

/** The serializer id used in cache keys when a step declares none. */
export const AUTO_SERIALIZER = "auto@1";

/** True when `v` survives `JSON.stringify` / `JSON.parse` unchanged (plain data, finite numbers). */
export function isPlainJson(v: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) {
    for (const x of v) if (!isPlainJson(x, depth + 1)) return false;
    return true;
  }
  if (typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const x of Object.values(v as object)) if (x === undefined || !isPlainJson(x, depth + 1)) return false;
    return true;
  }
  return false;
}

/** Picks a built-in serializer for a value: bytes for `Uint8Array`, JSON for plain data, v8 otherwise. */
export function chooseSerializer(value: unknown): Serializer<any> {
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return bytesSerializer;
  if (isPlainJson(value)) return jsonSerializer;
  return structuredSerializer;
}

/** Throws a clear error for an unknown serializer id. */
export function unknownSerializer(id: string): MlcycleError {
  return new MlcycleError(
    "NOT_FOUND",
    `serializer '${id}' is unknown here: register the pipeline whose step declares it (ws.pipelines.register)`,
  );
}

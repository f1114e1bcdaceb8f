import { toWellFormed } from "../core/validation.js";

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "string") return toWellFormed(value);
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<unknown>, (x) =>
      typeof x === "bigint" ? (Number.isSafeInteger(Number(x)) ? Number(x) : x.toString()) : x,
    );
  return value;
}

function isBinary(v: unknown): boolean {
  return ArrayBuffer.isView(v);
}

/**
 * Whether typed arrays may sit where models put them — the value itself, the first row of an array,
 * a member of a record or its first row — so the plain (fast) `JSON.stringify` would write them as
 * objects of indices.
 */
function mayHoldBinary(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) return value.length > 0 && isBinary(value[0]);
  for (const k in value) {
    const member = (value as Record<string, unknown>)[k];
    if (isBinary(member) || (Array.isArray(member) && member.length > 0 && isBinary(member[0]))) return true;
  }
  return false;
}

/**
 * The JSON text of a model's inputs or outputs as the prediction log and batch predictions keep
 * them: typed arrays become arrays, bigints numbers (strings beyond 2^53), NaN and ±Infinity null,
 * unpaired surrogates U+FFFD. Undefined when the value cannot be JSON (a cycle, or `undefined`).
 */
export function jsonText(value: unknown): string | undefined {
  if (!mayHoldBinary(value)) {
    try {
      const text = JSON.stringify(value);
      // An unpaired surrogate is the only thing written as `\ud8..`-`\udf..`: redone with the replacer.
      if (text === undefined || !text.includes("\\ud")) return text;
    } catch {
      // A bigint: written by the replacer below.
    }
  }
  try {
    return JSON.stringify(value, replacer);
  } catch {
    return undefined;
  }
}

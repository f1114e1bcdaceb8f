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

/**
 * The JSON text of a model's inputs or outputs as the prediction log and batch predictions keep
 * them: typed arrays become arrays, bigints numbers (strings beyond 2^53), NaN and ±Infinity null,
 * unpaired surrogates U+FFFD. Undefined when the value cannot be JSON (a cycle, or `undefined`).
 */
export function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, replacer);
  } catch {
    return undefined;
  }
}

import { invalid } from "../core/errors.js";

/** A point in time as the feature store accepts it: a `Date`, epoch milliseconds, or an ISO-8601 string. */
export type TimeInput = Date | number | string;

/**
 * Converts a {@link TimeInput} to integer epoch milliseconds (fractions of a millisecond are
 * dropped, as every store keeps integer milliseconds). Throws `VALIDATION` at `path` otherwise.
 *
 * @example
 * ```ts
 * toEpochMs("2024-01-01T00:00:00Z", ["event_timestamp"]); // 1704067200000
 * ```
 */
export function toEpochMs(value: unknown, path: PropertyKey[]): number {
  let ms: number;
  if (typeof value === "number") ms = value;
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "string" && value.trim() !== "") ms = Date.parse(value);
  else throw invalid(path, `must be a Date, epoch milliseconds or an ISO-8601 string, got ${describe(value)}`);
  if (!Number.isFinite(ms)) throw invalid(path, `is not a valid time: ${describe(value)}`);
  return Math.floor(ms);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `'${value.slice(0, 40)}'`;
  return typeof value === "number" ? String(value) : typeof value;
}

import { invalid } from "../core/errors.js";
import { MAX_FEATURE_TIME_MS } from "../stores/offline-store.js";

/** A point in time as the feature store accepts it: a `Date`, epoch milliseconds, or an ISO-8601 string. */
export type TimeInput = Date | number | string;

const ISO_8601 =
  /^[+-]?\d{4,6}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

/** The largest distance from the epoch a `Date` can hold, in ms (±275,760 years): the feature store's time range. */
export const MAX_EPOCH_MS = MAX_FEATURE_TIME_MS;

/**
 * Converts a {@link TimeInput} to integer epoch milliseconds. Every store keeps integer
 * milliseconds within the `Date` range, so a number must be an integer within ±8.64e15 (a fraction
 * or `1e20` would be stored as something else, or served as a time no `Date` can show); a `Date`
 * must be valid; a string must be an ISO-8601 date (UTC midnight) or a date-time with `Z` or an
 * offset (`Date.parse` alone reads `"12"` as December 2001 and a zone-less date-time in the
 * machine's time zone). Throws `VALIDATION` at `path` otherwise.
 *
 * @example
 * ```ts
 * toEpochMs("2024-01-01T00:00:00Z", ["event_timestamp"]); // 1704067200000
 * toEpochMs(1.5, ["event_timestamp"]); // throws VALIDATION: not an integer number of milliseconds
 * ```
 */
export function toEpochMs(value: unknown, path: PropertyKey[]): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value <= MAX_EPOCH_MS && value >= -MAX_EPOCH_MS) return value;
    if (Number.isNaN(value)) throw invalid(path, "is not a valid time: NaN");
    if (!Number.isInteger(value))
      throw invalid(path, `must be an integer number of epoch milliseconds, got ${value}`, "invalid_type");
    throw invalid(
      path,
      `${value} is outside the range of a Date (±${MAX_EPOCH_MS} ms from 1970, about ±275,760 years)`,
      value > 0 ? "too_big" : "too_small",
    );
  }
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "string" && value.trim() !== "") {
    // Date.parse also takes "12" (December 2001) and zone-less date-times (read in the machine's
    // time zone): only ISO-8601 dates, and date-times with Z or an offset, mean one instant.
    if (!ISO_8601.test(value.trim()))
      throw invalid(
        path,
        `${describe(value)} is not an ISO-8601 date or date-time with Z or an offset (e.g. 2024-05-01T10:00:00Z)`,
        "invalid_format",
      );
    ms = Date.parse(value.trim());
  } else throw invalid(path, `must be a Date, epoch milliseconds or an ISO-8601 string, got ${describe(value)}`);
  if (!Number.isFinite(ms)) throw invalid(path, `is not a valid time: ${describe(value)}`);
  return ms;
}

/** True when `value` is a number {@link toEpochMs} takes as it is (the fast path of hot loops). */
export function isEpochMs(value: unknown): value is number {
  return typeof value === "number" && value <= MAX_EPOCH_MS && value >= -MAX_EPOCH_MS && Number.isInteger(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `'${value.slice(0, 40)}'`;
  if (value instanceof Date) return "an invalid Date";
  return typeof value === "number" ? String(value) : typeof value;
}

import { monotonicFactory } from "ulid";

const next = monotonicFactory();

/**
 * A new ULID: 26 characters, sortable by creation time, unique across processes.
 *
 * @example
 * ```ts
 * newId(); // "01JD3Z6A7Q9R1T0B6C3V8X2Y4M"
 * ```
 */
export function newId(now: number = Date.now()): string {
  return next(now);
}

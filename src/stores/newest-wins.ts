/**
 * The newest-wins rule of every "latest value" a store keeps (a metric's latest point, an online
 * feature record): a write carries a version of two numbers — (step, timestamp) for a metric,
 * (event time, created time) for a feature record — and replaces the stored value when its first
 * number is greater, or equal and its second at least as great. So replays and out-of-order writes
 * never replace a newer value, and a repeated write of the same version wins (last writer of a tie).
 * The memory stores call this; the SQL stores express the same rule with
 * `SqlDialect.upsertIfNewer`.
 *
 * @example
 * ```ts
 * supersedes(5, 100, 5, 90); // true: same step, later timestamp
 * supersedes(4, 999, 5, 0);  // false: an older step never replaces a newer one
 * ```
 */
export function supersedes(first: number, second: number, storedFirst: number, storedSecond: number): boolean {
  return first > storedFirst || (first === storedFirst && second >= storedSecond);
}

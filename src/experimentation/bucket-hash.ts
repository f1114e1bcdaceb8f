/**
 * Deterministic assignment hashing: GrowthBook's FNV-1a 32-bit scheme, version 2. A unit's bucket is
 *
 *   fnv1a32( String( fnv1a32(salt + unit) ) ) mod 10,000
 *
 * — the hash of the decimal text of a first hash, which spreads similar ids (`user-1`, `user-2`) as
 * well as random ones — read as a position in [0, 1) with four decimals (`bucket / 10,000`). It is a
 * pure function of salt and unit: the same on every process, host and restart, and equal to
 * GrowthBook's `hash(seed, value, 2)` (its SDK test cases are ours), so a unit lands in the same
 * place as in a GrowthBook experiment with the same seed.
 */

/** Buckets of the assignment space: a bucket is a position in [0, 1) in steps of 1/10,000. */
export const BUCKETS = 10_000;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a 32-bit over the UTF-16 code units of `text` (as GrowthBook's SDKs hash), continuing from
 * `state` (default: the offset basis, i.e. a fresh hash). Returns the unsigned 32-bit hash.
 *
 * @example
 * ```ts
 * fnv1a32("foobar"); // 0xbf9cf968
 * ```
 */
export function fnv1a32(text: string, state = FNV_OFFSET_BASIS): number {
  let h = state | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Continues FNV-1a over the decimal digits of `x` (0 ≤ x < 100,000): `width` 5 keeps leading zeros. */
function fnvDigits(h: number, x: number, width: 0 | 5): number {
  const d4 = (x / 10000) | 0;
  const d3 = ((x / 1000) | 0) % 10;
  const d2 = ((x / 100) | 0) % 10;
  const d1 = ((x / 10) | 0) % 10;
  const d0 = x % 10;
  if (width === 5 || x >= 10000) h = Math.imul(h ^ (48 + d4), FNV_PRIME);
  if (width === 5 || x >= 1000) h = Math.imul(h ^ (48 + d3), FNV_PRIME);
  if (width === 5 || x >= 100) h = Math.imul(h ^ (48 + d2), FNV_PRIME);
  if (width === 5 || x >= 10) h = Math.imul(h ^ (48 + d1), FNV_PRIME);
  return Math.imul(h ^ (48 + d0), FNV_PRIME);
}

/**
 * FNV-1a 32-bit of the decimal text of an unsigned 32-bit integer (`String(value)`), without building
 * the string: the value is split into its digits above and below 10⁵, each part in int32 arithmetic.
 */
export function fnv1a32OfDecimal(value: number): number {
  const high = Math.floor(value / 100000);
  const low = value - high * 100000;
  const h =
    high > 0 ? fnvDigits(fnvDigits(FNV_OFFSET_BASIS | 0, high, 0), low, 5) : fnvDigits(FNV_OFFSET_BASIS | 0, low, 0);
  return h >>> 0;
}

/**
 * The bucket (0 … 9,999) of `unit` under `salt` (GrowthBook's v2 hash × 10,000). `saltState` is the
 * hash state after the salt ({@link saltState}), so a router hashes only the unit on each call.
 */
export function bucketOf(saltHash: number, unit: string): number {
  return fnv1a32OfDecimal(fnv1a32(unit, saltHash)) % BUCKETS;
}

/** The FNV-1a state after hashing `salt`: pass it to {@link bucketOf}. */
export function saltState(salt: string): number {
  return fnv1a32(salt);
}

/**
 * GrowthBook's `hash(seed, value, 2)`: the position of `unit` under `salt` in [0, 1), four decimals.
 *
 * @example
 * ```ts
 * assignmentHash("seed", "a");    // 0.0505, as GrowthBook's SDKs
 * assignmentHash("churn-ab", "user-42") === assignmentHash("churn-ab", "user-42"); // in every process
 * ```
 */
export function assignmentHash(salt: string, unit: string): number {
  return bucketOf(saltState(salt), unit) / BUCKETS;
}

/**
 * A 53-bit hash of a string (cyrb53: two 32-bit multiply-xorshift lanes), the same in every process
 * and on every platform. Rows are sampled by it: a window keeps the rows with the smallest hashes, so
 * samples taken by several processes merge into the sample one process would have taken.
 *
 * @example
 * ```ts
 * rowHash("01JD3Z6A7Q9R1T0B6C3V8X2Y4M/0"); // a number in [0, 2^53)
 * ```
 */
export function rowHash(key: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

import { randomFillSync } from "node:crypto";
import { MlcycleError } from "./errors.js";

/** Crockford's base32, the alphabet of ULIDs. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const TIME_MAX = 2 ** 48 - 1;

/**
 * The id being built, as character codes: 10 of time, 16 of randomness. Each id is one flat string
 * decoded from it, rather than 26 single characters concatenated.
 */
const text = Buffer.alloc(TIME_CHARS + RANDOM_CHARS);
/** The random part as base32 digits (0–31), kept to increment within one millisecond. */
const digits = new Uint8Array(RANDOM_CHARS);
/** Cryptographic random bits, drawn 2,048 words at a time: one `randomFillSync` per 128 ids. */
const pool = new Uint32Array(2048);
let drawn = pool.length;
let lastTime = -1;

function encodeTime(ms: number): void {
  let t = ms;
  for (let i = TIME_CHARS - 1; i >= 0; i--) {
    const d = t % 32;
    text[i] = CODES[d]!;
    t = (t - d) / 32;
  }
}

function freshRandom(): void {
  for (let i = 0; i < RANDOM_CHARS; i++) {
    if (drawn === pool.length) {
      randomFillSync(pool);
      drawn = 0;
    }
    // The top five bits of a random word: one base32 digit.
    const d = pool[drawn++]! >>> 27;
    digits[i] = d;
    text[TIME_CHARS + i] = CODES[d]!;
  }
}

/** Adds one to the random part (base32, carrying leftwards), as a monotonic ULID factory does. */
function incrementRandom(): void {
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    if (digits[i] === 31) {
      digits[i] = 0;
      text[TIME_CHARS + i] = CODES[0]!;
      continue;
    }
    const d = ++digits[i]!;
    text[TIME_CHARS + i] = CODES[d]!;
    return;
  }
  throw new MlcycleError("INTERNAL", "more ids were made within one millisecond than the random part can count");
}

/**
 * A new ULID: 26 characters, sortable by creation time, unique across processes. Monotonic in a
 * process: an id made in the same millisecond as the one before it (or with an earlier `now`) keeps
 * that one's time and adds one to its random part, so ids made in a row always sort in that order.
 *
 * @example
 * ```ts
 * newId(); // "01JD3Z6A7Q9R1T0B6C3V8X2Y4M"
 * ```
 */
export function newId(now: number = Date.now()): string {
  const seed = !now || Number.isNaN(now) ? Date.now() : now;
  if (seed <= lastTime) incrementRandom();
  else {
    if (!Number.isInteger(seed) || seed < 0 || seed > TIME_MAX)
      throw new MlcycleError(
        "VALIDATION",
        `an id's time must be a whole number of milliseconds from 0 to 2^48 - 1, not ${seed}`,
      );
    lastTime = seed;
    encodeTime(seed);
    freshRandom();
  }
  return text.toString("latin1", 0, TIME_CHARS + RANDOM_CHARS);
}

import { describe, expect, it } from "vitest";
import { newId } from "../../src/index.js";

// Ids are monotonic per process: this file runs in its own worker, and each test uses times later
// than the ones before it.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const decodeTime = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + ALPHABET.indexOf(c), 0);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("newId", () => {
  it("encodes the ULID specification's example time as its first ten characters", () => {
    // ulid(1469918176385) in the specification starts "01ARYZ6S41"; a fresh process has made no id later.
    const id = newId(1469918176385);
    expect(id).toMatch(ULID);
    expect(id.slice(0, 10)).toBe("01ARYZ6S41");
    expect(decodeTime(id)).toBe(1469918176385);
  });

  it("keeps the time and counts up the random part within one millisecond, or for an earlier time", () => {
    const t = Date.now() + 60_000;
    const ids = [newId(t), newId(t), newId(t), newId(t - 5000)];
    for (const id of ids) {
      expect(id).toMatch(ULID);
      expect(decodeTime(id)).toBe(t);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
    const later = newId(t + 1);
    expect(decodeTime(later)).toBe(t + 1);
    expect(later > ids[3]!).toBe(true);
  });

  it("draws a fresh random part for each new millisecond", () => {
    const t = Date.now() + 120_000;
    const randoms = Array.from({ length: 200 }, (_, i) => newId(t + i).slice(10));
    expect(new Set(randoms).size).toBe(200);
    // Every base32 digit turns up among 3,200 random characters.
    expect(new Set(randoms.join("")).size).toBe(32);
  });

  it("refuses a time that is not a whole number of milliseconds below 2^48", () => {
    const t = Date.now() + 180_000;
    expect(() => newId(t + 0.5)).toThrow(/whole number of milliseconds/);
    expect(() => newId(2 ** 48)).toThrow(/2\^48/);
    expect(decodeTime(newId(t))).toBe(t);
  });
});

import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { baseCacheKey, cacheKey, canonicalJson, hashValue, sha256 } from "../../src/index.js";
import { componentsJson, inputHash, paramHashes } from "../../src/pipeline/cache-key.js";

describe("cache keys", () => {
  const c = {
    step: 'fit "v2" é',
    version: "code:abc",
    input: "f".repeat(64),
    ignoredInputs: ["b", "a\\u0000"],
    params: { z: "1", a: "2", "ü-key": "3", "": "4" },
    serializer: "auto@1",
  };

  it("is the sha256 of the canonical JSON of the components", () => {
    expect(componentsJson(c, true)).toBe(canonicalJson(c));
    expect(cacheKey(c)).toBe(sha256(canonicalJson(c)));
    const { params: _p, ...base } = c;
    expect(componentsJson(c, false)).toBe(canonicalJson(base));
    expect(baseCacheKey(c)).toBe(sha256(canonicalJson(base)));
  });

  it("hashes inputs and params as core's sha256 and hashValue do", () => {
    for (const text of ["", "abc", 'fit "v2" é \u0000 ü 😀'])
      expect(sha256(text)).toBe(createHash("sha256").update(text).digest("hex"));
    const input = { b: [1, 2, { z: null, a: "é" }], a: -0, c: new Date(0) };
    expect(inputHash(input, [])).toBe(hashValue(input));
    expect(inputHash(input, ["b"])).toBe(hashValue({ a: -0, c: new Date(0) }));
    expect(paramHashes({ n: 1, m: { x: [1] } }, ["m", "missing"])).toEqual({
      m: hashValue({ x: [1] }),
      missing: hashValue(null),
    });
  });

  it("changes with any component", () => {
    const k = cacheKey(c);
    expect(cacheKey({ ...c, version: "2" })).not.toBe(k);
    expect(cacheKey({ ...c, input: "e".repeat(64) })).not.toBe(k);
    expect(cacheKey({ ...c, params: { ...c.params, z: "9" } })).not.toBe(k);
    expect(cacheKey({ ...c, serializer: "json@1" })).not.toBe(k);
    expect(cacheKey({ ...c, ignoredInputs: [] })).not.toBe(k);
    const noParams: typeof c = { ...c, params: {} as typeof c.params };
    expect(baseCacheKey(noParams)).toBe(baseCacheKey(c));
  });
});

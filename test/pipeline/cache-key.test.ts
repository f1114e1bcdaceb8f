import { describe, expect, it } from "vitest";
import { baseCacheKey, cacheKey, canonicalJson, sha256 } from "../../src/index.js";
import { componentsJson } from "../../src/pipeline/cache-key.js";

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

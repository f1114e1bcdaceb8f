import { describe, expect, it } from "vitest";
import {
  CANONICAL_JSON_MAX_DEPTH,
  canonicalJson,
  checkJsonValue,
  checkKey,
  checkName,
  checkRecord,
  checkString,
  checkText,
  hashValue,
  hasLoneSurrogate,
  isMlcycleError,
  type MlcycleError,
  toWellFormed,
} from "../../src/index.js";

function thrown(call: () => unknown): MlcycleError {
  try {
    call();
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw new Error(`expected an MlcycleError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected an MlcycleError");
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("unpaired surrogates (stored as U+FFFD by SQLite, refused by PostgreSQL)", () => {
  it("are told apart from well-formed pairs", () => {
    expect(hasLoneSurrogate("plain, naïve, 実験, 🚀")).toBe(false);
    for (const s of ["\uD800", "a\uD83D", "\uDE80b", "\uDE80\uD83D", "🚀\uD800"])
      expect(hasLoneSurrogate(s)).toBe(true);
    expect(toWellFormed("a\uD800b🚀\uDC00")).toBe("a\uFFFDb🚀\uFFFD");
    expect(toWellFormed("🚀")).toBe("🚀");
  });

  it("are VALIDATION in names, keys, strings and free text, naming the argument", () => {
    for (const [what, call] of [
      ["model name", () => checkName("model name", "m\uD800")],
      ["param key", () => checkKey("param key", "k\uDC00")],
      ["tags.a", () => checkString("tags.a", "v\uD800", 100)],
      ["description", () => checkText("description", "\uDC00")],
    ] as const) {
      const e = thrown(call);
      expect(e.code).toBe("VALIDATION");
      expect(e.issues[0].path).toEqual([what]);
      expect(e.message).toMatch(/unpaired UTF-16 surrogate/);
    }
    expect(checkText("description", "ok 🚀")).toBe("ok 🚀");
  });

  it("checkText refuses a non-string and a too-long text", () => {
    expect(thrown(() => checkText("note", 5)).message).toBe("note: must be a string, got number");
    expect(thrown(() => checkText("note", "abc", 2)).issues[0].code).toBe("too_big");
  });
});

describe("checkKey", () => {
  it("refuses __proto__, which a record keeps as its prototype instead of a key", () => {
    expect(thrown(() => checkKey("metric key", "__proto__")).message).toMatch(/__proto__/);
    expect(checkKey("metric key", "proto")).toBe("proto");
  });
});

describe("checkRecord", () => {
  it("takes plain objects only: arrays, maps and class instances are VALIDATION", () => {
    expect(checkRecord("metrics", { a: 1 })).toEqual([["a", 1]]);
    expect(checkRecord("metrics", Object.create(null))).toEqual([]);
    for (const v of [[1, 2], new Map(), new Date(0), null, 5, "s"])
      expect(thrown(() => checkRecord("metrics", v)).issues[0].path).toEqual(["metrics"]);
  });
});

describe("checkJsonValue", () => {
  it("accepts what JSON keeps as it is, following toJSON", () => {
    checkJsonValue("schema", { a: [1, "x", true, null, { b: undefined }], d: new Date(0) });
    checkJsonValue("schema", nested(999));
  });

  it("refuses a cycle, deep nesting, bigint, non-finite numbers and values JSON would change, at their path", () => {
    const cyclic: Record<string, unknown> = { list: [] };
    (cyclic.list as unknown[]).push(cyclic);
    const cases: Array<[unknown, PropertyKey[], RegExp]> = [
      [cyclic, ["schema", "list", 0], /cycle/],
      [nested(20_000), ["schema", 0, 0, 0, 0, 0, 0, 0], /nested more than 1000 levels deep/],
      [{ n: 10n }, ["schema", "n"], /bigint/],
      [{ x: [1, Number.POSITIVE_INFINITY] }, ["schema", "x", 1], /Infinity/],
      [[undefined], ["schema", 0], /undefined/],
      [{ f: () => 1 }, ["schema", "f"], /function/],
      [{ s: new Set([1]) }, ["schema", "s"], /Set/],
      [{ b: new Uint8Array(2) }, ["schema", "b"], /Uint8Array/],
      [{ t: "a\uD800" }, ["schema", "t"], /surrogate/],
    ];
    for (const [value, path, message] of cases) {
      const e = thrown(() => checkJsonValue("schema", value));
      expect(e.code).toBe("VALIDATION");
      expect(e.issues[0].path).toEqual(path);
      expect(e.message).toMatch(message);
    }
  });
});

describe("canonicalJson on values it cannot write", () => {
  it("names the path of a cycle with VALIDATION (was a TypeError)", () => {
    const a: Record<string, unknown> = { inner: { list: [1] } };
    ((a.inner as Record<string, unknown>).list as unknown[]).push(a);
    const e = thrown(() => canonicalJson(a));
    expect(e.code).toBe("VALIDATION");
    expect(e.message).toContain("(root).inner.list[1]");
    expect(e.issues[0].path).toEqual(["inner", "list", 1]);
    const m = new Map<string, unknown>();
    m.set("self", m);
    expect(thrown(() => hashValue(m)).code).toBe("VALIDATION");
  });

  it("stops at the depth limit with VALIDATION instead of overflowing the stack at 20,000 levels", () => {
    expect(() => canonicalJson(nested(CANONICAL_JSON_MAX_DEPTH - 1))).not.toThrow();
    const e = thrown(() => hashValue(nested(20_000)));
    expect(e.code).toBe("VALIDATION");
    expect(e.message).toContain(`more than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  });

  it("keeps the tagged form of bigints (for hashing) and shared, acyclic references", () => {
    expect(canonicalJson({ n: 12n })).toBe('{"n":{"$bigint":"12"}}');
    const shared = { x: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
    expect(canonicalJson(new Map([[{ b: 1, a: 2 }, 1]]))).toBe('{"$map":[[{"a":2,"b":1},1]]}');
  });
});

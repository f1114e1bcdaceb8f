import { describe, expect, it } from "vitest";
import { MAX_VALUE_DEPTH, valueProblem } from "../../src/pipeline/value-guard.js";

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
};
const message = (v: unknown, bigint = false) => valueProblem(v, "output", { bigint })?.message;

describe("valueProblem", () => {
  it("passes plain values, shared members and class instances as leaves", () => {
    const shared = { x: 1 };
    const holes: unknown[] = [];
    holes[2] = 1;
    for (const v of [
      1,
      "s",
      null,
      undefined,
      { a: [1, 2, { b: "c" }], d: null },
      [shared, shared, { s: shared }],
      { when: new Date(0), m: new Map([[1, 2]]), t: new Float64Array(3) },
      holes,
      Object.create(null),
      nest(40),
      nest(500),
      nest(MAX_VALUE_DEPTH - 1),
    ])
      expect(message(v)).toBeUndefined();
  });

  it("names where a cycle is, shallow or past the quick check's depth", () => {
    const shallow: Record<string, unknown> = { a: { b: [1] } };
    (shallow.a as { b: unknown[] }).b.push(shallow);
    expect(message(shallow)).toMatch(/output\.a\.b\[1\].*cycle/);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 100; i++) at = at.n = {};
    at.back = deep;
    expect(message(deep)).toMatch(/cycle/);
    expect(message(deep)).toContain(`output${".n".repeat(100)}.back`);
  });

  it("refuses nesting deeper than the limit, and bigints only when the rules say so", () => {
    expect(message(nest(MAX_VALUE_DEPTH + 5))).toMatch(new RegExp(`deeper than ${MAX_VALUE_DEPTH}`));
    expect(message({ a: [1, { b: 2n }] }, true)).toMatch(/output\.a\[1\]\.b.*bigint/);
    expect(message({ a: [1, { b: 2n }] }, false)).toBeUndefined();
    expect(message(2n, true)).toMatch(/bigint/);
  });

  it("answers the next value afresh after a problem or a throwing getter", () => {
    const cyc: unknown[] = [];
    cyc.push(cyc);
    expect(message(cyc)).toMatch(/cycle/);
    const throwing = {
      get boom(): never {
        throw new Error("getter");
      },
    };
    expect(() => message({ a: { b: throwing } })).toThrow("getter");
    expect(message({ a: { b: 1 } })).toBeUndefined();
    expect(message(nest(60))).toBeUndefined();
  });
});

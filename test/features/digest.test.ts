import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, TrainingSetDigest } from "../../src/index.js";

describe("TrainingSetDigest", () => {
  it("hashes the same text as canonicalJson, line by line", () => {
    const columns = ["b", "a"];
    const rows: Array<Record<string, unknown>> = [
      { z: 1, a: 'x\n"y"', b: null, c: true },
      { z: -0, a: 1e21, b: 1.5e-7, c: false, u: undefined },
      { a: Number.NaN, b: Number.POSITIVE_INFINITY, nested: { y: [1, { b: 2, a: 1 }], x: new Date(0) } },
      { b: 2, a: 1 },
      ...Array.from({ length: 5000 }, (_, i) => ({ id: i, value: i / 7, label: i % 3 === 0 ? null : `l${i}` })),
    ];
    const d = new TrainingSetDigest(columns);
    for (const r of rows) d.add(r);
    const expected = createHash("sha256").update(`${canonicalJson(columns)}\n`);
    for (const r of rows) expected.update(`${canonicalJson(r)}\n`);
    expect(d.digest()).toBe(expected.digest("hex"));
  });
});

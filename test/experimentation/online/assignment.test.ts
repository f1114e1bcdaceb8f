import { describe, expect, it } from "vitest";
import {
  assignmentHash,
  BUCKETS,
  type BucketLayout,
  bucketCounts,
  fnv1a32,
  initialLayout,
  relayout,
  seededRandom,
} from "../../../src/index.js";
import { fnv1a32OfDecimal } from "../../../src/experimentation/bucket-hash.js";

/** The variant owning a position in [0, 1) under a layout. */
function variantAt(layout: BucketLayout, position: number): string {
  const bucket = Math.round(position * BUCKETS);
  const range = layout.find(([start, end]) => bucket >= start && bucket < end);
  if (!range) throw new Error(`no range holds bucket ${bucket}`);
  return range[2];
}

/** Owner of every bucket. */
function owners(layout: BucketLayout): string[] {
  const out = new Array<string>(BUCKETS);
  for (const [start, end, v] of layout) out.fill(v, start, end);
  return out;
}

const w = (pairs: Array<[string, number]>) => pairs.map(([name, weight]) => ({ name, weight }));
const ids = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);

describe("assignment hash (GrowthBook FNV-1a 32-bit, v2)", () => {
  it("equals the published FNV-1a vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("hashes the decimal text of the first hash without building it, digit for digit", () => {
    const random = seededRandom(1);
    const values = [0, 9, 10, 99, 100, 9999, 10000, 99999, 100000, 100001, 1000000, 4294900000, 4294967295];
    for (let i = 0; i < 10_000; i++) values.push(Math.floor(random() * 2 ** 32));
    for (const v of values) expect(fnv1a32OfDecimal(v)).toBe(fnv1a32(String(v)));
  });

  it("equals GrowthBook's hash(seed, value, 2) on its SDK test cases", () => {
    // growthbook/growthbook packages/sdk-js/test/cases.json, "hash" (version 2) and buckets of "feature"/"stickyBucket".
    const cases: Array<[string, string, number]> = [
      ["seed", "a", 0.0505],
      ["seed", "b", 0.2696],
      ["foo", "ab", 0.2575],
      ["foo", "def", 0.2019],
      ["89123klj", "8952klfjas09ujkasdf", 0.124],
      ["90850943850283058242805", "123", 0.7516],
      ["()**(%$##$%#$#", '___)((*":&', 0.0128],
      ["feature-exp", "d123", 0.6468],
      ["feature-exp", "i123", 0.9943],
      ["experiment", "1", 0.4413],
      ["holdout", "1", 0.8043],
    ];
    for (const [seed, value, expected] of cases) expect(assignmentHash(seed, value)).toBe(expected);
  });

  it("spreads 100,000 ids within 1% of the weights (50/50 and 20/30/50)", () => {
    for (const weights of [
      [
        ["control", 50],
        ["treatment", 50],
      ],
      [
        ["a", 20],
        ["b", 30],
        ["c", 50],
      ],
    ] as Array<Array<[string, number]>>) {
      const layout = initialLayout(bucketCounts(w(weights)));
      const seen = new Map<string, number>();
      for (const id of ids) {
        const v = variantAt(layout, assignmentHash("churn-ab", id));
        seen.set(v, (seen.get(v) ?? 0) + 1);
      }
      const total = weights.reduce((s, [, x]) => s + x, 0);
      for (const [name, weight] of weights)
        expect(Math.abs((seen.get(name) ?? 0) / ids.length - weight / total)).toBeLessThan(0.01);
    }
  });

  it("assigns independently under two salts (about half the units agree on a 50/50 split)", () => {
    const layout = initialLayout(
      bucketCounts(
        w([
          ["x", 1],
          ["y", 1],
        ]),
      ),
    );
    let same = 0;
    for (const id of ids.slice(0, 20_000))
      if (variantAt(layout, assignmentHash("exp-1", id)) === variantAt(layout, assignmentHash("exp-2", id))) same++;
    expect(Math.abs(same / 20_000 - 0.5)).toBeLessThan(0.02);
  });
});

describe("bucket layouts", () => {
  it("turns weights into bucket counts that sum to 10,000 (largest remainder, ties to the earlier)", () => {
    expect([
      ...bucketCounts(
        w([
          ["a", 1],
          ["b", 1],
          ["c", 1],
        ]),
      ).values(),
    ]).toEqual([3334, 3333, 3333]);
    expect([
      ...bucketCounts(
        w([
          ["a", 0.1],
          ["b", 0.9],
        ]),
      ).values(),
    ]).toEqual([1000, 9000]);
    expect([
      ...bucketCounts(
        w([
          ["a", 7],
          ["b", 0],
          ["c", 3],
        ]),
      ).values(),
    ]).toEqual([7000, 0, 3000]);
  });

  it("lays the first split out as GrowthBook's contiguous ranges", () => {
    expect(
      initialLayout(
        bucketCounts(
          w([
            ["a", 20],
            ["b", 30],
            ["c", 50],
          ]),
        ),
      ),
    ).toEqual([
      [0, 2000, "a"],
      [2000, 5000, "b"],
      [5000, 10000, "c"],
    ]);
  });

  /**
   * The rule: a bucket changes variant only when its variant's count shrank, and exactly
   * Σ max(0, old − new) buckets change — the least any assignment by bucket can move.
   */
  function checkMinimalMove(before: BucketLayout, after: BucketLayout, counts: Map<string, number>) {
    const a = owners(before);
    const b = owners(after);
    const oldCounts = new Map<string, number>();
    for (const v of a) oldCounts.set(v, (oldCounts.get(v) ?? 0) + 1);
    const newCounts = new Map<string, number>();
    for (const v of b) newCounts.set(v, (newCounts.get(v) ?? 0) + 1);
    for (const [v, c] of counts) expect(newCounts.get(v) ?? 0).toBe(c);
    let moved = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (a[i] === b[i]) continue;
      moved++;
      // Only a variant that shrank loses a bucket, and only one that grew gains it.
      expect((counts.get(a[i]) ?? 0) < (oldCounts.get(a[i]) ?? 0)).toBe(true);
      expect((counts.get(b[i]) ?? 0) > (oldCounts.get(b[i]) ?? 0)).toBe(true);
    }
    let minimum = 0;
    for (const [v, c] of oldCounts) minimum += Math.max(0, c - (counts.get(v) ?? 0));
    expect(moved).toBe(minimum);
    return { moved, minimum, a, b };
  }

  it("moves exactly the least share of buckets when weights change, and the same share of units", () => {
    const start = initialLayout(
      bucketCounts(
        w([
          ["control", 50],
          ["treatment", 50],
        ]),
      ),
    );
    const counts = bucketCounts(
      w([
        ["control", 40],
        ["treatment", 60],
      ]),
    );
    const next = relayout(start, counts);
    const { moved } = checkMinimalMove(start, next, counts);
    expect(moved).toBe(1000);
    // Units: every one that moved left control for treatment, and the share is the buckets' (± sampling).
    let movedUnits = 0;
    for (const id of ids) {
      const h = assignmentHash("churn-ab", id);
      const from = variantAt(start, h);
      const to = variantAt(next, h);
      if (from !== to) {
        movedUnits++;
        expect([from, to]).toEqual(["control", "treatment"]);
      }
    }
    expect(Math.abs(movedUnits / ids.length - 0.1)).toBeLessThan(0.005);
  });

  it("keeps every unit of a variant that does not shrink, over a sequence of changes with 3 variants", () => {
    let layout = initialLayout(
      bucketCounts(
        w([
          ["a", 50],
          ["b", 25],
          ["c", 25],
        ]),
      ),
    );
    const moves: number[] = [];
    // GrowthBook's contiguous ranges would move half the units here (a's upper quarter to b, b's
    // whole range to c); the least possible is a quarter: a gives 2,500 buckets to c.
    for (const weights of [
      [
        ["a", 25],
        ["b", 25],
        ["c", 50],
      ],
      [
        ["a", 10],
        ["b", 60],
        ["c", 30],
      ],
      [
        ["a", 0],
        ["b", 60],
        ["c", 40],
      ], // a removed: its units are the only ones to go
      [
        ["a", 34],
        ["b", 33],
        ["c", 33],
      ],
    ] as Array<Array<[string, number]>>) {
      const counts = bucketCounts(w(weights));
      const next = relayout(layout, counts);
      moves.push(checkMinimalMove(layout, next, counts).moved);
      layout = next;
    }
    expect(moves).toEqual([2500, 3500, 1000, 3400]);
  });

  it("keeps a growing canary's units on the canary at every step of a ramp", () => {
    let layout = initialLayout(
      bucketCounts(
        w([
          ["stable", 95],
          ["canary", 5],
        ]),
      ),
    );
    const canaryUnits = () => new Set(ids.filter((id) => variantAt(layout, assignmentHash("ramp", id)) === "canary"));
    let previous = canaryUnits();
    for (const p of [25, 50, 100]) {
      layout = relayout(
        layout,
        bucketCounts(
          w([
            ["stable", 100 - p],
            ["canary", p],
          ]),
        ),
      );
      const now = canaryUnits();
      for (const id of previous) expect(now.has(id)).toBe(true);
      expect(Math.abs(now.size / ids.length - p / 100)).toBeLessThan(0.01);
      previous = now;
    }
  });
});

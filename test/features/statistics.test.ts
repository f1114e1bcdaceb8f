import { describe, expect, it } from "vitest";
import { quantileSorted, StatisticsAccumulator } from "../../src/index.js";

describe("StatisticsAccumulator", () => {
  it("gives exact quantiles (numpy linear) while within the sample size", () => {
    const acc = new StatisticsAccumulator(["x"], { quantiles: [0.1, 0.5, 0.95], sampleSize: 100 });
    const values = [7, 1, 3, 9, 5, 2, 8];
    for (const [i, x] of values.entries()) acc.add({ x }, i);
    const s = acc.result("v", 1, 0).features.x;
    // numpy.quantile([1,2,3,5,7,8,9], [0.1, 0.5, 0.95]) = [1.6, 5.0, 8.7]
    expect(s.quantiles?.["0.1"]).toBeCloseTo(1.6, 12);
    expect(s.quantiles?.["0.5"]).toBe(5);
    expect(s.quantiles?.["0.95"]).toBeCloseTo(8.7, 12);
    expect(s.sample?.slice().sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 7, 8, 9]);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("keeps memory bounded: a fixed-size reservoir and the frequent categories", () => {
    const acc = new StatisticsAccumulator(["x", "c"], { sampleSize: 500, maxCategories: 20, topK: 3, seed: 1 });
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      // Uniform on [0, 1); categories: "hot" half the time, else one of thousands of rare values.
      const c = i % 2 === 0 ? "hot" : i % 3 === 0 ? "warm" : `rare-${i}`;
      acc.add({ x: ((i * 7919) % n) / n, c }, i);
    }
    const s = acc.result("v", 1, 0);
    expect(s.features.x.sample).toHaveLength(500);
    expect(s.features.x.count).toBe(n);
    expect(s.features.x.mean).toBeCloseTo(0.5, 3);
    // A uniform reservoir's median of U(0,1) is near 0.5.
    expect(Math.abs((s.features.x.quantiles?.["0.5"] ?? 0) - 0.5)).toBeLessThan(0.1);
    const top = s.features.c.topCategories ?? [];
    expect(top[0].value).toBe("hot");
    expect(top[1].value).toBe("warm");
    expect(s.features.c.distinctCategories).toBeGreaterThanOrEqual(20);
    // Same seed, same rows: the same profile.
    const again = new StatisticsAccumulator(["x"], { sampleSize: 500, seed: 1 });
    const other = new StatisticsAccumulator(["x"], { sampleSize: 500, seed: 1 });
    for (let i = 0; i < 5000; i++) {
      again.add({ x: i }, i);
      other.add({ x: i }, i);
    }
    expect(again.result("v", 1, 0).features.x.sample).toEqual(other.result("v", 1, 0).features.x.sample);
  });

  it("counts missing values, NaN included, and reports mixed columns", () => {
    const acc = new StatisticsAccumulator(["x"]);
    for (const x of [1, null, undefined, Number.NaN, "a", true]) acc.add(x === undefined ? {} : { x }, 0);
    const s = acc.result("v", 1, 0).features.x;
    expect(s).toMatchObject({ count: 3, missing: 3, missingShare: 0.5, kind: "mixed", min: 1, max: 1, std: 0 });
    expect(s.topCategories).toEqual([
      { value: "a", count: 1 },
      { value: "true", count: 1 },
    ]);
  });
});

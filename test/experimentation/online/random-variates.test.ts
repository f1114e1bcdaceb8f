import { describe, expect, it } from "vitest";
import { chanceToBeBest, flooredWeights, RandomVariates, seededRandom } from "../../../src/index.js";
import { caught } from "./online-fixtures.js";

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    squares += x * x;
  }
  const mean = sum / n;
  return { mean, variance: (squares - n * mean * mean) / (n - 1) };
}

const N = 200_000;

describe("random variates (Marsaglia–Tsang gamma, beta, polar normal)", () => {
  it("draws standard normals with mean 0 and variance 1", () => {
    const r = new RandomVariates(seededRandom(1));
    const m = moments(() => r.normal(), N);
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.015);
  });

  it("draws Gamma(a) with mean a and variance a, for shapes below and above 1", () => {
    const r = new RandomVariates(seededRandom(2));
    for (const a of [0.3, 1, 3.7, 50]) {
      const m = moments(() => r.gamma(a), N);
      // Standard errors: mean √(a/N), variance ≈ a·√(2(1 + 3/a)/N).
      expect(Math.abs(m.mean - a)).toBeLessThan(5 * Math.sqrt(a / N));
      expect(Math.abs(m.variance - a) / a).toBeLessThan(5 * Math.sqrt((2 * (1 + 3 / a)) / N));
    }
  });

  it("draws Beta(a, b) with mean a/(a+b) and variance ab/((a+b)²(a+b+1))", () => {
    const r = new RandomVariates(seededRandom(3));
    for (const [a, b] of [
      [1, 1],
      [2, 5],
      [31, 71],
      [0.5, 0.5],
    ]) {
      const m = moments(() => r.beta(a, b), N);
      const mean = a / (a + b);
      const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / N));
      expect(Math.abs(m.variance - variance) / variance).toBeLessThan(0.03);
    }
  });

  it("is reproducible from a seed", () => {
    const a = new RandomVariates(seededRandom(9));
    const b = new RandomVariates(seededRandom(9));
    const xs = Array.from({ length: 5 }, () => a.beta(3, 4));
    expect(Array.from({ length: 5 }, () => b.beta(3, 4))).toEqual(xs);
  });

  it("refuses a shape that is not positive", async () => {
    const r = new RandomVariates(Math.random);
    expect((await caught(() => r.gamma(0))).code).toBe("VALIDATION");
    expect((await caught(() => r.gamma(Number.NaN))).code).toBe("VALIDATION");
  });
});

describe("Thompson sampling", () => {
  it("gives the chance of each arm being best (binary: Beta posteriors)", () => {
    const random = seededRandom(4);
    const [worse, better] = chanceToBeBest(
      [
        { n: 1000, sum: 100, sumSquares: 100 },
        { n: 1000, sum: 140, sumSquares: 140 },
      ],
      "binary",
      20_000,
      random,
    );
    // P(p_b > p_a) under Beta(141, 861) vs Beta(101, 901) ≈ Φ(0.04 / √(var_a + var_b)) ≈ 0.9971.
    expect(better).toBeGreaterThan(0.99);
    expect(worse + better).toBeCloseTo(1, 12);
    const same = chanceToBeBest(
      [
        { n: 500, sum: 50, sumSquares: 50 },
        { n: 500, sum: 50, sumSquares: 50 },
      ],
      "binary",
      20_000,
      seededRandom(5),
    );
    expect(Math.abs(same[0] - 0.5)).toBeLessThan(0.02);
  });

  it("uses Normal posteriors of the mean for continuous rewards", () => {
    // Means 10 and 10.3, sd 3, n 400 each: P(b best) = Φ(0.3 / √(2 · 9/400)) = Φ(1.414) ≈ 0.921.
    const arm = (mean: number) => ({ n: 400, sum: 400 * mean, sumSquares: 399 * 9 + 400 * mean * mean });
    const [, b] = chanceToBeBest([arm(10), arm(10.3)], "continuous", 50_000, seededRandom(6));
    expect(Math.abs(b - 0.9214)).toBeLessThan(0.01);
  });

  it("floors the weights: every arm keeps its share and the weights sum to 1", () => {
    const [low, high] = flooredWeights([0, 1], 0.05);
    expect(low).toBe(0.05);
    expect(high).toBeCloseTo(0.95, 15);
    const ws = flooredWeights([0.2, 0.3, 0.5], 0.1);
    expect(ws.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...ws)).toBeGreaterThanOrEqual(0.1);
  });

  it("refuses a floor that cannot hold for every arm, and rewards that are not binary", async () => {
    expect((await caught(() => flooredWeights([0.5, 0.5, 0], 0.4))).code).toBe("VALIDATION");
    expect(
      (await caught(() => chanceToBeBest([{ n: 10, sum: 12, sumSquares: 20 }], "binary", 10, Math.random))).code,
    ).toBe("VALIDATION");
  });
});

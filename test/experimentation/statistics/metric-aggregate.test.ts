import { describe, expect, it } from "vitest";
import {
  MetricAggregate,
  summarize,
  twoProportionZTest,
  welchTTest,
  welchTTestFromSamples,
} from "../../../src/experimentation/index.js";
import { seededRandom } from "../../../src/core/random.js";
import { expectValidation } from "./expect-validation.js";
import { seededNormal } from "./normal-random.js";

function relClose(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected) / Math.max(1, Math.abs(expected)), what).toBeLessThanOrEqual(tolerance);
}

describe("MetricAggregate", () => {
  const normal = seededNormal(7);
  const rows = Array.from({ length: 10_000 }, () => {
    const x = 50 + 10 * normal();
    return { x, y: 5 + 0.1 * x + 2 * normal() };
  });

  it("merging partitions in any order equals one pass", () => {
    const onePass = new MetricAggregate();
    for (const r of rows) onePass.add(r.y, r.x);

    const random = seededRandom(3);
    const parts = Array.from({ length: 7 }, () => new MetricAggregate());
    for (const r of rows) parts[Math.floor(random() * parts.length)].add(r.y, r.x);
    const forward = new MetricAggregate();
    for (const p of parts) forward.merge(p);
    const backward = new MetricAggregate();
    for (const p of [...parts].reverse()) backward.merge(p.toJSON());

    for (const merged of [forward, backward]) {
      expect(merged.n).toBe(onePass.n);
      for (const key of ["sum", "sumSquares", "covariateSum", "covariateSumSquares", "productSum"] as const) {
        relClose(merged[key], onePass[key], 1e-12, key);
      }
      relClose(merged.mean, onePass.mean, 1e-12, "mean");
      relClose(merged.variance, onePass.variance, 1e-9, "variance");
      relClose(merged.covariance, onePass.covariance, 1e-9, "covariance");
    }
  });

  it("its mean and variance equal the rows' (it is a SampleSummary)", () => {
    const agg = new MetricAggregate();
    for (const r of rows) agg.add(r.y);
    const s = summarize(rows.map((r) => r.y));
    relClose(agg.mean, s.mean, 1e-12, "mean");
    relClose(agg.variance, s.variance, 1e-9, "variance");
  });

  it("a Welch test on aggregates equals the test on rows", () => {
    const c = new MetricAggregate();
    const t = new MetricAggregate();
    const cRows: number[] = [];
    const tRows: number[] = [];
    rows.forEach((r, i) => {
      if (i % 3 === 0) {
        t.add(r.y + 0.05);
        tRows.push(r.y + 0.05);
      } else {
        c.add(r.y);
        cRows.push(r.y);
      }
    });
    const fromAggregates = welchTTest(c, t);
    const fromRows = welchTTestFromSamples(cRows, tRows);
    relClose(fromAggregates.statistic, fromRows.statistic, 1e-8, "statistic");
    relClose(fromAggregates.pValue, fromRows.pValue, 1e-8, "p-value");
    relClose(fromAggregates.df, fromRows.df, 1e-8, "df");
  });

  it("round-trips through its JSON state; clone and plus leave the originals alone", () => {
    const a = new MetricAggregate().add(1, 2).add(3, 4);
    const b = MetricAggregate.from(JSON.parse(JSON.stringify(a)));
    expect(b.toJSON()).toEqual(a.toJSON());
    const c = a.plus(b);
    expect(c.n).toBe(4);
    expect(a.n).toBe(2);
    expect(b.n).toBe(2);
    expect(MetricAggregate.from({ n: 2, sum: 3, sumSquares: 5 }).covariateSum).toBe(0);
  });

  it("is empty-safe: mean and variance are NaN until there are enough units", () => {
    const empty = new MetricAggregate();
    expect(empty.mean).toBeNaN();
    expect(new MetricAggregate().add(4).variance).toBeNaN();
    expect(new MetricAggregate().add(4).add(4).variance).toBe(0);
  });

  it("a Welch test on an aggregate with fewer than 2 units is a VALIDATION error", () => {
    expectValidation(() => welchTTest(new MetricAggregate().add(1), new MetricAggregate().add(1).add(2)), "control.n");
  });

  it("rejects non-finite values and bad states with VALIDATION naming the argument", () => {
    expectValidation(() => new MetricAggregate().add(Number.NaN), "y");
    expectValidation(() => new MetricAggregate().add(1, Number.POSITIVE_INFINITY), "x");
    expectValidation(() => MetricAggregate.from({ n: -1, sum: 0, sumSquares: 0 }), "state.n");
    expectValidation(() => MetricAggregate.from({ n: 1, sum: 0, sumSquares: -1 }), "state.sumSquares");
    expectValidation(() => new MetricAggregate().merge({ n: 2, sum: Number.NaN, sumSquares: 1 }), "state.sum");
  });

  it("analyses 10,000,000 streamed outcomes from aggregates, without keeping rows", () => {
    const random = seededRandom(2024);
    const partitions = 4;
    const perPartition = 2_500_000;
    const arms = [
      { rate: 0.1, parts: [] as MetricAggregate[] },
      { rate: 0.102, parts: [] as MetricAggregate[] },
    ];
    const started = performance.now();
    for (let p = 0; p < partitions; p++) {
      const part = [new MetricAggregate(), new MetricAggregate()];
      for (let i = 0; i < perPartition; i++) {
        const arm = random() < 0.5 ? 0 : 1;
        part[arm].add(random() < arms[arm].rate ? 1 : 0);
      }
      arms[0].parts.push(part[0]);
      arms[1].parts.push(part[1]);
    }
    const [control, treatment] = arms.map((a) => a.parts.reduce((acc, p) => acc.merge(p), new MetricAggregate()));
    const elapsed = performance.now() - started;
    expect(control.n + treatment.n).toBe(10_000_000);
    // Binary outcomes: every sum is an integer, exact in float64.
    expect(control.sum).toBe(control.sumSquares);
    const z = twoProportionZTest(
      { successes: control.sum, trials: control.n },
      { successes: treatment.sum, trials: treatment.n },
    );
    const t = welchTTest(control, treatment);
    expect(Math.abs(control.mean - 0.1)).toBeLessThan(0.001);
    expect(z.absolute.interval[0]).toBeLessThan(0.002);
    expect(z.absolute.interval[1]).toBeGreaterThan(0.002);
    // With n this large the t and z tests agree.
    expect(Math.abs(t.statistic - z.statistic)).toBeLessThan(0.01);
    expect(elapsed).toBeLessThan(20_000);
  });
});

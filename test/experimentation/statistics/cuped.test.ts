import { describe, expect, it } from "vitest";
import { cupedTest, MetricAggregate, welchTTestFromSamples } from "../../../src/experimentation/index.js";
import { expectValidation } from "./expect-validation.js";
import { seededNormal } from "./normal-random.js";

interface Unit {
  x: number;
  y: number;
  treated: boolean;
}

function simulate(seed: number, units: number, effect: number, noise: number): Unit[] {
  const normal = seededNormal(seed);
  return Array.from({ length: units }, (_, i) => {
    const x = 100 + 20 * normal();
    const treated = i % 2 === 1;
    return { x, y: 10 + 0.8 * x + noise * normal() + (treated ? effect : 0), treated };
  });
}

function aggregates(units: Unit[]): [MetricAggregate, MetricAggregate] {
  const c = new MetricAggregate();
  const t = new MetricAggregate();
  for (const u of units) (u.treated ? t : c).add(u.y, u.x);
  return [c, t];
}

describe("cupedTest", () => {
  const units = simulate(11, 20_000, 0.5, 8);

  it("θ is the pooled OLS slope of y on x, and the test equals Welch on the adjusted rows", () => {
    const [c, t] = aggregates(units);
    const r = cupedTest(c, t);

    const n = units.length;
    const mx = units.reduce((s, u) => s + u.x, 0) / n;
    const my = units.reduce((s, u) => s + u.y, 0) / n;
    let sxy = 0;
    let sxx = 0;
    for (const u of units) {
      sxy += (u.x - mx) * (u.y - my);
      sxx += (u.x - mx) ** 2;
    }
    expect(r.theta).toBeCloseTo(sxy / sxx, 9);

    const adjusted = (treated: boolean) =>
      units.filter((u) => u.treated === treated).map((u) => u.y - r.theta * (u.x - mx));
    const rows = welchTTestFromSamples(adjusted(false), adjusted(true));
    expect(r.statistic).toBeCloseTo(rows.statistic, 7);
    expect(r.pValue).toBeCloseTo(rows.pValue, 9);
    expect(r.df).toBeCloseTo(rows.df, 4);
    expect(r.absolute.estimate).toBeCloseTo(rows.absolute.estimate, 9);
    expect(r.absolute.standardError).toBeCloseTo(rows.absolute.standardError, 9);
    expect(r.control.mean).toBeCloseTo(rows.control.mean, 9);
  });

  it("removes about ρ² of the variance and narrows the interval", () => {
    const [c, t] = aggregates(units);
    const r = cupedTest(c, t);
    // y = 0.8x + noise: var(0.8x) = 256, var(noise) = 64, so ρ² ≈ 0.8.
    expect(r.varianceReduction).toBeGreaterThan(0.75);
    expect(r.varianceReduction).toBeLessThan(0.85);
    const width = (i: readonly [number, number]) => i[1] - i[0];
    expect(width(r.absolute.interval)).toBeLessThan(width(r.unadjusted.absolute.interval) / 2);
    expect(r.absolute.interval[0]).toBeLessThan(0.5);
    expect(r.absolute.interval[1]).toBeGreaterThan(0.5);
  });

  it("divides the relative lift by the unadjusted control mean", () => {
    const [c, t] = aggregates(units);
    const r = cupedTest(c, t);
    expect(r.relative!.estimate).toBeCloseTo(r.absolute.estimate / c.mean, 12);
    const expected = Math.sqrt(
      r.treatment.variance / t.n / c.mean ** 2 + (r.control.variance / c.n) * (t.mean ** 2 / c.mean ** 4),
    );
    expect(r.relative!.standardError).toBeCloseTo(expected, 12);
  });

  it("a constant covariate leaves the test unadjusted (θ = 0)", () => {
    const c = new MetricAggregate();
    const t = new MetricAggregate();
    for (const u of units) (u.treated ? t : c).add(u.y, 3);
    const r = cupedTest(c, t);
    expect(r.theta).toBe(0);
    expect(r.varianceReduction).toBe(0);
    expect(r.statistic).toBe(r.unadjusted.statistic);
  });

  it("accepts stored states and leaves the aggregates unchanged", () => {
    const [c, t] = aggregates(units);
    const before = c.toJSON();
    const r = cupedTest(c.toJSON(), t.toJSON());
    expect(r.theta).toBeCloseTo(cupedTest(c, t).theta, 14);
    expect(c.toJSON()).toEqual(before);
  });

  it("rejects arms with fewer than 2 units", () => {
    const one = new MetricAggregate().add(1, 1);
    const two = new MetricAggregate().add(1, 1).add(2, 2);
    expectValidation(() => cupedTest(one, two), "control.n");
    expectValidation(() => cupedTest(two, { n: 1, sum: 1, sumSquares: 1 }), "treatment.n");
    expectValidation(() => cupedTest(two, two, { alpha: -1 }), "options.alpha");
  });
});

import { describe, expect, it } from "vitest";
import { bayesianLift, welchTTest } from "../../../src/experimentation/index.js";
import { expectValidation } from "./expect-validation.js";

describe("bayesianLift", () => {
  // scipy 1.17.1: chance = norm.sf(0, mu, sigma); risks as gbstats' get_risk with truncnorm means:
  // [(1 − P(lift<0)) · E[lift | lift>0], −P(lift<0) · E[lift | lift<0]].
  it.each([
    [0.02, 0.01, 0.9772498680518208, 0.020084907026168296, 8.490702616829613e-5],
    [-0.5, 1.3, 0.3502611970519244, 0.3065188254209354, 0.8065188254209353],
    [0, 2, 0.5, 0.7978845608028654, 0.7978845608028654],
  ])("flat prior, estimate %f ± %f equals gbstats", (estimate, se, chance, lossControl, lossTreatment) => {
    const r = bayesianLift({ estimate, standardError: se });
    expect(r.mean).toBe(estimate);
    expect(r.standardDeviation).toBe(se);
    expect(r.chanceToBeatControl).toBeCloseTo(chance, 12);
    expect(r.expectedLoss.control).toBeCloseTo(lossControl, 12);
    expect(r.expectedLoss.treatment).toBeCloseTo(lossTreatment, 12);
    expect(r.interval[0]).toBeCloseTo(estimate - 1.959963984540054 * se, 12);
  });

  it("mirrors chance and losses for an inverse (lower is better) metric", () => {
    const up = bayesianLift({ estimate: 0.02, standardError: 0.01 });
    const down = bayesianLift({ estimate: 0.02, standardError: 0.01 }, { inverse: true });
    expect(down.chanceToBeatControl).toBeCloseTo(1 - up.chanceToBeatControl, 14);
    expect(down.expectedLoss).toEqual({ control: up.expectedLoss.treatment, treatment: up.expectedLoss.control });
  });

  it("a proper normal prior shrinks the posterior toward its mean", () => {
    const r = bayesianLift({ estimate: 0.1, standardError: 0.05 }, { prior: { mean: 0, variance: 0.05 ** 2 } });
    expect(r.mean).toBeCloseTo(0.05, 14);
    expect(r.standardDeviation).toBeCloseTo(0.05 / Math.SQRT2, 14);
  });

  it("zero standard error is a point mass", () => {
    const r = bayesianLift({ estimate: 0.3, standardError: 0 });
    expect(r.chanceToBeatControl).toBe(1);
    expect(r.expectedLoss).toEqual({ control: 0.3, treatment: 0 });
    expect(bayesianLift({ estimate: 0, standardError: 0 }).chanceToBeatControl).toBe(0.5);
  });

  it("reads a Welch relative lift", () => {
    const t = welchTTest({ n: 5000, mean: 10, variance: 9 }, { n: 5000, mean: 10.2, variance: 9.5 });
    const b = bayesianLift(t.relative!);
    expect(b.chanceToBeatControl).toBeGreaterThan(0.99);
    expect(b.expectedLoss.treatment).toBeLessThan(b.expectedLoss.control);
  });

  it("rejects bad input with VALIDATION naming the argument", () => {
    expectValidation(() => bayesianLift({ estimate: 0, standardError: -1 }), "lift.standardError");
    expectValidation(
      () => bayesianLift({ estimate: 0, standardError: 1 }, { prior: { mean: 0, variance: 0 } }),
      "options.prior.variance",
    );
    expectValidation(() => bayesianLift({ estimate: 0, standardError: 1 }, { alpha: 0 }), "options.alpha");
  });
});

import { describe, expect, it } from "vitest";
import { summarize, welchTTest, welchTTestFromSamples } from "../../../src/experimentation/index.js";
import { expectValidation } from "./expect-validation.js";

describe("welchTTest", () => {
  it("matches scipy on tiny samples, with a fractional df (scipy 1.17.1)", () => {
    // ttest_ind([2, 7], [1, 3], equal_var=False) and its confidence_interval(0.9)
    const r = welchTTestFromSamples([1, 3], [2, 7], { alpha: 0.1 });
    expect(r.statistic).toBeCloseTo(0.9284766908852594, 12);
    expect(r.pValue).toBeCloseTo(0.49188526844981484, 9);
    expect(r.df).toBeCloseTo(1.31201248049922, 12);
    expect(r.absolute.interval[0]).toBeCloseTo(-9.040451274953348, 7);
    expect(r.absolute.interval[1]).toBeCloseTo(14.040451274953337, 7);
  });

  it("matches scipy when one arm has zero variance", () => {
    // ttest_ind([4, 4, 4], [1, 2, 3, 4, 5], equal_var=False): df = n_other − 1
    const r = welchTTestFromSamples([1, 2, 3, 4, 5], [4, 4, 4]);
    expect(r.statistic).toBeCloseTo(Math.SQRT2, 12); // scipy: 1.414213562373095
    expect(r.pValue).toBeCloseTo(0.2301996410804989, 9);
    expect(r.df).toBeCloseTo(4, 12);
    expect(r.absolute.interval[0]).toBeCloseTo(-0.9632431614775572, 9);
    expect(r.absolute.interval[1]).toBeCloseTo(2.963243161477557, 9);
  });

  it("from summary statistics equals scipy's ttest_ind_from_stats", () => {
    // ttest_ind_from_stats(10.2, sqrt(9.5), 5000, 10, 3, 5000, equal_var=False)
    const r = welchTTest({ n: 5000, mean: 10, variance: 9 }, { n: 5000, mean: 10.2, variance: 9.5 });
    expect(r.statistic).toBeCloseTo(3.2879797461071343, 10);
    expect(r.pValue).toBeCloseTo(0.0010125775876717372, 10);
  });

  it("reports the relative lift with the delta-method standard error", () => {
    const c = { n: 4000, mean: 20, variance: 16 };
    const t = { n: 3000, mean: 21, variance: 25 };
    const r = welchTTest(c, t);
    const rel = r.relative!;
    expect(rel.estimate).toBeCloseTo(0.05, 14);
    const se = Math.sqrt(25 / 3000 / 20 ** 2 + (16 / 4000) * (21 ** 2 / 20 ** 4));
    expect(rel.standardError).toBeCloseTo(se, 14);
    // Same t critical value as the absolute interval.
    const critical = (r.absolute.interval[1] - r.absolute.estimate) / r.absolute.standardError;
    expect(rel.interval[1] - rel.estimate).toBeCloseTo(critical * se, 12);
    expect(critical).toBeGreaterThan(1.96);
  });

  it("has no relative lift when the control mean is 0", () => {
    const r = welchTTest({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 1, variance: 1 });
    expect(r.relative).toBeNull();
    expect(r.absolute.estimate).toBe(1);
  });

  it("identical groups: statistic 0, p-value 1, interval centred on 0", () => {
    const x = [3, 1, 4, 1, 5, 9, 2, 6];
    const r = welchTTestFromSamples(x, [...x]);
    expect(r.statistic).toBe(0);
    expect(r.pValue).toBe(1);
    expect(r.absolute.interval[0]).toBeCloseTo(-r.absolute.interval[1], 14);
    expect(r.relative!.estimate).toBe(0);
  });

  it("zero variance in both arms: equal means give p = 1, different means give p = 0", () => {
    const same = welchTTestFromSamples([2, 2, 2], [2, 2]);
    expect(same.statistic).toBe(0);
    expect(same.pValue).toBe(1);
    expect(same.df).toBe(3);
    expect(same.absolute.interval).toEqual([0, 0]);

    const apart = welchTTestFromSamples([2, 2, 2], [3, 3]);
    expect(apart.statistic).toBe(Number.POSITIVE_INFINITY);
    expect(apart.pValue).toBe(0);
    expect(apart.absolute.interval).toEqual([1, 1]);
    expect(welchTTestFromSamples([3, 3], [2, 2, 2]).statistic).toBe(Number.NEGATIVE_INFINITY);
  });

  it("summarize uses the unbiased variance", () => {
    expect(summarize([1, 2, 3, 4])).toEqual({ n: 4, mean: 2.5, variance: 5 / 3 });
    // Large offset: the two-pass formula keeps the variance exact where Σy² − (Σy)²/n would not.
    const s = summarize([1e9 + 1, 1e9 + 2, 1e9 + 3]);
    expect(s.variance).toBe(1);
  });

  it("rejects bad input with VALIDATION naming the argument", () => {
    expectValidation(() => welchTTestFromSamples([], [1, 2]), "control");
    expectValidation(() => welchTTestFromSamples([1, 2], [1]), "treatment");
    expectValidation(() => welchTTestFromSamples([1, Number.NaN], [1, 2]), "control[1]");
    expectValidation(() => welchTTest({ n: 1, mean: 0, variance: 0 }, { n: 5, mean: 0, variance: 1 }), "control.n");
    expectValidation(() => welchTTest({ n: 5, mean: 0, variance: 1 }, { n: -3, mean: 0, variance: 1 }), "treatment.n");
    expectValidation(
      () => welchTTest({ n: 5, mean: 0, variance: -1 }, { n: 5, mean: 0, variance: 1 }),
      "control.variance",
    );
    expectValidation(
      () => welchTTest({ n: 5, mean: Number.POSITIVE_INFINITY, variance: 1 }, { n: 5, mean: 0, variance: 1 }),
      "control.mean",
    );
    expectValidation(() => welchTTestFromSamples([1, 2], [3, 4], { alpha: 1 }), "options.alpha");
    expectValidation(() => welchTTestFromSamples([1, 2], [3, 4], { alpha: 0 }), "options.alpha");
  });
});

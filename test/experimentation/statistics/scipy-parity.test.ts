import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  sampleRatioMismatch,
  twoProportionZTest,
  welchTTest,
  welchTTestFromSamples,
} from "../../../src/experimentation/index.js";
import { fixturePath } from "../../helpers.js";

interface WelchCase {
  kind: "welch_t";
  a: number[];
  b: number[];
  expected: { statistic: number; pvalue: number };
}
interface ProportionCase {
  kind: "two_proportion_z";
  successes: [number, number];
  trials: [number, number];
  expected: { z: number; pvalue_two_sided: number };
}
interface SrmCase {
  kind: "srm_chisquare";
  observed: number[];
  weights: number[];
  expected: { statistic: number; pvalue: number };
}
type Case = WelchCase | ProportionCase | SrmCase;

const cases = (JSON.parse(readFileSync(fixturePath("stats", "scipy-tests.json"), "utf8")) as { cases: Case[] }).cases;
const TOL = 1e-6;

/** |actual − expected| ≤ 1e-6, with a message naming the case. */
function close(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL);
}

// Extra scipy 1.17.1 values for the same cases: ttest_ind(a, b, equal_var=False).df and
// .confidence_interval(0.95) of mean(a) − mean(b).
const welchScipyExtras = [
  { df: 2001.1589946298782, low: -0.44528066069510247, high: -0.06022639057274942 },
  { df: 2015.6953936338675, low: -0.2890814626646747, high: 0.1997072841431897 },
  { df: 5151.176071365291, low: -0.45393508336150334, high: -0.10491233841176903 },
  { df: 685.9257267203545, low: -0.2609600333305595, high: 0.2915363186782871 },
];
// Wald interval of p_t − p_c (norm.ppf(0.975) · unpooled se), numpy/scipy, same cases.
const proportionWaldIntervals = [
  [0.00014180132980041353, 0.007281446644759625],
  [0.01195618622291639, 0.02817231440151002],
  [-0.008646453865513645, -0.000966599249356756],
  [-0.014088651793848649, 0.015199236645735014],
];

describe("scipy parity (test/fixtures/reference/stats/scipy-tests.json)", () => {
  it("has only the kinds covered here", () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(["srm_chisquare", "two_proportion_z", "welch_t"]);
  });

  // scipy's ttest_ind(a, b) tests mean(a) − mean(b); our lifts are treatment − control, so the
  // fixture's `a` is the treatment and `b` the control.
  const welch = cases.filter((c): c is WelchCase => c.kind === "welch_t");
  it.each(welch.map((c, i) => [i, c] as const))("welch_t case %i: statistic and p-value", (i, c) => {
    const r = welchTTestFromSamples(c.b, c.a);
    close(r.statistic, c.expected.statistic, `case ${i} statistic`);
    close(r.pValue, c.expected.pvalue, `case ${i} p-value`);
    const extra = welchScipyExtras[i];
    close(r.df, extra.df, `case ${i} df`);
    close(r.absolute.interval[0], extra.low, `case ${i} interval low`);
    close(r.absolute.interval[1], extra.high, `case ${i} interval high`);
  });

  it.each(welch.map((c, i) => [i, c] as const))("welch_t case %i: same answer from summary statistics", (i, c) => {
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const variance = (x: number[]) => {
      const m = mean(x);
      return x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
    };
    const r = welchTTest(
      { n: c.b.length, mean: mean(c.b), variance: variance(c.b) },
      { n: c.a.length, mean: mean(c.a), variance: variance(c.a) },
    );
    close(r.statistic, c.expected.statistic, `case ${i} statistic`);
    close(r.pValue, c.expected.pvalue, `case ${i} p-value`);
  });

  // The fixture's z is (p[1] − p[0]) / pooled se: index 0 is the control.
  const proportions = cases.filter((c): c is ProportionCase => c.kind === "two_proportion_z");
  it.each(proportions.map((c, i) => [i, c] as const))("two_proportion_z case %i", (i, c) => {
    const r = twoProportionZTest(
      { successes: c.successes[0], trials: c.trials[0] },
      { successes: c.successes[1], trials: c.trials[1] },
    );
    close(r.statistic, c.expected.z, `case ${i} z`);
    close(r.pValue, c.expected.pvalue_two_sided, `case ${i} p-value`);
    close(r.absolute.interval[0], proportionWaldIntervals[i][0], `case ${i} interval low`);
    close(r.absolute.interval[1], proportionWaldIntervals[i][1], `case ${i} interval high`);
  });

  const srm = cases.filter((c): c is SrmCase => c.kind === "srm_chisquare");
  it.each(srm.map((c, i) => [i, c] as const))("srm_chisquare case %i", (i, c) => {
    const r = sampleRatioMismatch(c.observed, c.weights);
    close(r.statistic, c.expected.statistic, `case ${i} statistic`);
    close(r.pValue, c.expected.pvalue, `case ${i} p-value`);
    expect(r.df).toBe(c.observed.length - 1);
    expect(r.mismatch).toBe(c.expected.pvalue < 0.001);
  });

  it("covers every case of the fixture", () => {
    expect(welch.length + proportions.length + srm.length).toBe(cases.length);
    expect(welch.length).toBeGreaterThan(0);
    expect(proportions.length).toBeGreaterThan(0);
    expect(srm.length).toBeGreaterThan(0);
  });
});

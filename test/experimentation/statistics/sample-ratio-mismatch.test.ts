import { describe, expect, it } from "vitest";
import { SRM_P_VALUE_THRESHOLD, sampleRatioMismatch } from "../../../src/experimentation/index.js";
import { expectValidation } from "./expect-validation.js";

describe("sampleRatioMismatch", () => {
  it("equals scipy.stats.chisquare and flags at p < 0.001", () => {
    // chisquare([5210, 4790], [5000, 5000]) → (17.64, 2.6691498031812692e-05)
    const r = sampleRatioMismatch([5210, 4790], [0.5, 0.5]);
    expect(r.statistic).toBeCloseTo(17.64, 12);
    expect(r.pValue).toBeCloseTo(2.6691498031812692e-5, 12);
    expect(r.df).toBe(1);
    expect(r.expected).toEqual([5000, 5000]);
    expect(r.mismatch).toBe(true);
    expect(r.threshold).toBe(SRM_P_VALUE_THRESHOLD);
  });

  it("normalises weights that do not sum to 1", () => {
    const a = sampleRatioMismatch([2600, 7400], [1, 3]);
    const b = sampleRatioMismatch([2600, 7400], [0.25, 0.75]);
    expect(a.statistic).toBeCloseTo(b.statistic, 12);
    expect(a.expected).toEqual([2500, 7500]);
    expect(a.mismatch).toBe(false);
  });

  it("a split that matches is not flagged; a custom threshold applies", () => {
    const r = sampleRatioMismatch([5000, 5000], [1, 1]);
    expect(r.statistic).toBe(0);
    expect(r.pValue).toBe(1);
    expect(r.mismatch).toBe(false);
    expect(sampleRatioMismatch([5100, 4900], [1, 1], { threshold: 0.05 }).mismatch).toBe(true);
    expect(sampleRatioMismatch([5100, 4900], [1, 1]).mismatch).toBe(false);
  });

  it("no units observed: p = 1", () => {
    expect(sampleRatioMismatch([0, 0, 0], [1, 1, 1]).pValue).toBe(1);
  });

  it("a zero-weight arm is left out when empty and is a certain mismatch when it got units", () => {
    const empty = sampleRatioMismatch([500, 500, 0], [1, 1, 0]);
    expect(empty.df).toBe(1);
    expect(empty.pValue).toBe(1);
    const leaked = sampleRatioMismatch([500, 500, 3], [1, 1, 0]);
    expect(leaked.statistic).toBe(Number.POSITIVE_INFINITY);
    expect(leaked.pValue).toBe(0);
    expect(leaked.mismatch).toBe(true);
  });

  it("rejects bad input with VALIDATION naming the argument", () => {
    expectValidation(() => sampleRatioMismatch([1, 2], [0, 0]), "weights");
    expectValidation(() => sampleRatioMismatch([1, 2], [1, -1]), "weights[1]");
    expectValidation(() => sampleRatioMismatch([1, -2], [1, 1]), "observed[1]");
    expectValidation(() => sampleRatioMismatch([1, 2], [1, 1, 1]), "weights");
    expectValidation(() => sampleRatioMismatch([1], [1]), "observed");
    expectValidation(() => sampleRatioMismatch([1, 2], [1, Number.NaN]), "weights[1]");
    expectValidation(() => sampleRatioMismatch([1, 2], [1, 1], { threshold: 0 }), "options.threshold");
  });
});

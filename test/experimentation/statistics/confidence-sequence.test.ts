import { describe, expect, it } from "vitest";
import {
  confidenceSequence,
  DEFAULT_SEQUENTIAL_TUNING_PARAMETER,
  welchTTest,
} from "../../../src/experimentation/index.js";
import { expectValidation } from "./expect-validation.js";
import { seededNormal } from "./normal-random.js";

describe("confidenceSequence", () => {
  // Values from a line-by-line Python transcription of gbstats' sequential_rho,
  // sequential_interval_halfwidth and SequentialTwoSidedTTest.p_value.
  it.each([
    [0.3, 0.1, 10000, 5000, 0.05, 0.03984006677137368, 0.30614772188674166, 0.05957889248313894],
    [0.05, 0.02, 3000, 5000, 0.05, 0.03984006677137368, 0.06121677673009808, 0.18140756924313672],
    [-0.12, 0.05, 800, 1000, 0.1, 0.07955413003292938, 0.13849999664211443, 0.2222650023078775],
  ])("estimate %f, se %f, n %i, N* %i, alpha %f equals gbstats", (estimate, se, n, tuning, alpha, rho, half, p) => {
    const r = confidenceSequence({ estimate, standardError: se }, n, { alpha, tuningParameter: tuning });
    expect(r.rho).toBeCloseTo(rho, 14);
    expect(r.halfwidth).toBeCloseTo(half, 12);
    expect(r.pValue).toBeCloseTo(p, 12);
    expect(r.interval[0]).toBeCloseTo(estimate - half, 12);
    expect(r.interval[1]).toBeCloseTo(estimate + half, 12);
  });

  it("defaults to alpha 0.05 and N* = 5,000", () => {
    const r = confidenceSequence({ estimate: 0.1, standardError: 0.05 }, 2000);
    expect(r.alpha).toBe(0.05);
    expect(r.tuningParameter).toBe(DEFAULT_SEQUENTIAL_TUNING_PARAMETER);
    expect(DEFAULT_SEQUENTIAL_TUNING_PARAMETER).toBe(5000);
  });

  it("p ≤ alpha exactly when the interval excludes 0, and it is wider than the fixed-horizon interval", () => {
    for (const estimate of [-0.4, -0.2, -0.1, -0.01, 0, 0.05, 0.15, 0.3, 0.6]) {
      for (const n of [50, 500, 5000, 50000]) {
        const seq = confidenceSequence({ estimate, standardError: 0.1 }, n);
        const excludes = seq.interval[0] > 0 || seq.interval[1] < 0;
        expect(seq.pValue <= 0.05, `estimate ${estimate}, n ${n}`).toBe(excludes);
        expect(seq.halfwidth).toBeGreaterThan(1.959963984540054 * 0.1);
      }
    }
  });

  it("zero standard error: p = 1 at a null estimate, 0 otherwise", () => {
    expect(confidenceSequence({ estimate: 0, standardError: 0 }, 100).pValue).toBe(1);
    const r = confidenceSequence({ estimate: 2, standardError: 0 }, 100);
    expect(r.pValue).toBe(0);
    expect(r.interval).toEqual([2, 2]);
  });

  it("keeps the false-positive rate under alpha when peeking, where the fixed-horizon p-value does not", () => {
    const normal = seededNormal(20240611);
    const runs = 300;
    const lookEvery = 100;
    const perArm = 4000;
    let sequentialHits = 0;
    let naiveHits = 0;
    for (let run = 0; run < runs; run++) {
      let n = 0;
      let sc = 0;
      let qc = 0;
      let st = 0;
      let qt = 0;
      let seqHit = false;
      let naiveHit = false;
      while (n < perArm) {
        for (let i = 0; i < lookEvery; i++) {
          const yc = normal();
          const yt = normal();
          sc += yc;
          qc += yc * yc;
          st += yt;
          qt += yt * yt;
        }
        n += lookEvery;
        const summary = (s: number, q: number) => ({ n, mean: s / n, variance: (q - (s * s) / n) / (n - 1) });
        const r = welchTTest(summary(sc, qc), summary(st, qt));
        if (r.pValue < 0.05) naiveHit = true;
        if (confidenceSequence(r.absolute, 2 * n).pValue < 0.05) seqHit = true;
      }
      if (seqHit) sequentialHits++;
      if (naiveHit) naiveHits++;
    }
    expect(sequentialHits / runs).toBeLessThanOrEqual(0.05);
    expect(naiveHits / runs).toBeGreaterThan(0.15);
  });

  it("rejects bad input with VALIDATION naming the argument", () => {
    const lift = { estimate: 0.1, standardError: 0.05 };
    expectValidation(() => confidenceSequence(lift, 1), "n");
    expectValidation(() => confidenceSequence({ estimate: 0.1, standardError: -1 }, 100), "lift.standardError");
    expectValidation(() => confidenceSequence({ estimate: Number.NaN, standardError: 1 }, 100), "lift.estimate");
    expectValidation(() => confidenceSequence(lift, 100, { tuningParameter: 0 }), "options.tuningParameter");
    expectValidation(() => confidenceSequence(lift, 100, { alpha: 1.5 }), "options.alpha");
  });
});

import { describe, expect, it } from "vitest";
import { twoProportionZTest } from "../../../src/experimentation/index.js";
import { expectValidation } from "./expect-validation.js";

describe("twoProportionZTest", () => {
  it("pools the standard error for the test and not for the interval", () => {
    const c = { successes: 120, trials: 1000 };
    const t = { successes: 150, trials: 1000 };
    const r = twoProportionZTest(c, t);
    const pooled = 270 / 2000;
    expect(r.statistic).toBeCloseTo(0.03 / Math.sqrt(pooled * (1 - pooled) * (2 / 1000)), 12);
    const unpooled = Math.sqrt((0.12 * 0.88) / 1000 + (0.15 * 0.85) / 1000);
    expect(r.absolute.standardError).toBeCloseTo(unpooled, 14);
    expect(r.absolute.interval[1] - r.absolute.estimate).toBeCloseTo(1.959963984540054 * unpooled, 12);
    expect(r.control.rate).toBe(0.12);
    expect(r.treatment.rate).toBe(0.15);
  });

  it("relative lift by the delta method on the rates", () => {
    const r = twoProportionZTest({ successes: 100, trials: 1000 }, { successes: 110, trials: 1000 });
    const rel = r.relative!;
    expect(rel.estimate).toBeCloseTo(0.1, 12);
    const se = Math.sqrt((0.11 * 0.89) / 1000 / 0.01 + ((0.1 * 0.9) / 1000) * (0.11 ** 2 / 0.1 ** 4));
    expect(rel.standardError).toBeCloseTo(se, 12);
  });

  it("identical arms give z = 0 and p = 1; all-zero or all-one rates too", () => {
    const same = twoProportionZTest({ successes: 30, trials: 300 }, { successes: 30, trials: 300 });
    expect(same.statistic).toBe(0);
    expect(same.pValue).toBe(1);
    const none = twoProportionZTest({ successes: 0, trials: 50 }, { successes: 0, trials: 80 });
    expect(none.statistic).toBe(0);
    expect(none.pValue).toBe(1);
    expect(none.relative).toBeNull();
    const all = twoProportionZTest({ successes: 50, trials: 50 }, { successes: 80, trials: 80 });
    expect(all.pValue).toBe(1);
    expect(all.absolute.interval).toEqual([0, 0]);
  });

  it("rejects bad counts with VALIDATION naming the argument", () => {
    expectValidation(
      () => twoProportionZTest({ successes: -1, trials: 10 }, { successes: 1, trials: 10 }),
      "control.successes",
    );
    expectValidation(
      () => twoProportionZTest({ successes: 1, trials: 10 }, { successes: 1, trials: -10 }),
      "treatment.trials",
    );
    expectValidation(
      () => twoProportionZTest({ successes: 0, trials: 0 }, { successes: 1, trials: 10 }),
      "control.trials",
    );
    expectValidation(
      () => twoProportionZTest({ successes: 11, trials: 10 }, { successes: 1, trials: 10 }),
      "control.successes",
    );
    expectValidation(
      () => twoProportionZTest({ successes: 1, trials: 10 }, { successes: 1, trials: 10 }, { alpha: 2 }),
      "options.alpha",
    );
  });
});

import { describe, expect, it } from "vitest";
import {
  bayesianLift,
  confidenceSequence,
  cupedTest,
  formatAnalysis,
  MetricAggregate,
  sampleRatioMismatch,
  twoProportionZTest,
  welchTTest,
} from "../../../src/index.js";
import { seededNormal } from "../statistics/normal-random.js";
import { caught, lcg, onlineWorkspaces, setUpPrice } from "./online-fixtures.js";

/** Relative closeness: the analysis reads sums back from the store, the reference adds the same values. */
function close(actual: number, expected: number, digits = 12): void {
  if (expected === 0 || !Number.isFinite(expected)) expect(actual).toBe(expected);
  else expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(10 ** -digits);
}

describe.each(onlineWorkspaces())("analysis of online experiments on %s", (_kind, open) => {
  it("gives the numbers the statistics functions give on the same data (Welch, CUPED, sequential, Bayesian, SRM)", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 1 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
      deploy: { log: { flushSize: 2_000 } },
    });
    const normal = seededNormal(42);
    const ref = { control: new MetricAggregate(), treatment: new MetricAggregate() };
    const exposures = { control: 0, treatment: 0 };
    for (let i = 0; i < 400; i++) {
      const p = await ab.predict([[1]], { unit: `user-${i}` });
      const v = p.variant as "control" | "treatment";
      exposures[v]++;
      const before = 50 + 10 * normal(); // last month's revenue
      const y = 0.8 * before + 5 * normal() + (v === "treatment" ? 1.5 : 0);
      ref[v].add(y, before);
      await ab.feedback(p.predictionId, { outcome: y, covariate: before });
    }
    const a = await ws.online.analyze("price-ab", { metric: "outcome", type: "mean", sequential: true });
    expect(a).toMatchObject({
      experiment: "price-ab",
      kind: "split",
      metric: "outcome",
      alpha: 0.05,
      control: "control",
    });
    expect(a.variants.map((v) => [v.variant, v.n, v.exposures])).toEqual([
      ["control", ref.control.n, exposures.control],
      ["treatment", ref.treatment.n, exposures.treatment],
    ]);
    const [c] = a.comparisons;
    const cuped = cupedTest(ref.control, ref.treatment);
    expect(c.test).toBe("cuped");
    close(c.statistic, cuped.statistic);
    close(c.pValue, cuped.pValue, 10);
    close(c.df!, cuped.df);
    close(c.absolute.interval[0], cuped.absolute.interval[0]);
    close(c.relative!.estimate, cuped.relative!.estimate);
    close(c.cuped!.theta, cuped.theta);
    close(c.cuped!.varianceReduction, cuped.varianceReduction);
    const seq = confidenceSequence(cuped.absolute, ref.control.n + ref.treatment.n);
    close(c.sequential!.absolute.halfwidth, seq.halfwidth);
    close(c.sequential!.absolute.pValue, seq.pValue, 10);
    const bayes = bayesianLift(cuped.relative!);
    close(c.bayesian.chanceToBeatControl, bayes.chanceToBeatControl, 10);
    close(c.bayesian.expectedLoss.treatment, bayes.expectedLoss.treatment, 10);
    expect(c.bayesian.scale).toBe("relative");

    // Without the covariate: Welch's t-test on the same sums; a tuning parameter of 20,000.
    const plain = await ws.online.analyze("price-ab", {
      metric: "outcome",
      type: "mean",
      covariate: false,
      alpha: 0.1,
      sequential: { tuning: 20_000 },
    });
    const welch = welchTTest(ref.control, ref.treatment, { alpha: 0.1 });
    const w = plain.comparisons[0];
    expect(w.test).toBe("welch");
    close(w.statistic, welch.statistic);
    close(w.pValue, welch.pValue, 10);
    close(w.absolute.interval[1], welch.absolute.interval[1]);
    close(w.relative!.interval[0], welch.relative!.interval[0]);
    expect(w.significant).toBe(welch.pValue < 0.1);
    close(
      w.sequential!.relative!.halfwidth,
      confidenceSequence(welch.relative!, ref.control.n + ref.treatment.n, { alpha: 0.1, tuningParameter: 20_000 })
        .halfwidth,
    );
    expect(c.absolute.standardError).toBeLessThan(w.absolute.standardError); // CUPED narrowed it

    // The SRM check: calls per variant against the calls expected under the weights.
    const srm = sampleRatioMismatch([exposures.control, exposures.treatment], [0.5, 0.5]);
    close(a.srm!.statistic, srm.statistic);
    close(a.srm!.pValue, srm.pValue, 10);
    expect(a.srm).toMatchObject({ mismatch: false, variants: ["control", "treatment"], df: 1 });

    const table = formatAnalysis(a);
    expect(table).toContain("price-ab (split, running): outcome, Welch t-test, α = 0.05, control control");
    expect(table).toMatch(/treatment\s+\d+\s+[\d.]+\s+\+[\d.]+\s+\[/);
    expect(table).toContain("CUPED on treatment");
  });

  it("tests proportions by the two-proportion z-test and flags a sample-ratio mismatch", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 1 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
    });
    const random = lcg(8);
    const conversions = { control: { successes: 0, trials: 0 }, treatment: { successes: 0, trials: 0 } };
    for (let i = 0; i < 300; i++) {
      const v = ab.assign(`user-${i}`) as "control" | "treatment";
      const y = random() < (v === "treatment" ? 0.3 : 0.2) ? 1 : 0;
      conversions[v].trials++;
      conversions[v].successes += y;
      await ws.online.record("price-ab", { unit: `user-${i}`, metric: "conversion", value: y });
    }
    const a = await ws.online.analyze("price-ab", { metric: "conversion", type: "proportion" });
    const z = twoProportionZTest(conversions.control, conversions.treatment);
    const [c] = a.comparisons;
    expect(c.test).toBe("two_proportion_z");
    close(c.statistic, z.statistic);
    close(c.pValue, z.pValue, 10);
    close(c.absolute.interval[0], z.absolute.interval[0]);
    close(c.relative!.estimate, z.relative!.estimate);
    expect(a.srm).toBeUndefined(); // no call was routed: nothing to check

    // Calls routed 50/50, then another writer adds exposures to one variant only: a broken split.
    for (let i = 0; i < 200; i++) await ab.predict([[1]], { unit: `user-${i}` });
    await ws.online.flush();
    await ws.metadata.onlineExperiments!.addAggregates("price-ab", [
      {
        variant: "treatment",
        metric: "exposures",
        sums: { n: 60, sum: 60, sumSquares: 60, covariateSum: 0, covariateSumSquares: 0, productSum: 0 },
      },
    ]);
    const skewed = await ws.online.analyze("price-ab", { metric: "conversion", type: "proportion" });
    expect(skewed.srm!.mismatch).toBe(true);
    expect(skewed.srm!.pValue).toBeLessThan(0.001);
    expect(formatAnalysis(skewed)).toContain("MISMATCH");
  });

  it("says what is wrong with an analysis it cannot make", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 1 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
    });
    expect((await caught(ws.online.analyze("price-ab", { metric: "revenue", type: "mean" }))).code).toBe(
      "PRECONDITION",
    );
    for (let i = 0; i < 10; i++) {
      await ws.online.record("price-ab", { variant: "control", metric: "revenue", value: i * 1.5 });
      await ws.online.record("price-ab", { variant: "treatment", metric: "revenue", value: i * 2 });
    }
    expect((await caught(ws.online.analyze("price-ab", { metric: "revenue", type: "proportion" }))).message).toContain(
      'analyse it with type "mean"',
    );
    expect(
      (await caught(ws.online.analyze("price-ab", { metric: "revenue", type: "mean", control: "nope" }))).code,
    ).toBe("NOT_FOUND");
    expect(
      (await caught(ws.online.analyze("price-ab", { metric: "revenue", type: "mean", covariate: true }))).code,
    ).toBe("PRECONDITION");
    expect((await caught(ws.online.analyze("price-ab", { metric: "revenue", type: "median" } as never))).code).toBe(
      "VALIDATION",
    );
    expect((await caught(ws.online.analyze("nope", { metric: "revenue", type: "mean" }))).code).toBe("NOT_FOUND");
    const ok = await ws.online.analyze("price-ab", { metric: "revenue", type: "mean", control: "treatment" });
    expect(ok.control).toBe("treatment");
    expect(ok.comparisons.map((c) => c.variant)).toEqual(["control"]);
  });
});

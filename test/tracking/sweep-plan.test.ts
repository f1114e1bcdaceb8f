import { describe, expect, it } from "vitest";
import { isMlcycleError } from "../../src/index.js";
import { downsampleMinMax } from "../../src/tracking/downsample.js";
import { seededRandom } from "../../src/core/random.js";
import { MedianStoppingRule, planTrials } from "../../src/tracking/sweep.js";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isMlcycleError(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return "no error";
};

describe("planTrials", () => {
  it("enumerates a grid with the last param varying fastest and truncates to the budget", () => {
    const space = { a: ["x", "y"], b: { type: "int", min: 0, max: 4, step: 2 } } as const;
    expect(planTrials({ method: "grid", space })).toEqual([
      { a: "x", b: 0 },
      { a: "x", b: 2 },
      { a: "x", b: 4 },
      { a: "y", b: 0 },
      { a: "y", b: 2 },
      { a: "y", b: 4 },
    ]);
    expect(planTrials({ method: "grid", space, maxTrials: 2 })).toHaveLength(2);
    expect(planTrials({ method: "grid", space, maxTrials: 100 })).toHaveLength(6);
  });

  it("draws seeded random trials within each domain", () => {
    const space = {
      lr: { type: "loguniform", min: 1e-5, max: 1e-1 },
      drop: { type: "uniform", min: 0.1, max: 0.5 },
      layers: { type: "int", min: 1, max: 3 },
      act: { type: "choice", values: ["relu", "tanh"] },
    } as const;
    const a = planTrials({ method: "random", space, maxTrials: 200, seed: 3 });
    expect(a).toEqual(planTrials({ method: "random", space, maxTrials: 200, seed: 3 }));
    expect(a).not.toEqual(planTrials({ method: "random", space, maxTrials: 200, seed: 4 }));
    for (const t of a) {
      expect(t.lr).toBeGreaterThanOrEqual(1e-5);
      expect(t.lr).toBeLessThanOrEqual(1e-1);
      expect(t.drop).toBeGreaterThanOrEqual(0.1);
      expect(t.drop).toBeLessThan(0.5);
      expect([1, 2, 3]).toContain(t.layers);
      expect(["relu", "tanh"]).toContain(t.act);
    }
    // Log-uniform: about half the draws below the geometric middle (1e-3).
    const below = a.filter((t) => (t.lr as number) < 1e-3).length;
    expect(below).toBeGreaterThan(70);
    expect(below).toBeLessThan(130);
    expect(new Set(a.map((t) => t.layers)).size).toBe(3);
    expect(planTrials({ method: "random", space: { x: [1] } })).toHaveLength(10);
  });

  it("rejects spaces it cannot search", () => {
    expect(codeOf(() => planTrials({ method: "grid", space: { lr: { type: "uniform", min: 0, max: 1 } } }))).toMatch(
      /VALIDATION: space.lr: grid search needs discrete values/,
    );
    expect(
      codeOf(() => planTrials({ method: "random", space: { lr: { type: "loguniform", min: 0, max: 1 } } })),
    ).toMatch(/min > 0/);
    expect(codeOf(() => planTrials({ method: "random", space: { c: [] } }))).toMatch(/at least one value/);
    expect(codeOf(() => planTrials({ method: "random", space: {} }))).toMatch(/at least one param/);
    expect(codeOf(() => planTrials({ method: "random", space: { x: [1] }, maxTrials: 0 }))).toMatch(/maxTrials/);
    expect(codeOf(() => planTrials({ method: "bayes" as "grid", space: { x: [1] } }))).toMatch(/grid or random/);
    expect(codeOf(() => planTrials({ method: "grid", space: { x: { type: "int", min: 0, max: 1e7 } } }))).toMatch(
      /grid values/,
    );
  });

  it("has a deterministic PRNG in [0, 1)", () => {
    const r = seededRandom(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(1)()).toBe(xs[0]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe("MedianStoppingRule", () => {
  const curve = (values: number[]) => new Map(values.map((v, i) => [i, v]));

  it("stops a trial whose best value so far is below the completed trials' median at that step", () => {
    const rule = new MedianStoppingRule("maximize", 1, 3);
    const c = curve([0.1, 0.2, 0.3]);
    expect(rule.shouldStop(c, 2)).toBe(false); // fewer than minTrials completed
    rule.complete(curve([0.5, 0.6, 0.7]));
    rule.complete(curve([0.4, 0.5, 0.6]));
    rule.complete(curve([0.1, 0.2, 0.25]));
    expect(rule.shouldStop(curve([0.05]), 0)).toBe(false); // warm-up step
    expect(rule.shouldStop(curve([0.1, 0.45]), 1)).toBe(true); // best 0.45 < median 0.5
    expect(rule.shouldStop(curve([0.1, 0.5]), 1)).toBe(false); // equal to the median is kept
    expect(rule.shouldStop(curve([0.9, 0.1]), 1)).toBe(false); // best so far counts
    expect(rule.shouldStop(new Map([[7, 0.0]]), 7)).toBe(false); // nobody reported step 7
    expect(rule.shouldStop(curve([0.9, Number.NaN]), 1)).toBe(true); // NaN stops at once
  });

  it("mirrors for minimisation", () => {
    const rule = new MedianStoppingRule("minimize", 0, 1);
    rule.complete(curve([1.0, 0.5]));
    expect(rule.shouldStop(curve([1.2]), 0)).toBe(true);
    expect(rule.shouldStop(curve([0.9]), 0)).toBe(false);
  });
});

describe("downsampleMinMax", () => {
  const series = (values: number[]) => values.map((value, step) => ({ value, step, timestamp: step }));

  it("keeps first, last and each bucket's min and max in order", () => {
    const s = series([5, 1, 9, 3, 4, 8, 2, 7, 6, 0]);
    // 8 interior points, 2 buckets of 4: [1,9,3,4] → 1 and 9; [8,2,7,6] → 2 and 8.
    expect(downsampleMinMax(s, 6).map((p) => p.value)).toEqual([5, 1, 9, 8, 2, 0]);
    expect(downsampleMinMax(s, 2).map((p) => p.value)).toEqual([5, 0]);
    expect(downsampleMinMax(s, 10)).toEqual(s);
    expect(downsampleMinMax(s, 50)).toEqual(s);
  });

  it("keeps NaN only when a bucket holds nothing else, and ±Infinity as extremes", () => {
    const s = series([0, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY, 0]);
    const out = downsampleMinMax(s, 4).map((p) => p.value);
    // 5 interior points in one bucket: min -Inf, max +Inf.
    expect(out).toEqual([0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0]);
    const nanOnly = downsampleMinMax(series([0, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 1]), 4);
    expect(nanOnly).toHaveLength(3);
    expect(Number.isNaN(nanOnly[1].value)).toBe(true);
  });

  it("never returns more than maxPoints", () => {
    const s = series(Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * i));
    for (const m of [2, 3, 4, 5, 320, 999]) expect(downsampleMinMax(s, m).length).toBeLessThanOrEqual(m);
  });
});

describe("sweep cancellation", () => {
  it("stops starting trials, kills the ones in flight and the parent, and rejects with CANCELLED", async () => {
    const { createWorkspace } = await import("../../src/index.js");
    await using ws = await createWorkspace();
    const controller = new AbortController();
    const seen: number[] = [];
    const sweep = ws.experiments.sweep({
      experiment: "abort",
      method: "grid",
      space: { x: [1, 2, 3, 4, 5] },
      metric: "m",
      goal: "maximize",
      signal: controller.signal,
      objective: async (t) => {
        seen.push(t.number);
        expect(t.signal.aborted).toBe(false);
        if (t.number === 1) controller.abort(new Error("user stop"));
        await t.report(1, 0);
      },
    });
    const error = await sweep.catch((e: unknown) => e);
    expect(isMlcycleError(error, "CANCELLED")).toBe(true);
    expect(seen).toEqual([0, 1]);
    const { runs } = await ws.experiments.searchRuns({ experiments: "abort", orderBy: "attributes.run_name" });
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ["sweep-grid", "killed"],
      ["trial-0", "finished"],
      ["trial-1", "killed"],
    ]);
    const before = new AbortController();
    before.abort();
    const early = await ws.experiments
      .sweep({
        ...{ experiment: "abort2", method: "grid", space: { x: [1] }, metric: "m", goal: "maximize" },
        signal: before.signal,
        objective: () => 1,
      })
      .catch((e: unknown) => e);
    expect(isMlcycleError(early, "CANCELLED")).toBe(true);
    expect(await ws.experiments.find("abort2")).toBeUndefined();
  });
});

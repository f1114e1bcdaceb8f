import { describe, expect, it } from "vitest";
import { chanceToBeBest, seededRandom } from "../../../src/index.js";
import { caught, lcg, listen, onlineWorkspaces, setUpPrice, testClock } from "./online-fixtures.js";

describe.each(onlineWorkspaces())("Thompson-sampling bandit on %s", (_kind, open) => {
  it("shifts traffic to the better arm once every arm has its minimum sample, keeping the floor", async () => {
    const clock = testClock();
    await using ws = await open({ clock });
    await setUpPrice(ws);
    const changed = listen(ws, "online.weights_changed");
    const bandit = await ws.online.bandit("offers", {
      arms: [
        { name: "a", ref: "price@1" },
        { name: "b", ref: "price@2" },
      ],
      reward: "binary",
      minSamples: 40,
      intervalMs: 1_000,
      floor: 0.05,
      draws: 4_000,
      seed: 7,
      tickIntervalMs: false,
      pollIntervalMs: false,
      deploy: { log: { flushSize: 1_000 } },
    });
    expect(bandit.currentWeights()).toEqual({ a: 0.5, b: 0.5 });
    const random = lcg(3);
    const rate = { a: 0.2, b: 0.5 };
    let user = 0;
    const round = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const p = await bandit.predict([[1]], { unit: `new-user-${user++}` });
        await bandit.feedback(p.predictionId, { outcome: random() < rate[p.variant as "a" | "b"] ? 1 : 0 });
      }
    };
    await round(40);
    clock.advance(1_000);
    const early = await ws.online.tick("offers");
    expect(early.action).toBe("held");
    expect(early.reason).toMatch(/has \d+ of 40 rewards/);
    const weights: number[] = [];
    for (let r = 0; r < 4; r++) {
      await round(100);
      clock.advance(1_000);
      const t = await ws.online.tick("offers");
      expect(t.action).toBe("reweighted");
      weights.push(t.weights!.b);
      expect(t.weights!.a).toBeGreaterThanOrEqual(0.05 - 1e-12);
      expect(t.weights!.a + t.weights!.b).toBeCloseTo(1, 12);
    }
    expect(weights.at(-1)).toBeGreaterThan(0.9);
    expect(bandit.currentWeights().b).toBeGreaterThan(0.9);
    // The floor keeps the worse arm learning: its share of new units stays at about 5%.
    let onA = 0;
    for (let i = 0; i < 4_000; i++) if (bandit.assign(`later-${i}`) === "a") onA++;
    expect(Math.abs(onA / 4_000 - (1 - weights.at(-1)!))).toBeLessThan(0.015);
    // A tick before the interval does nothing.
    expect((await ws.online.tick("offers")).action).toBe("none");
    // The stored chances are the seeded draws on the stored sums: every process computes the same.
    const stored = await ws.online.describe("offers");
    const trail = (await ws.online.history("offers")).filter((e) => e.action === "weights_changed");
    expect(trail.length).toBe(4);
    expect(stored.state.reweights).toBe(4);
    expect(changed.length).toBe(4);
    expect(trail[3].details.chanceToBeBest).toEqual(stored.state.chanceToBeBest);
    const rows = await ws.metadata.onlineExperiments!.getAggregates("offers");
    const sums = ["a", "b"].map((v) => rows.find((r) => r.variant === v && r.metric === "outcome")!.sums);
    // Re-drawing with the seed of the 4th reweighting (seed + 3) on the sums then gives the same chances.
    expect(trail[3].details.samples).toEqual({ a: sums[0].n, b: sums[1].n });
    const again = chanceToBeBest(sums, "binary", 4_000, seededRandom(7 + 3));
    expect(stored.state.chanceToBeBest).toEqual({ a: again[0], b: again[1] });
  });

  it("takes only 0 or 1 as a binary reward, and any number as a continuous one", async () => {
    const clock = testClock();
    await using ws = await open({ clock });
    await setUpPrice(ws);
    const binary = await ws.online.bandit("binary", {
      arms: [
        { name: "a", ref: "price@1" },
        { name: "b", ref: "price@2" },
      ],
      reward: "binary",
      tickIntervalMs: false,
      pollIntervalMs: false,
    });
    const p = await binary.predict([[1]], { unit: "u" });
    expect((await caught(binary.feedback(p.predictionId, { outcome: 0.5 }))).code).toBe("VALIDATION");
    await binary.close();

    const continuous = await ws.online.bandit("revenue", {
      arms: [
        { name: "low", ref: "price@1" },
        { name: "high", ref: "price@2" },
      ],
      reward: "continuous",
      metric: "revenue",
      minSamples: 30,
      intervalMs: 0,
      floor: 0.1,
      seed: 11,
      tickIntervalMs: false,
      pollIntervalMs: false,
    });
    const noise = lcg(5);
    for (let i = 0; i < 60; i++) {
      await ws.online.record("revenue", { variant: "low", metric: "revenue", value: 10 + 4 * (noise() - 0.5) });
      await ws.online.record("revenue", { variant: "high", metric: "revenue", value: 12 + 4 * (noise() - 0.5) });
    }
    const t = await ws.online.tick("revenue");
    expect(t.action).toBe("reweighted");
    expect(t.weights).toEqual({ low: 0.1, high: 0.9 });
    expect(continuous.currentWeights().high).toBeCloseTo(0.9, 4);
  });
});

import { describe, expect, it } from "vitest";
import type { RoutedDeployment, Workspace } from "../../../src/index.js";
import { addPrice, caught, listen, lcg, onlineWorkspaces, setUpPrice, testClock } from "./online-fixtures.js";

const units = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

/** Calls from `n` units; each input is drawn in [0, 10). Failed calls are counted, not thrown. */
async function traffic(d: RoutedDeployment, n: number, seed = 1): Promise<{ calls: number; failed: number }> {
  const random = lcg(seed);
  let failed = 0;
  for (const u of units(n)) {
    try {
      await d.predict([[random() * 10]], { unit: u });
    } catch {
      failed++;
    }
  }
  return { calls: n, failed };
}

describe.each(onlineWorkspaces())("canary on %s", (kind, open, freshDir) => {
  it("rolls back when the candidate's error rate passes its rule: every call to stable, audited, announced, alias untouched", async () => {
    const clock = testClock();
    await using ws = await open({ clock });
    await setUpPrice(ws);
    const broken = await addPrice(ws, { factor: 3, failAbove: 5 });
    const rolledBack = listen(ws, "online.rolled_back");
    const canary = await ws.online.canary("price-canary", {
      stable: "price@champion",
      candidate: `price@${broken}`,
      steps: [10, 50, 100],
      bakeMs: 60_000,
      rules: [{ kind: "error_rate", max: 0.05, minCalls: 10 }],
      tickIntervalMs: false,
      pollIntervalMs: false,
      actor: "ci",
    });
    const onCanary = units(400).filter((u) => canary.assign(u) === "canary");
    expect(Math.abs(onCanary.length / 400 - 0.1)).toBeLessThan(0.05);
    const { failed } = await traffic(canary, 400);
    expect(failed).toBeGreaterThan(0);
    clock.advance(1_000); // before the bake time: a failing rule does not wait for it
    const result = await ws.online.tick("price-canary");
    expect(result).toMatchObject({ experiment: "price-canary", action: "rolled_back", step: 0, percent: 10 });
    expect(result.reason).toMatch(/^error_rate: error rate 0\.\d+ > 0\.05000 over \d+ calls$/);
    expect(result.rules?.[0]).toMatchObject({ rule: "error_rate", status: "fail" });
    // Every call goes back to stable.
    for (const u of onCanary) expect((await canary.predict([[9]], { unit: u })).variant).toBe("stable");
    const stored = await ws.online.describe("price-canary");
    expect(stored.status).toBe("rolled_back");
    expect(stored.variants.map((v) => [v.name, v.weight])).toEqual([
      ["stable", 100],
      ["canary", 0],
    ]);
    const trail = await ws.online.history("price-canary");
    expect(trail.map((e) => e.action)).toEqual(["started", "rolled_back"]);
    expect(trail[1]).toMatchObject({
      actor: "ci",
      details: { rule: "error_rate", step: 0, percent: 10 },
      at: clock.now(),
    });
    expect(trail[1].reason).toContain("rule error_rate fired: error rate");
    expect(rolledBack).toEqual([
      expect.objectContaining({ experiment: "price-canary", rule: "error_rate", step: 0, percent: 10 }),
    ]);
    // The alias never moved: its audit trail still holds only the first move.
    expect(await ws.registry.aliases("price")).toEqual({ champion: 1 });
    expect((await ws.registry.aliasHistory("price", "champion")).map((m) => [m.from, m.to])).toEqual([[undefined, 1]]);
    clock.advance(120_000);
    expect((await ws.online.tick("price-canary")).action).toBe("none");
  });

  it("advances once each step has baked with its rules passing, and promotes through the registry at the end", async () => {
    const clock = testClock();
    await using ws = await open({ clock });
    await setUpPrice(ws);
    const advanced = listen(ws, "online.canary.advanced");
    const promoted = listen(ws, "online.promoted");
    const canary = await ws.online.canary("price-canary", {
      stable: "price@champion",
      candidate: "price@2",
      steps: [10, 50, 100],
      bakeMs: [1_000, 2_000, 1_000],
      rules: [
        { kind: "error_rate", max: 0.05 },
        { kind: "latency", maxMeanMs: 1_000 },
      ],
      tickIntervalMs: false,
      pollIntervalMs: false,
      actor: "ci",
    });
    let onCanary = new Set(units(400).filter((u) => canary.assign(u) === "canary"));
    const steps: Array<[string, number | undefined]> = [];
    for (const wait of [500, 600, 2_100, 1_100]) {
      await traffic(canary, 400);
      clock.advance(wait);
      const r = await ws.online.tick("price-canary");
      steps.push([r.action, r.percent]);
      // Units on the canary stay on it as it grows.
      const now = new Set(units(400).filter((u) => canary.assign(u) === "canary"));
      for (const u of onCanary) expect(now.has(u)).toBe(true);
      onCanary = now;
    }
    expect(steps).toEqual([
      ["held", 10],
      ["advanced", 50],
      ["advanced", 100],
      ["promoted", 100],
    ]);
    expect(await ws.registry.aliases("price")).toEqual({ champion: 2 });
    const [move] = await ws.registry.aliasHistory("price", "champion", { limit: 1 });
    expect(move).toMatchObject({ action: "set", from: 1, to: 2, actor: "ci" });
    expect(move.reason).toBe("canary 'price-canary' completed its ramp (10 → 50 → 100 %)");
    const trail = await ws.online.history("price-canary");
    expect(trail.map((e) => e.action)).toEqual(["started", "ramp_step", "ramp_step", "promoted"]);
    expect(trail[1].details).toMatchObject({ from: { step: 0, percent: 10 }, to: { step: 1, percent: 50 } });
    expect(trail[3]).toMatchObject({
      actor: "ci",
      reason: "price@champion → version 2",
      details: { model: "price", alias: "champion", from: 1, to: 2, aliasMovedAt: move.at },
    });
    expect(advanced.map((e) => e.percent)).toEqual([50, 100]);
    expect(promoted).toEqual([
      expect.objectContaining({ experiment: "price-canary", alias: "champion", from: 1, to: 2 }),
    ]);
    expect((await ws.online.describe("price-canary")).status).toBe("completed");
    expect((await canary.predict([[1]], { unit: "anyone" })).variant).toBe("canary");
  });

  it("records a promotion the registry refuses, holds, and finishes by ws.online.promote once allowed", async () => {
    const clock = testClock();
    await using ws = await open({ clock });
    await setUpPrice(ws);
    await ws.registry.setPolicy("price", "champion", { requireApproval: true });
    const refused = listen(ws, "online.promotion_refused");
    await ws.online.canary("price-canary", {
      stable: "price@champion",
      candidate: "price@2",
      steps: [100],
      bakeMs: 0,
      tickIntervalMs: false,
      pollIntervalMs: false,
      actor: "ci",
    });
    const r = await ws.online.tick("price-canary");
    expect(r.action).toBe("promotion_refused");
    expect(r.reason).toContain("approval");
    expect(refused).toEqual([
      expect.objectContaining({ experiment: "price-canary", code: "PRECONDITION", version: 2 }),
    ]);
    expect((await ws.online.tick("price-canary")).action).toBe("held");
    let trail = await ws.online.history("price-canary");
    expect(trail.map((e) => e.action)).toEqual(["started", "promotion_refused"]);
    expect(trail[1].details).toMatchObject({ model: "price", alias: "champion", version: 2, code: "PRECONDITION" });
    expect((await ws.online.describe("price-canary")).status).toBe("running");
    expect(await ws.registry.aliases("price")).toEqual({ champion: 1 });
    expect((await caught(ws.online.promote("price-canary"))).code).toBe("PRECONDITION");
    await ws.registry.approve("price@2", { actor: "lead" });
    const done = await ws.online.promote("price-canary", { actor: "lead", reason: "approved" });
    expect(done.action).toBe("promoted");
    expect(await ws.registry.aliases("price")).toEqual({ champion: 2 });
    expect((await ws.registry.aliasHistory("price", "champion", { limit: 1 }))[0]).toMatchObject({
      actor: "lead",
      reason: "approved",
    });
    trail = await ws.online.history("price-canary");
    expect(trail.map((e) => e.action)).toEqual(["started", "promotion_refused", "promotion_refused", "promoted"]);
  });

  it("rolls back on a named check (the monitor hook) and on a metric from feedback; holds while a check is missing", async () => {
    const clock = testClock();
    await using ws = await open({ clock });
    await setUpPrice(ws);
    const drift = await ws.online.canary("drift-canary", {
      stable: "price@champion",
      candidate: "price@2",
      steps: [50, 100],
      bakeMs: 0,
      rules: [{ kind: "check", name: "drift", params: { max: 0.1 } }],
      tickIntervalMs: false,
      pollIntervalMs: false,
    });
    await traffic(drift, 20);
    const held = await ws.online.tick("drift-canary");
    expect(held).toMatchObject({ action: "held", rules: [{ rule: "check:drift", status: "unavailable" }] });
    const seen: unknown[] = [];
    const off = ws.online.registerCheck("drift", (ctx) => {
      seen.push(ctx.params, ctx.candidate.calls > 0);
      return { pass: false, reason: `drift 0.3 > ${ctx.params.max}` };
    });
    const r = await ws.online.tick("drift-canary");
    expect(r).toMatchObject({ action: "rolled_back", reason: "check:drift: drift 0.3 > 0.1" });
    expect(seen).toEqual([{ max: 0.1 }, true]);
    off();

    const metric = await ws.online.canary("metric-canary", {
      stable: "price@champion",
      candidate: "price@2",
      steps: [50, 100],
      bakeMs: 10_000,
      rules: [{ kind: "metric", metric: "outcome", maxDropFromStable: 0.1, minSamples: 20 }],
      tickIntervalMs: false,
      pollIntervalMs: false,
    });
    for (const u of units(120)) {
      const p = await metric.predict([[1]], { unit: u });
      await metric.feedback(p.predictionId, { outcome: p.variant === "canary" ? 0.5 : 0.8 });
    }
    const m = await ws.online.tick("metric-canary");
    expect(m.action).toBe("rolled_back");
    expect(m.reason).toBe("metric:outcome: mean 0.5000 is 0.3000 below stable's 0.8000 (at most 0.1000)");
  });

  if (kind === "sqlite")
    it("continues its ramp after a restart, and two processes ticking at once advance it once", async () => {
      const dir = freshDir();
      const clock = testClock();
      const options = {
        stable: "price@champion",
        candidate: "price@2",
        steps: [10, 50, 100],
        bakeMs: 1_000,
        tickIntervalMs: false as const,
        pollIntervalMs: false as const,
        actor: "ci",
      };
      {
        await using ws = await open({ dir, clock });
        await setUpPrice(ws);
        await ws.online.canary("price-canary", options);
        clock.advance(1_000);
        expect(await ws.online.tick("price-canary")).toMatchObject({ action: "advanced", percent: 50 });
      }
      await using a = await open({ dir, clock });
      await using b = await open({ dir, clock });
      const attach = async (ws: Workspace) => {
        ws.registry.registerFunction(
          "scale",
          (s: { factor: number }) => (rows: number[][]) => rows.map(([x]) => x * s.factor),
        );
        return ws.online.open("price-canary", { tickIntervalMs: false, pollIntervalMs: false });
      };
      const [ra, rb] = [await attach(a), await attach(b)];
      expect(ra.currentWeights()).toEqual({ stable: 0.5, canary: 0.5 });
      // The step began before the restart: its bake time is counted from then.
      clock.advance(999);
      expect((await a.online.tick("price-canary")).action).toBe("held");
      clock.advance(1);
      const results = await Promise.all([a.online.tick("price-canary"), b.online.tick("price-canary")]);
      expect(results.map((r) => r.action).sort()).toEqual(["advanced", "held"]);
      expect((await a.online.history("price-canary")).filter((e) => e.action === "ramp_step").length).toBe(2);
      await rb.refresh();
      expect(rb.currentWeights()).toEqual({ stable: 0, canary: 1 });
      expect(ra.currentWeights()).toEqual({ stable: 0, canary: 1 });
      clock.advance(1_000);
      const finals = await Promise.all([b.online.tick("price-canary"), a.online.tick("price-canary")]);
      expect(finals.map((r) => r.action)).toContain("promoted");
      expect(await a.registry.aliases("price")).toEqual({ champion: 2 });
      const trail = await b.online.history("price-canary");
      expect(trail.map((e) => e.action)).toEqual(["started", "ramp_step", "ramp_step", "promoted"]);
      expect((await a.registry.aliasHistory("price", "champion")).length).toBe(2);
    });
});

import { describe, expect, it } from "vitest";
import { addPrice, caught, onlineWorkspaces, setUpPrice } from "./online-fixtures.js";

describe.each(onlineWorkspaces())("shadow on %s", (_kind, open) => {
  it("copies calls to the shadow after the primary answered; logs and compares its answers, never returns them", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const scorer = await ws.online.shadow("price-shadow", {
      primary: "price@champion",
      shadow: "price@2",
      pollIntervalMs: false,
    });
    for (let i = 0; i < 50; i++) {
      const p = await scorer.predict([[i]], { unit: `user-${i}` });
      expect(p).toMatchObject({ outputs: [i], variant: "primary", experiment: "price-shadow", version: 1 });
    }
    const report = await ws.online.shadowReport("price-shadow");
    expect(report).toMatchObject({
      experiment: "price-shadow",
      primaryCalls: 50,
      copies: 50,
      skipped: 0,
      answered: 50,
      failed: 0,
      timeouts: 0,
      compared: 50,
      numericCompared: 50,
    });
    // Outputs x (primary) and 2x (shadow): they agree only at 0, and differ by x on average.
    expect(report.agreementRate).toBeCloseTo(1 / 50, 12);
    expect(report.meanAbsoluteDifference).toBeCloseTo(24.5, 12);
    expect(report.latencyMs.shadow).toBeGreaterThanOrEqual(0);
    await ws.online.flush();
    const logged = async (variant: string) =>
      (await ws.serving.listPredictions({ deployment: `price-shadow/${variant}`, limit: 1000 })).predictions;
    const shadowRows = await logged("shadow");
    expect(shadowRows.length).toBe(50);
    expect(new Set(shadowRows.map((r) => r.variant))).toEqual(new Set(["shadow"]));
    expect(shadowRows.map((r) => r.outputs).sort((a, b) => (a as number[])[0] - (b as number[])[0])[3]).toEqual([6]);
    expect((await logged("primary")).length).toBe(50);
    // A shadow's traffic is not set by hand.
    expect((await caught(ws.online.setWeights("price-shadow", { primary: 1 }))).code).toBe("PRECONDITION");
  });

  it("copies a sampled share of units, each unit's calls all or none", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const scorer = await ws.online.shadow("price-shadow", {
      primary: "price@1",
      shadow: "price@2",
      sample: 0.3,
      compare: "labels",
      pollIntervalMs: false,
      deploy: { log: { enabled: false } },
    });
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 400; i++) await scorer.predict([[0]], { unit: `u-${i}` });
    const report = await ws.online.shadowReport("price-shadow");
    expect(report.copies % 2).toBe(0); // every copied unit twice
    expect(Math.abs(report.copies / 800 - 0.3)).toBeLessThan(0.06);
    expect(report).toMatchObject({ skipped: 0, agreementRate: 1, numericCompared: 0 });
  });

  it("never lets a failing or hanging shadow affect the caller", async () => {
    let release!: () => void;
    const hang = new Promise<void>((resolve) => (release = resolve));
    await using ws = await open();
    await setUpPrice(ws, { hang });
    const throwing = await addPrice(ws, { factor: 2, throws: true });
    const hanging = await addPrice(ws, { factor: 2, hang: true });
    const failing = await ws.online.shadow("failing", {
      primary: "price@1",
      shadow: `price@${throwing}`,
      pollIntervalMs: false,
    });
    for (let i = 0; i < 20; i++) expect((await failing.predict([[i]])).outputs).toEqual([i]);
    expect(await ws.online.shadowReport("failing")).toMatchObject({ copies: 20, answered: 0, failed: 20, timeouts: 0 });
    expect(failing.health()).toMatchObject({ served: 20, failed: 0 });
    expect(failing.health().lastError).toContain("the shadow model is broken");

    const slow = await ws.online.shadow("slow", {
      primary: "price@1",
      shadow: `price@${hanging}`,
      timeoutMs: 50,
      maxInFlight: 5,
      pollIntervalMs: false,
    });
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect((await slow.predict([[i]])).outputs).toEqual([i]);
    // The callers did not wait for the shadow: 20 answers well before one shadow timeout each.
    expect(performance.now() - started).toBeLessThan(20 * 50);
    const report = await ws.online.shadowReport("slow"); // waits for the copies in flight to time out
    expect(report.copies + report.skipped).toBe(20);
    expect(report.copies).toBeGreaterThanOrEqual(5);
    expect(report.skipped).toBeGreaterThan(0);
    expect(report).toMatchObject({ answered: 0, failed: report.copies, timeouts: report.copies });
    expect(slow.health()).toMatchObject({ served: 20, failed: 0 });
    release(); // the hung model calls finish, so closing drains
  });
});

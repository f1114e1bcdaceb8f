import { describe, expect, it } from "vitest";
import { z } from "zod";
import { evaluate, functionModel, type Workspace } from "../../src/index.js";
import { caught, listen, monitorWorkspaces, normal, seeded, testClock } from "./monitor-fixtures.js";

const MINUTE = 60_000;
const Rows = z.array(z.tuple([z.number(), z.number()])).min(1);

/** A `threshold` model: 1 when a·x + b·y > cut. */
async function setup(ws: Workspace) {
  ws.registry.registerFunction(
    "threshold",
    (s: { a: number; b: number; cut: number }) => (rows: [number, number][]) =>
      rows.map(([x, y]) => (s.a * x + s.b * y > s.cut ? 1 : 0)),
  );
  const signature = { inputs: Rows, outputs: z.array(z.number().int()) };
  const v1 = await ws.registry.register("risk", {
    model: functionModel("threshold", { a: 1, b: 1, cut: 0 }),
    signature,
  });
  await ws.registry.setAlias("risk", "champion", v1.version, { reason: "first" });
  const v2 = await ws.registry.register("risk", {
    model: functionModel("threshold", { a: 1, b: 0, cut: 2 }),
    signature,
  });
  return { v1, v2 };
}

/** Rows of two features around `mean`, with their true label. */
function traffic(seed: number, n: number, mean: number) {
  const rand = seeded(seed);
  return Array.from({ length: n }, () => {
    const x = normal(rand, mean, 1);
    const y = normal(rand, 0, 1);
    return { x, y, label: x + y + normal(rand, 0, 0.5) > 0 ? 1 : 0 };
  });
}

describe.each(monitorWorkspaces())("a monitor of a deployment (%s)", (_kind, open) => {
  it("reads the prediction log with its feedback: drift, quality, performance, latency, errors, throughput", async () => {
    const clock = testClock(10 * MINUTE);
    await using ws = await open({ clock });
    const { v1 } = await setup(ws);
    const risk = await ws.serving.deploy<[number, number][], number[]>("risk@champion", { name: "risk" });
    const monitor = await ws.monitors.open("risk", {
      deployment: "risk",
      features: ["x", "y"],
      label: "label",
      window: { ms: MINUTE },
      graceMs: 0,
      checkIntervalMs: false,
    });
    const reference = traffic(1, 600, 0);
    await monitor.setReference(
      { rows: reference.map((r) => ({ x: r.x, y: r.y, prediction: r.x + r.y > 0 ? 1 : 0 })) },
      { model: v1 },
    );
    // Window 10: 120 calls of one row, a third of them labelled later; two calls that fail validation.
    const rows = traffic(2, 120, 0);
    const labelled: Array<{ label: number; prediction: number }> = [];
    for (const [i, r] of rows.entries()) {
      clock.set(10 * MINUTE + i * 100);
      const p = await risk.predict([[r.x, r.y]]);
      if (i % 3 === 0) {
        await risk.feedback(p.predictionId, { label: [r.label] });
        labelled.push({ label: r.label, prediction: p.outputs[0] });
      }
    }
    await caught(risk.predict([["high", 1]] as never));
    await caught(risk.predict([[1]] as never));
    // Failed calls are sampled from the deployment's counters (every flushIntervalMs, and now).
    await monitor.flush();
    clock.set(11 * MINUTE);
    const closed = listen(ws, "monitor.window.closed");
    const [report] = await monitor.check();
    expect(report.window).toBe(10);
    expect(report.rows).toBe(120);
    expect(report.exact).toBe(true);
    expect(report.reference?.version).toBe(1);
    expect(report.model).toMatchObject({ model: "risk", version: 1 });
    // Same distribution as the reference: no drift; the predictions are compared too.
    expect(report.drift?.columns.map((c) => [c.column, c.method])).toEqual([
      ["x", "ks"],
      ["y", "ks"],
    ]);
    expect(report.drift?.drifted).toBe(false);
    expect(report.predictionDrift?.columns.map((c) => [c.column, c.method])).toEqual([["prediction", "z"]]);
    // Performance: the evaluation module's metrics of the labelled predictions.
    const expected = evaluate({
      task: "classification",
      yTrue: labelled.map((l) => l.label),
      yPred: labelled.map((l) => l.prediction),
    });
    expect(report.performance?.labelled).toBe(40);
    expect(report.performance?.metrics).toEqual(expected.metrics);
    // The service: calls, failed calls, latency percentiles of the logged calls, throughput.
    const { predictions } = await ws.serving.listPredictions({ deployment: "risk" });
    const latencies = predictions.map((p) => p.latencyMs).sort((a, b) => a - b);
    expect(report.service?.calls).toBe(120);
    expect(report.service?.errors).toBe(2);
    expect(report.service?.errorRate).toBeCloseTo(2 / 122, 12);
    expect(report.service?.latencyMs.max).toBe(latencies.at(-1));
    expect(report.service?.latencyMs.p50).toBeCloseTo((latencies[59] + latencies[60]) / 2, 9);
    expect(report.service?.callsPerSecond).toBe(2);
    const [stored] = await monitor.windows();
    expect(stored.figures).toMatchObject({
      rows: 120,
      calls: 120,
      errors: 2,
      labelled_rows: 40,
      dataset_drift: 0,
      "performance.accuracy_score": expected.metrics.accuracy_score,
      rows_per_second: 2,
    });
    expect(closed.map((e) => [e.monitor, e.window, e.rows])).toEqual([["risk", 10, 120]]);
    // A window is closed once: checking again closes nothing.
    expect(await monitor.check()).toEqual([]);
  });

  it("compares each window with the reference of the version that answered it, after a hot swap", async () => {
    const clock = testClock(0);
    await using ws = await open({ clock });
    const { v1, v2 } = await setup(ws);
    const risk = await ws.serving.deploy<[number, number][], number[]>("risk@champion", { name: "risk" });
    const monitor = await ws.monitors.open("risk", {
      deployment: "risk",
      features: ["x", "y"],
      predictions: [{ name: "prediction", drift: false }],
      window: { ms: MINUTE },
      graceMs: 0,
      checkIntervalMs: false,
    });
    const asRefRows = (rs: ReturnType<typeof traffic>) => rs.map((r) => ({ x: r.x, y: r.y }));
    await monitor.setReference({ rows: asRefRows(traffic(1, 500, 0)) }, { model: v1 });
    await monitor.setReference({ rows: asRefRows(traffic(3, 500, 2)) }, { model: v2 });
    const serve = async (window: number, mean: number) => {
      for (const [i, r] of traffic(10 + window, 100, mean).entries()) {
        clock.set(window * MINUTE + i * 10);
        await risk.predict([[r.x, r.y]]);
      }
    };
    // Window 0: v1 serves data like its reference. Window 1: the data moves (x around 2): drift.
    await serve(0, 0);
    await serve(1, 2);
    // The alias moves to v2, whose reference is the moved data: window 2 is compared with it.
    const swapped = new Promise((resolve) => ws.events.once("deployment.swapped", resolve));
    await ws.registry.setAlias("risk", "champion", v2.version, { reason: "retrained" });
    await swapped;
    await serve(2, 2);
    clock.set(3 * MINUTE);
    const reports = await monitor.check();
    expect(reports.map((r) => [r.window, r.model?.version, r.reference?.version, r.drift?.drifted])).toEqual([
      [0, 1, 1, false],
      [1, 1, 1, true],
      [2, 2, 2, false],
    ]);
    expect(reports[1].quality.find((q) => q.column === "x")?.outOfRange.count).toBeGreaterThan(0);
    // Rows that are not full payloads (sampled out) count as calls but give no rows.
    const sampled = await ws.serving.deploy<[number, number][], number[]>("risk@champion", {
      name: "risk-sampled",
      log: { sampleRate: 0, sampleSeed: 1 },
    });
    const other = await ws.monitors.open("sampled", {
      deployment: "risk-sampled",
      features: ["x", "y"],
      window: { ms: MINUTE },
      graceMs: 0,
      checkIntervalMs: false,
    });
    clock.set(5 * MINUTE);
    await sampled.predict([[0, 0]]);
    clock.set(6 * MINUTE);
    const [r] = await other.check();
    expect([r.rows, r.service?.calls]).toEqual([0, 1]);
    expect(r.notes.join(" ")).toMatch(/not kept/);
  });

  it("cuts count windows in log order, each going on from the last call of the one before", async () => {
    const clock = testClock(0);
    await using ws = await open({ clock });
    await setup(ws);
    const risk = await ws.serving.deploy<[number, number][], number[]>("risk@champion", { name: "risk" });
    const monitor = await ws.monitors.open("risk-count", {
      deployment: "risk",
      features: ["x", "y"],
      window: { rows: 50 },
      graceMs: 0,
      checkIntervalMs: false,
    });
    const rs = traffic(5, 130, 0);
    // Calls of 1, 2 or 3 rows: a window ends at the first call that brings it to 50 rows.
    const sizes: number[] = [];
    let t = 0;
    for (let i = 0; i < rs.length; ) {
      const size = Math.min(1 + (sizes.length % 3), rs.length - i);
      clock.set(++t);
      await risk.predict(rs.slice(i, i + size).map((r) => [r.x, r.y] as [number, number]));
      sizes.push(size);
      i += size;
    }
    const expected: number[] = [];
    let acc = 0;
    for (const s of sizes) {
      acc += s;
      if (acc >= 50) {
        expected.push(acc);
        acc = 0;
      }
    }
    clock.set(t + 1);
    const reports = await monitor.check();
    expect(reports.map((r) => r.rows)).toEqual(expected);
    expect(reports.map((r) => r.window)).toEqual([0, 1]);
    expect(await monitor.check()).toEqual([]);
    // The rest waits for more traffic; one-row calls then fill the third window to exactly 50.
    for (let k = 0; k < 60; k++) {
      clock.set(++t);
      await risk.predict([[0, 0]]);
    }
    clock.set(t + 1);
    const [third] = await monitor.check();
    expect([third.window, third.rows]).toEqual([2, 50]);
    expect(third.start).toBeGreaterThan(reports[1].end);
    expect((await monitor.latest())?.report.cursor).toMatchObject({ at: third.end });
  });
});

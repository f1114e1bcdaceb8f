import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  functionModel,
  lineageIds,
  type MonitorAlertEvent,
  openWorkspace,
  pipeline,
  step,
  type Workspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { listen, normal, seeded, testClock } from "./monitor-fixtures.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);

type Phase = "before" | "after";

/**
 * The world the model serves. Before the change, customers churn when x1 + x2 is high; after it,
 * x1 has moved up by two (a price change) and churn follows x2 − x1 / 2 instead: the inputs drift
 * and the champion's answers go wrong.
 */
function world(phase: Phase, seed: number, n: number) {
  const rand = seeded(seed);
  return Array.from({ length: n }, () => {
    const x1 = normal(rand, phase === "before" ? 0 : 2, 1);
    const x2 = normal(rand, 0, 1);
    const signal = phase === "before" ? x1 + x2 : x2 - x1 / 2 + 1;
    return { x1, x2, label: signal + normal(rand, 0, 0.3) > 0 ? 1 : 0 };
  });
}

type Linear = { w: [number, number]; b: number };
const predict = (m: Linear, x1: number, x2: number) => (m.w[0] * x1 + m.w[1] * x2 + m.b > 0 ? 1 : 0);

/** Logistic regression by gradient descent: deterministic for a given data set. */
function logisticRegression(x: [number, number][], y: number[]): Linear {
  let w0 = 0;
  let w1 = 0;
  let b = 0;
  for (let epoch = 0; epoch < 300; epoch++) {
    let g0 = 0;
    let g1 = 0;
    let gb = 0;
    for (let i = 0; i < x.length; i++) {
      const p = 1 / (1 + Math.exp(-(w0 * x[i][0] + w1 * x[i][1] + b)));
      g0 += (p - y[i]) * x[i][0];
      g1 += (p - y[i]) * x[i][1];
      gb += p - y[i];
    }
    w0 -= (0.5 * g0) / x.length;
    w1 -= (0.5 * g1) / x.length;
    b -= (0.5 * gb) / x.length;
  }
  return { w: [w0, w1], b };
}

const Rows = z.array(z.tuple([z.number(), z.number()])).min(1);
const Dataset = z.object({ x: z.array(z.tuple([z.number(), z.number()])), y: z.array(z.number()) });
const firstGate = { name: "first-model", thresholds: [{ metric: "accuracy_score", threshold: 0.7 }] };
const gate = {
  name: "beats-champion",
  thresholds: [{ metric: "accuracy_score", threshold: 0.7, minAbsoluteChange: 0.05 }],
};

/** The training pipeline of the loop: fresh data of the world as it is now → train → register, profile, gate, promote. */
function trainingPipeline(ws: Workspace) {
  const data = step({
    name: "fresh-data",
    version: "1",
    input: z.object({ phase: z.enum(["before", "after"]), seed: z.number() }),
    output: z.object({ train: Dataset, test: Dataset }),
    cache: false,
    run: async ({ phase, seed }) => {
      const rows = world(phase, seed, 1_000);
      const part = (test: boolean) => {
        const r = rows.filter((_, i) => (i % 4 === 0) === test);
        return { x: r.map((e) => [e.x1, e.x2] as [number, number]), y: r.map((e) => e.label) };
      };
      return { train: part(false), test: part(true) };
    },
  });
  const train = step({
    name: "train",
    version: "1",
    input: Dataset,
    output: z.object({ w: z.tuple([z.number(), z.number()]), b: z.number() }),
    run: async ({ x, y }) => logisticRegression(x, y),
  });
  const publish = step({
    name: "publish",
    version: "1",
    input: z.object({
      model: train.output,
      train: Dataset,
      test: Dataset,
      alert: z.string().optional(),
      reason: z.string(),
    }),
    output: z.object({
      version: z.number(),
      accuracy: z.number(),
      champion: z.number().optional(),
      promoted: z.boolean(),
    }),
    cache: false,
    run: async ({ model, train: trainSet, test, alert, reason }, ctx) => {
      const reg = ws.registry;
      const v = await reg.register("churn", {
        model: functionModel("linear", model),
        signature: { inputs: Rows, outputs: z.array(z.number().int()) },
        runId: ctx.run.id,
      });
      // The reference of this version: its training data with its own answers, for the monitor.
      const rows = trainSet.x.map(([x1, x2]) => ({ x1, x2, prediction: predict(model, x1, x2) }));
      await ws.monitors.get("churn").setReference({ rows, name: `train-${ctx.runId}` }, { model: v });
      const hasChampion = "champion" in (await reg.aliases("churn"));
      const r = await reg.evaluate(`churn@${v.version}`, {
        data: { inputs: test.x, yTrue: test.y },
        task: "classification",
        gate: hasChampion ? gate : firstGate,
        ...(hasChampion ? { baseline: "champion" } : {}),
        runId: ctx.run.id,
      });
      const accuracy = r.evaluation.metrics.accuracy_score;
      if (r.gateResult.passed)
        await reg.setAlias("churn", "champion", v.version, {
          actor: "churn-retrain",
          reason: alert ? `${reason}; passed ${gate.name}` : reason,
        });
      return {
        version: v.version,
        accuracy,
        ...(r.baselineEvaluation ? { champion: r.baselineEvaluation.metrics.accuracy_score } : {}),
        promoted: r.gateResult.passed,
      };
    },
  });
  return pipeline("churn-retrain", {
    params: z.object({
      phase: z.enum(["before", "after"]),
      seed: z.number(),
      alert: z.string().optional(),
      reason: z.string(),
    }),
  })
    .step("data", data, ({ params }) => ({ phase: params.phase, seed: params.seed }))
    .step("train", train, ({ data }) => data.train)
    .step("publish", publish, ({ train, data, params }) => ({
      model: train,
      train: data.train,
      test: data.test,
      ...(params.alert ? { alert: params.alert } : {}),
      reason: params.reason,
    }));
}

/** Runs the whole loop on a fresh SQLite workspace and tells what happened. */
async function runLoop(dir: string) {
  const clock = testClock(T0);
  await using ws = await openWorkspace(dir, { clock });
  ws.registry.registerFunction(
    "linear",
    (m: Linear) => (rows: [number, number][]) => rows.map(([x1, x2]) => predict(m, x1, x2)),
  );
  await ws.registry.createModel("churn", { description: "Will a customer leave?" });
  const monitor = await ws.monitors.open("churn", {
    deployment: "churn",
    features: ["x1", "x2"],
    label: "label",
    window: { ms: MINUTE },
    graceMs: 0,
    checkIntervalMs: false,
    rules: [
      { name: "drift", figure: "dataset_drift", threshold: 1, windows: 2, minRows: 50, severity: "critical" },
      { name: "accuracy", figure: "performance.accuracy_score", op: "<", threshold: 0.7, minRows: 20 },
    ],
  });
  const retrain = trainingPipeline(ws);

  // The champion: trained on the world before the change.
  const first = await ws.pipelines.run(retrain, { phase: "before", seed: 1, reason: "first model" });
  expect(first.outputs.publish).toMatchObject({ version: 1, promoted: true });
  await ws.registry.setPolicy("churn", "champion", { gate });
  const churn = await ws.serving.deploy<[number, number][], number[]>("churn@champion", { name: "churn" });

  // A monitor alert starts the training pipeline on fresh data, naming the alert.
  const trigger = ws.pipelines.onEvent(retrain, "monitor.alert", {
    filter: (a: MonitorAlertEvent) => a.monitor === "churn" && a.rule === "drift",
    params: (a: MonitorAlertEvent) => ({
      phase: "after" as const,
      seed: 2,
      alert: a.id,
      reason: `retrained on monitor alert ${a.id} (${a.rule} on ${a.monitor}, window ${a.window})`,
    }),
  });
  const alerts = listen(ws, "monitor.alert");
  const resolved = listen(ws, "monitor.resolved");
  const swaps = listen(ws, "deployment.swapped");

  // Traffic: four windows of the world before, then it changes. Labels arrive as feedback.
  const phases: Phase[] = ["before", "before", "before", "before", "after", "after", "after", "after"];
  const reports = [];
  for (const [w, phase] of phases.entries()) {
    for (const [i, r] of world(phase, 100 + w, 80).entries()) {
      clock.set(T0 + w * MINUTE + i * 500);
      const p = await churn.predict([[r.x1, r.x2]]);
      await churn.feedback(p.predictionId, { label: [r.label] });
    }
    clock.set(T0 + (w + 1) * MINUTE);
    reports.push(...(await monitor.check()));
    // An alert started a run: wait for it, and for the swap when the candidate passed the gate.
    if (trigger.started + trigger.queued > 0 || alerts.length > swaps.length) {
      await trigger.idle();
      const promoted = trigger.runIds.length
        ? (await ws.pipelines.output(retrain, trigger.runIds.at(-1) as string, "publish")).promoted
        : false;
      if (promoted && swaps.length === 0) await new Promise((resolve) => ws.events.once("deployment.swapped", resolve));
    }
  }
  trigger.stop();
  const history = await ws.registry.aliasHistory("churn", "champion");
  const stored = await ws.monitors.alerts({ monitor: "churn" });
  const runs = await ws.pipelines.list({ pipeline: "churn-retrain" });
  const profile2 = await ws.lineage.upstream(
    { kind: "artifact", externalId: lineageIds.referenceProfile("churn", 2) },
    { maxHops: 2 },
  );
  const prometheus = await ws.monitors.prometheus();
  return { reports, alerts, resolved, swaps, history, stored, runs, trigger, profile2, prometheus };
}

describe("the loop on the SQLite workspace", () => {
  it("drift → alert → retrain on fresh data → gate → promotion naming the alert → hot swap → the monitor goes on with the new reference and the alert resolves", async () => {
    const dir = tempDir("mlcycle-loop-");
    const run = await runLoop(join(dir, "first"));
    const { reports, alerts, resolved, swaps, history, stored, runs, trigger } = run;
    const W0 = T0 / MINUTE; // windows are numbered from the epoch
    const byWindow = reports.map((r) => ({
      window: r.window - W0,
      version: r.model?.version,
      reference: r.reference?.version,
      drift: r.drift?.drifted,
      accuracy: r.performance?.metrics.accuracy_score,
    }));
    // Windows 0–3: the champion on the world it learned. 4–5: the world changed: drift, twice.
    expect(byWindow.slice(0, 6).map((w) => [w.window, w.version, w.reference, w.drift])).toEqual([
      [0, 1, 1, false],
      [1, 1, 1, false],
      [2, 1, 1, false],
      [3, 1, 1, false],
      [4, 1, 1, true],
      [5, 1, 1, true],
    ]);
    for (const w of byWindow.slice(0, 4)) expect(w.accuracy).toBeGreaterThan(0.85);
    for (const w of byWindow.slice(4, 6)) expect(w.accuracy).toBeLessThan(0.7);
    // The drift rule held for two windows: one alert, at window 5, that started one retrain.
    const drift = alerts.filter((a) => a.rule === "drift");
    expect(drift.map((a) => [a.window - W0, a.figure, a.value, a.severity, a.model?.version])).toEqual([
      [5, "dataset_drift", 1, "critical", 1],
    ]);
    expect(trigger.started).toBe(1);
    const retrainRun = runs.find((r) => r.id === trigger.runIds[0]);
    expect(retrainRun?.status).toBe("succeeded");
    expect(retrainRun?.trigger).toBe("event:monitor.alert");
    // The gate compared the candidate with the champion on fresh data; the alias moved with a reason naming the alert.
    const move = history[0]; // newest first
    expect(move).toMatchObject({ action: "set", from: 1, to: 2, actor: "churn-retrain" });
    expect(move?.reason).toContain(`monitor alert ${drift[0].id}`);
    expect(move?.reason).toContain("passed beats-champion");
    expect(swaps.map((s) => [s.deployment, s.from, s.to])).toEqual([["churn", 1, 2]]);
    // From window 6 the new champion answers; its reference is its own training data: no drift, the alert resolves.
    expect(byWindow.slice(6).map((w) => [w.window, w.version, w.reference, w.drift])).toEqual([
      [6, 2, 2, false],
      [7, 2, 2, false],
    ]);
    for (const w of byWindow.slice(6)) expect(w.accuracy).toBeGreaterThan(0.85);
    expect(resolved.filter((r) => r.rule === "drift").map((r) => [r.id, r.window - W0])).toEqual([[drift[0].id, 6]]);
    const storedDrift = stored.filter((a) => a.rule === "drift");
    expect(storedDrift.map((a) => [a.status, a.window - W0, a.lastWindow - W0, (a.resolvedWindow ?? 0) - W0])).toEqual([
      ["resolved", 5, 5, 6],
    ]);
    // The accuracy rule saw the champion go wrong (window 4) and the new one put it right (window 6).
    expect(
      stored.filter((a) => a.rule === "accuracy").map((a) => [a.window - W0, (a.resolvedWindow ?? 0) - W0]),
    ).toEqual([[4, 6]]);
    // The new reference is linked in lineage to the version it describes.
    expect(run.profile2.nodes.map((n) => `${n.type}:${n.name}`)).toEqual(
      expect.arrayContaining(["profiling:churn", "model_version:churn/2"]),
    );
    expect(run.prometheus).toContain('mlcycle_monitor_dataset_drift{monitor="churn",deployment="churn"} 0');

    // Deterministic: the same seeds and clock give the same windows and verdicts again.
    const again = await runLoop(join(dir, "second"));
    const figures = (rs: typeof reports) =>
      rs.map((r) => ({
        drift: r.drift,
        predictionDrift: r.predictionDrift,
        quality: r.quality,
        performance: r.performance,
      }));
    expect(figures(again.reports)).toEqual(figures(reports));
    expect(again.history[0]?.reason?.replace(/[0-9A-Z]{26}/g, "ID")).toBe(move?.reason?.replace(/[0-9A-Z]{26}/g, "ID"));
  });
});

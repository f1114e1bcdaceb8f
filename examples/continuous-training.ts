// Continuous training on a schedule: a cron trigger runs the training pipeline on each night's fresh
// data; the candidate is evaluated against the champion on the same rows and a gate decides; when it
// passes, the champion alias moves (an audit record says why) and the running deployment hot-swaps
// to the new version without dropping a call. A monitor's drift alert can start the same pipeline:
// `ws.pipelines.onEvent(retrain, "monitor.alert", …)` (docs/monitoring.md, `npm run demo`).
// Run with `npm run example:continuous-training` (or `npx tsx examples/continuous-training.ts`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { functionModel, type Gate, openWorkspace, pipeline, seededRandom, step } from "../src/index.js";

/** The market: a room is worth 50 until the night of day 2, when prices jump to 62 a room. */
const pricePerRoom = (day: number) => (day < 2 ? 50 : 62);

/** A night's fresh labelled sales: rooms → price, with noise; the same rows for the same day. */
function sales(day: number, n: number, seed: number) {
  const random = seededRandom(day * 1_000 + seed);
  const x = Array.from({ length: n }, () => [1 + Math.floor(random() * 6)]);
  const y = x.map(([rooms]) => rooms! * pricePerRoom(day) + (random() - 0.5) * 40);
  return { x, y };
}

const Data = z.object({ x: z.array(z.array(z.number())), y: z.array(z.number()) });

const fetchSales = step({
  name: "fetch-sales",
  version: "1",
  input: z.object({ day: z.number().int() }),
  output: z.object({ train: Data, test: Data }),
  run: ({ day }) => ({ train: sales(day, 200, 1), test: sales(day, 100, 2) }),
});

/** Least squares through the origin: price = slope × rooms. */
const fit = step({
  name: "fit",
  version: "1",
  input: Data,
  output: z.object({ slope: z.number() }),
  run: ({ x, y }) => {
    const xy = x.reduce((s, [rooms], i) => s + rooms! * y[i]!, 0);
    const xx = x.reduce((s, [rooms]) => s + rooms! * rooms!, 0);
    return { slope: xy / xx };
  },
});

/** The first model must be good enough; every later one must also be 5% better than the champion. */
const firstModel: Gate = {
  name: "good-enough",
  thresholds: [{ metric: "mean_absolute_error", greaterIsBetter: false, threshold: 25 }],
};
const beatsChampion: Gate = {
  name: "beats-champion",
  thresholds: [{ metric: "mean_absolute_error", greaterIsBetter: false, threshold: 25, minRelativeChange: 0.05 }],
};

const publish = step({
  name: "register-gate-promote",
  version: "1",
  input: z.object({ slope: z.number(), test: Data, day: z.number().int() }),
  output: z.object({ version: z.number(), mae: z.number(), championMae: z.number().optional(), promoted: z.boolean() }),
  cache: false, // registering is a side effect
  run: async ({ slope, test, day }, ctx) => {
    const registry = ctx.workspace.registry;
    const v = await registry.register("price", {
      model: functionModel("per-room", { slope }),
      runId: ctx.run.id,
      pipelineRunId: ctx.runId,
      step: ctx.stepName,
    });
    const champion = (await registry.aliases("price")).champion;
    const gate = champion === undefined ? firstModel : beatsChampion;
    // Candidate and champion predict the same fresh rows; the result is stored with the version.
    const r = await registry.evaluate(`price@${v.version}`, {
      data: { inputs: test.x, yTrue: test.y },
      task: "regression",
      gate,
      ...(champion !== undefined ? { baseline: "champion" } : {}),
      runId: ctx.run.id,
    });
    const mae = r.evaluation.metrics.mean_absolute_error!;
    const championMae = r.baselineEvaluation?.metrics.mean_absolute_error;
    if (r.gateResult.passed)
      await registry.setAlias("price", "champion", v.version, {
        actor: "nightly-retrain",
        reason: `day ${day}: passed ${gate.name}, MAE ${mae.toFixed(1)}${championMae ? ` vs ${championMae.toFixed(1)}` : ""}`,
      });
    return { version: v.version, mae, promoted: r.gateResult.passed, ...(championMae ? { championMae } : {}) };
  },
});

const retrain = pipeline("price-retrain", { params: z.object({ day: z.number().int() }) })
  .step("data", fetchSales, ({ params }) => ({ day: params.day }))
  .step("fit", fit, ({ data }) => data.train)
  .step("publish", publish, ({ fit, data, params }) => ({ slope: fit.slope, test: data.test, day: params.day }));

/** One scheduled night, for the example's test. */
export interface Night {
  day: number;
  version: number;
  mae: number;
  championMae?: number;
  promoted: boolean;
  /** The version the deployment answered with after the night. */
  served: number;
}

/**
 * Trains the first model, serves it, then lets the schedule retrain `nights` times. In production
 * the pattern would be `"0 3 * * *"` (03:00 every night); here a night lasts two seconds (croner's
 * six-field patterns count seconds).
 */
export async function main({ cron = "*/2 * * * * *", nights = 3, print = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-continuous-"));
  const ws = await openWorkspace(dir);
  try {
    ws.registry.registerFunction(
      "per-room",
      (s: { slope: number }) => (rows: number[][]) => rows.map(([rooms]) => rooms! * s.slope),
    );
    const first = await ws.pipelines.run(retrain, { day: 0 });
    print(`day 0: price@${first.outputs.publish?.version} trained by hand, champion`);
    // From now on the alias refuses a version without a passing beats-champion evaluation.
    await ws.registry.setPolicy("price", "champion", { gate: beatsChampion });

    // The deployment follows the alias: when `champion` moves it loads the new version and swaps.
    const deployment = await ws.serving.deploy<number[][], number[]>("price@champion", { pollIntervalMs: false });
    const swapped: number[] = [];
    ws.events.on("deployment.swapped", (e) => swapped.push(e.to));

    let day = 0;
    const finished: string[] = [];
    let wake: (() => void) | undefined;
    let failed: string | undefined;
    ws.events.on("pipeline.run.finished", (e) => {
      finished.push(e.runId);
      wake?.();
    });
    ws.events.on("pipeline.run.failed", (e) => {
      failed = `run ${e.runId} failed in ${e.failedSteps.join(", ")}: ${e.error}`;
      wake?.();
    });
    const trigger = ws.pipelines.schedule(retrain, { cron, params: () => ({ day: ++day }) });
    print(`schedule ${cron}: next run ${trigger.nextRun()?.toISOString()}`);

    const seen: Night[] = [];
    while (seen.length < nights) {
      if (finished.length === 0 && !failed) await new Promise<void>((resolve) => (wake = resolve));
      if (failed) throw new Error(failed);
      const runId = finished.shift() as string;
      const { run } = await ws.pipelines.get(runId);
      const out = await ws.pipelines.output(retrain, runId, "publish");
      if (out.promoted && !swapped.includes(out.version))
        await new Promise((resolve) => ws.events.once("deployment.swapped", resolve));
      const answer = await deployment.predict([[3]]); // traffic goes on; which version answers?
      const night: Night = { day: (run.params as { day: number }).day, ...out, served: answer.version };
      seen.push(night);
      print(
        `day ${night.day}: candidate price@${out.version} MAE ${out.mae.toFixed(1)} vs champion ` +
          `${out.championMae?.toFixed(1)} → ${out.promoted ? "promoted, deployment swapped" : "rejected"}; ` +
          `3 rooms → ${answer.outputs[0]?.toFixed(0)} by v${answer.version}`,
      );
    }
    trigger.stop();
    for (const m of (await ws.registry.aliasHistory("price", "champion")).reverse())
      print(`audit: champion ${m.from ?? "-"} → ${m.to} by ${m.actor}: ${m.reason ?? ""}`);
    return seen;
  } finally {
    await ws.close(); // waits for a run in progress, closes the deployment
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

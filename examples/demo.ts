/**
 * The whole loop on the embedded default (SQLite file + artifact folder in ./.mlcycle/demo):
 *
 *   features → point-in-time training set → typed pipeline (train, register, gate against the
 *   champion, promote) → online features + the champion answer requests → new data arrives → a
 *   trigger retrains → the gate passes → the alias moves → the deployment hot-swaps → lineage
 *   traces the champion back to its step runs, training set and feature views.
 *
 *   npm run demo
 */
import { rmSync } from "node:fs";
import { z } from "zod";
import { functionModel, openWorkspace, pipeline, step } from "../src/index.js";

const DIR = "./.mlcycle/demo";
rmSync(DIR, { recursive: true, force: true }); // the demo starts from nothing each time
await using ws = await openWorkspace(DIR);

const DAY = 86_400_000;
// Day 0 is 90 days ago, so the newest data of the story (day 84) is fresh today.
const T0 = Date.now() - 90 * DAY;

// ---------------------------------------------------------------- a small world to learn from
// 400 customers with a hidden engagement level. Until day 60, customers who use the product little
// churn; from day 60 on a price change makes big spenders churn too: the data drifts.
let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const customers = Array.from({ length: 400 }, (_, id) => ({ id, engagement: rand(), budget: rand() }));
function activity(day: number) {
  return customers.map((c) => ({
    customer_id: c.id,
    event_timestamp: T0 + day * DAY,
    sessions_7d: Math.max(0, Math.round(20 * c.engagement + 4 * (rand() - 0.5))),
    spend_30d: Math.max(0, Math.round(100 * c.budget + 10 * (rand() - 0.5))),
  }));
}
function churned(c: (typeof customers)[number], day: number): number {
  const risk = day < 60 ? 1 - c.engagement : Math.max(1 - c.engagement, c.budget) - 0.15;
  return risk + 0.2 * (rand() - 0.5) > 0.55 ? 1 : 0;
}

// ---------------------------------------------------------------- features
await ws.features.applyEntity({ name: "customer", joinKeys: { customer_id: "int" } });
await ws.features.applyFeatureView({
  name: "customer_activity",
  entities: ["customer"],
  schema: z.object({ sessions_7d: z.number().int().min(0), spend_30d: z.number().min(0) }),
  ttlMs: 60 * DAY, // older values are not features any more: null in training sets and online reads
  owner: "growth-team",
});
await ws.features.applyFeatureService({
  name: "churn_v1",
  features: ["customer_activity:sessions_7d", "customer_activity:spend_30d"],
});
for (const day of [0, 14, 28, 42]) await ws.features.ingest("customer_activity", activity(day));
console.log("features: 4 weekly snapshots of 400 customers ingested");

// ---------------------------------------------------------------- the model: logistic regression
type Model = { w: number[]; b: number; mean: number[]; std: number[] };
ws.registry.registerFunction(
  "logistic",
  (m: Model) => (rows: number[][]) =>
    rows.map((r) => {
      const z = r.reduce((s, x, i) => s + m.w[i]! * ((x - m.mean[i]!) / m.std[i]!), m.b);
      return 1 / (1 + Math.exp(-z)) > 0.5 ? 1 : 0;
    }),
);
const Rows = z.array(z.tuple([z.number(), z.number()])).min(1);
const Dataset = z.object({ x: z.array(z.array(z.number())), y: z.array(z.number()) });
// The first model must clear 70% accuracy; every later one must also beat the champion by a point.
const firstGate = { name: "first-model", thresholds: [{ metric: "accuracy_score", threshold: 0.7 }] };
const gate = {
  name: "beats-champion",
  thresholds: [{ metric: "accuracy_score", threshold: 0.7, minAbsoluteChange: 0.01 }],
};
await ws.registry.createModel("churn", { description: "Will a customer leave within 30 days?" });

// ---------------------------------------------------------------- the training pipeline
const buildSet = step({
  name: "build-training-set",
  version: "1",
  input: z.object({ day: z.number(), service: z.string() }),
  output: z.object({ train: Dataset, test: Dataset, digest: z.string() }),
  // It reads live feature data, which its input does not describe: caching it could be wrong.
  cache: false,
  run: async ({ day, service }, ctx) => {
    const labels = customers.map((c) => ({
      customer_id: c.id,
      event_timestamp: T0 + day * DAY,
      churned: churned(c, day),
    }));
    const set = await ctx.workspace.features.getHistoricalFeatures({ entityRows: labels, features: { service } });
    const rows = set.rows.filter((r) => r.sessions_7d !== null && r.spend_30d !== null);
    const pick = (test: boolean) => {
      const part = rows.filter((r) => (Number(r.customer_id) % 4 === 0) === test);
      return {
        x: part.map((r) => [Number(r.sessions_7d), Number(r.spend_30d)]),
        y: part.map((r) => Number(r.churned)),
      };
    };
    ctx.log.info("training set", { rows: rows.length, digest: set.digest });
    // Link the training set (itself derived from the feature views) into this step run's lineage.
    if (set.artifactId)
      await ctx.workspace.lineage.recordExecution({
        type: "step_run",
        name: ctx.stepName,
        externalId: `step_run:${ctx.runId}/${ctx.stepName}`,
        inputs: [{ artifact: set.artifactId, slot: "training_set" }],
      });
    return { train: pick(false), test: pick(true), digest: set.digest };
  },
});

const train = step({
  name: "train",
  version: "1",
  input: z.object({ data: Dataset, epochs: z.number().int(), lr: z.number() }),
  output: z.object({ w: z.array(z.number()), b: z.number(), mean: z.array(z.number()), std: z.array(z.number()) }),
  run: async ({ data, epochs, lr }, ctx) => {
    const d = data.x[0]!.length;
    const mean = Array.from({ length: d }, (_, j) => data.x.reduce((s, r) => s + r[j]!, 0) / data.x.length);
    const std = mean.map((m, j) => Math.sqrt(data.x.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / data.x.length) || 1);
    const xs = data.x.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));
    const w = new Array<number>(d).fill(0);
    let b = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const gw = new Array<number>(d).fill(0);
      let gb = 0;
      let loss = 0;
      xs.forEach((r, i) => {
        const p = 1 / (1 + Math.exp(-r.reduce((s, x, j) => s + w[j]! * x, b)));
        const y = data.y[i]!;
        loss -= y * Math.log(p + 1e-12) + (1 - y) * Math.log(1 - p + 1e-12);
        for (let j = 0; j < d; j++) gw[j]! += (p - y) * r[j]!;
        gb += p - y;
      });
      for (let j = 0; j < d; j++) w[j]! -= (lr * gw[j]!) / xs.length;
      b -= (lr * gb) / xs.length;
      if (epoch % 50 === 0) ctx.run.logMetric("train_log_loss", loss / xs.length, { step: epoch });
    }
    return { w, b, mean, std };
  },
});

const publish = step({
  name: "register-and-gate",
  version: "1",
  input: z.object({ model: train.output, test: Dataset, digest: z.string() }),
  output: z.object({
    version: z.number(),
    accuracy: z.number(),
    champion: z.number().optional(),
    promoted: z.boolean(),
  }),
  cache: false, // registering is a side effect
  run: async ({ model, test, digest }, ctx) => {
    const reg = ctx.workspace.registry;
    const v = await reg.register("churn", {
      model: functionModel("logistic", model),
      signature: { inputs: Rows },
      runId: ctx.run.id,
      pipelineRunId: ctx.runId,
      step: ctx.stepName,
      featureService: "churn_v1",
      tags: { training_set: digest.slice(0, 12) },
    });
    const hasChampion = "champion" in (await reg.aliases("churn"));
    const r = await reg.evaluate(`churn@${v.version}`, {
      data: { inputs: test.x, yTrue: test.y }, // the candidate and the champion predict the same rows
      task: "classification",
      gate: hasChampion ? gate : firstGate,
      ...(hasChampion ? { baseline: "champion" } : {}),
      runId: ctx.run.id,
    });
    const accuracy = r.evaluation.metrics.accuracy_score!;
    const champion = r.baselineEvaluation?.metrics.accuracy_score;
    if (r.gateResult.passed)
      await reg.setAlias("churn", "champion", v.version, {
        actor: "churn-train",
        reason: `accuracy ${accuracy.toFixed(3)}`,
      });
    return { version: v.version, accuracy, champion, promoted: r.gateResult.passed };
  },
});

const training = pipeline("churn-train", {
  params: z.object({ day: z.number(), epochs: z.number().int().default(300), lr: z.number().default(0.5) }),
})
  .step("data", buildSet, ({ params }) => ({ day: params.day, service: "churn_v1" }))
  .step("train", train, ({ data, params }) => ({ data: data.train, epochs: params.epochs, lr: params.lr }))
  .step("publish", publish, ({ train, data }) => ({ model: train, test: data.test, digest: data.digest }));

console.log(`\n${training.graph().toString()}\n`);
ws.events.on("pipeline.step.finished", (e) => console.log(`  step ${e.step}: ${e.status} in ${e.durationMs} ms`));

const first = await ws.pipelines.run(training, { day: 50 });
const p1 = first.outputs.publish!;
console.log(`run 1 ${first.status}: churn@${p1.version} accuracy ${p1.accuracy.toFixed(3)}, promoted: ${p1.promoted}`);
// From now on the champion alias refuses any version without a passing "beats-champion" result.
await ws.registry.setPolicy("churn", "champion", { gate });

// ---------------------------------------------------------------- serving: the champion, deployed
await ws.features.materializeIncremental();
// The deployment follows the alias: when the champion moves it loads the new version and swaps.
// Calls by customer id read the version's feature service (churn_v1) online; a missing value counts as 0.
const churn = await ws.serving.deploy<number[][], number[]>("churn@champion", {
  features: { toInputs: (rows, columns) => rows.map((r) => columns.map((c) => Number(r[c]))) },
});
ws.events.on("deployment.swapped", (e) => console.log(`  serving: champion moved v${e.from} → v${e.to}, swapped`));
async function score(ids: number[]) {
  const p = await churn.predictEntities(ids.map((customer_id) => ({ customer_id })));
  const stale = p.features.rows.filter((r) => r.status.sessions_7d !== "present").length;
  return { version: p.version, churn: p.outputs, stale };
}
console.log("serving customers 1-5:", await score([1, 2, 3, 4, 5]));

// ---------------------------------------------------------------- continuous training
// New data arrives; the ingestion event starts the training pipeline (queued, never overlapping).
const swapped = new Promise<void>((resolve) => {
  const off = ws.events.on("deployment.swapped", () => {
    off();
    resolve();
  });
});
const retrain = ws.pipelines.onEvent(training, "features.ingested", {
  filter: (e) => e.view === "customer_activity",
  params: () => ({ day: 85 }),
  overlap: "queue",
});
await ws.features.ingest("customer_activity", [56, 70, 84].flatMap(activity));
await new Promise((r) => setTimeout(r, 10));
await retrain.idle();
retrain.stop();
const latest = await ws.pipelines.output(training, retrain.runIds.at(-1)!, "publish");
console.log(
  `retrain runs: ${retrain.started} started, ${retrain.queued} queued, ${retrain.skipped} skipped; last: churn@${latest.version}` +
    ` accuracy ${latest.accuracy.toFixed(3)} vs champion ${latest.champion?.toFixed(3)} → promoted: ${latest.promoted}`,
);
await ws.features.materializeIncremental();
if (latest.promoted) await swapped;
console.log("serving customers 1-5:", await score([1, 2, 3, 4, 5]));
await churn.flush();
const logged = (await ws.serving.listPredictions({ deployment: churn.name })).predictions;
console.log(`prediction log: ${logged.map((p) => `${p.rows} rows by v${p.version}`).join(", ")}`);

// ---------------------------------------------------------------- audit, search, lineage
for (const m of await ws.registry.aliasHistory("churn", "champion"))
  console.log(`  audit: ${m.action} champion ${m.from ?? "-"} → ${m.to} by ${m.actor} (${m.reason})`);
const { runs } = await ws.experiments.searchRuns({
  experiments: ["churn-train"],
  filter: "metrics.accuracy_score >= 0.7 and attributes.status = 'finished'",
  orderBy: ["metrics.accuracy_score DESC"],
});
console.log(
  `tracking: ${runs.length} step runs with accuracy ≥ 0.7; best ${runs[0]?.metrics.accuracy_score?.toFixed(3)}`,
);

const champion = await ws.registry.getVersion("churn@champion");
const up = await ws.lineage.upstream({ kind: "artifact", externalId: `model_version:churn/${champion.version}` });
console.log(`lineage of churn@${champion.version}:`);
for (const n of up.nodes.sort((a, b) => a.hops - b.hops))
  console.log(`  ${"  ".repeat(n.hops)}${n.kind} ${n.type} ${n.name}`);

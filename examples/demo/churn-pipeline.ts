/**
 * The demo's training pipeline: a point-in-time training set from the feature store → logistic
 * regression → register the version, give the monitor its reference (the training set as this version
 * answers it), gate it against the champion on the same fresh test rows, and move the champion
 * alias when it passes — with a reason that names the monitor alert that started the run.
 */
import { z } from "zod";
import { functionModel, type Monitor, pipeline, step, type TrainingSet, type Workspace } from "../../src/index.js";
import { customers, churned } from "./world.js";

/** The model: logistic regression on standardised features. */
export interface LogisticModel {
  w: number[];
  b: number;
  mean: number[];
  std: number[];
}

/** The model's answers: 1 when it expects the customer to churn. */
export function predictChurn(m: LogisticModel, rows: number[][]): number[] {
  return rows.map((r) => {
    const z = r.reduce((s, x, i) => s + m.w[i]! * ((x - m.mean[i]!) / m.std[i]!), m.b);
    return 1 / (1 + Math.exp(-z)) > 0.5 ? 1 : 0;
  });
}

/** Registers the model's code under the name its versions are saved with (`functionModel("logistic", …)`). */
export function registerChurnModel(ws: Workspace): void {
  ws.registry.registerFunction("logistic", (m: LogisticModel) => (rows: number[][]) => predictChurn(m, rows));
}

/** The feature service's columns, in the order the model takes them. */
export const FEATURES = ["sessions_7d", "spend_30d"] as const;
const SERVICE = "churn_v1";

/** The first model must clear 75% accuracy; every later one must also beat the champion by a point. */
export const firstGate = { name: "first-model", thresholds: [{ metric: "accuracy_score", threshold: 0.75 }] };
export const gate = {
  name: "beats-champion",
  thresholds: [{ metric: "accuracy_score", threshold: 0.75, minAbsoluteChange: 0.01 }],
};

const Rows = z.array(z.tuple([z.number(), z.number()])).min(1);
const Dataset = z.object({ x: z.array(z.array(z.number())), y: z.array(z.number()) });
const SetInfo = z.object({
  name: z.string(),
  digest: z.string(),
  features: z.array(z.string()),
  artifactId: z.string().optional(),
});

const buildSet = step({
  name: "build-training-set",
  version: "1",
  input: z.object({ at: z.number(), service: z.string() }),
  output: z.object({ train: Dataset, test: Dataset, set: SetInfo }),
  // It reads live feature data, which its input does not describe: caching it could be wrong.
  cache: false,
  run: async ({ at, service }, ctx) => {
    const labels = customers.map((c) => ({ customer_id: c.id, event_timestamp: at, churned: churned(c, at) }));
    const set = await ctx.workspace.features.getHistoricalFeatures({ entityRows: labels, features: { service } });
    const rows = set.rows.filter((r) => FEATURES.every((f) => r[f] !== null));
    const pick = (test: boolean) => {
      const part = rows.filter((r) => (Number(r.customer_id) % 4 === 0) === test);
      return { x: part.map((r) => FEATURES.map((f) => Number(r[f]))), y: part.map((r) => Number(r.churned)) };
    };
    // Link the training set (itself derived from the feature views) into this step run's lineage.
    if (set.artifactId)
      await ctx.workspace.lineage.recordExecution({
        type: "step_run",
        name: ctx.stepName,
        externalId: `step_run:${ctx.runId}/${ctx.stepName}`,
        inputs: [{ artifact: set.artifactId, slot: "training_set" }],
      });
    return {
      train: pick(false),
      test: pick(true),
      set: {
        name: set.name,
        digest: set.digest,
        features: set.features,
        ...(set.artifactId ? { artifactId: set.artifactId } : {}),
      },
    };
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

/** Registers, sets `monitor`'s reference for the new version, gates, promotes. */
const publishStep = (monitor: Monitor) =>
  step({
    name: "register-and-gate",
    version: "1",
    input: z.object({
      model: train.output,
      train: Dataset,
      test: Dataset,
      set: SetInfo,
      alert: z.string().optional(),
      reason: z.string(),
    }),
    output: z.object({
      version: z.number(),
      digest: z.string(),
      accuracy: z.number(),
      champion: z.object({ version: z.number(), accuracy: z.number() }).optional(),
      gate: z.string(),
      promoted: z.boolean(),
      reference: z.object({ version: z.number(), digest: z.string() }),
    }),
    cache: false, // registering is a side effect
    run: async ({ model, train: trainSet, test, set, reason }, ctx) => {
      const ws = ctx.workspace;
      const reg = ws.registry;
      const v = await reg.register("churn", {
        model: functionModel("logistic", model),
        signature: { inputs: Rows },
        runId: ctx.run.id,
        pipelineRunId: ctx.runId,
        step: ctx.stepName,
        featureService: SERVICE,
        tags: { training_set: set.digest.slice(0, 12) },
      });
      // The monitor's reference for this version: its training set, with this version's answers.
      const x = [...trainSet.x, ...test.x];
      const answers = predictChurn(model, x);
      const trainingSet: TrainingSet = {
        name: set.name,
        digest: set.digest,
        features: set.features,
        columns: [...FEATURES],
        rows: x.map(([sessions, spend], i) => ({ sessions_7d: sessions, spend_30d: spend, prediction: answers[i] })),
        ...(set.artifactId ? { artifactId: set.artifactId } : {}),
      };
      const reference = await monitor.setReference({ trainingSet }, { model: v });

      const current = (await reg.aliases("churn")).champion;
      const r = await reg.evaluate(`churn@${v.version}`, {
        data: { inputs: test.x, yTrue: test.y }, // the candidate and the champion predict the same rows
        task: "classification",
        gate: current !== undefined ? gate : firstGate,
        ...(current !== undefined ? { baseline: "champion" } : {}),
        runId: ctx.run.id,
      });
      const accuracy = r.evaluation.metrics.accuracy_score!;
      const baseline = r.baselineEvaluation?.metrics.accuracy_score;
      const gateName = current !== undefined ? gate.name : firstGate.name;
      if (r.gateResult.passed)
        await reg.setAlias("churn", "champion", v.version, {
          actor: "churn-train",
          reason:
            `${reason}; passed ${gateName}: accuracy ${accuracy.toFixed(3)}` +
            (baseline !== undefined ? ` vs ${baseline.toFixed(3)}` : ""),
        });
      return {
        version: v.version,
        digest: v.digest,
        accuracy,
        ...(current !== undefined && baseline !== undefined
          ? { champion: { version: current, accuracy: baseline } }
          : {}),
        gate: gateName,
        promoted: r.gateResult.passed,
        reference: { version: reference.version, digest: reference.digest },
      };
    },
  });

/**
 * The pipeline, for the monitor each new version gives its reference to: `at` is when the labels are
 * read (fresh data: now); `alert` and `reason` say why it runs.
 */
export const churnPipeline = (monitor: Monitor) =>
  pipeline("churn-train", {
    params: z.object({
      at: z.number(),
      alert: z.string().optional(),
      reason: z.string(),
      epochs: z.number().int().default(300),
      lr: z.number().default(0.5),
    }),
  })
    .step("data", buildSet, ({ params }) => ({ at: params.at, service: SERVICE }))
    .step("train", train, ({ data, params }) => ({ data: data.train, epochs: params.epochs, lr: params.lr }))
    .step("publish", publishStep(monitor), ({ train, data, params }) => ({
      model: train,
      train: data.train,
      test: data.test,
      set: data.set,
      ...(params.alert ? { alert: params.alert } : {}),
      reason: params.reason,
    }));

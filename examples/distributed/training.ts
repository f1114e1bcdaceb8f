/**
 * The training pipeline the coordinator starts and the workers run: a point-in-time training set
 * joined in PostgreSQL → one logistic regression per fold, four folds as four independent steps
 * (each a task of its own, spread over the workers) → the best fold registered as a model version, its bytes on S3.
 *
 * Each step's output says which process ran it, so the coordinator can show the work spread out.
 */
import { z } from "zod";
import { functionModel, pipeline, step, type Workspace } from "../../src/index.js";

/** The feature columns, in the order the model takes them. */
export const FEATURES = ["sessions_7d", "spend_30d"] as const;
export const SERVICE = "churn_v1";
export const MODEL = "churn";

/** A customer's churn at a time, as the example's world decides it (what the labels say). */
export function churned(sessions: number, spend: number): number {
  return sessions * 0.6 + spend * 0.02 < 6 ? 1 : 0;
}

/** The model: logistic regression on standardised features. */
export interface LogisticModel {
  w: number[];
  b: number;
  mean: number[];
  std: number[];
}

export function predictChurn(m: LogisticModel, rows: number[][]): number[] {
  return rows.map((r) => {
    const z = r.reduce((s, x, i) => s + m.w[i]! * ((x - m.mean[i]!) / m.std[i]!), m.b);
    return 1 / (1 + Math.exp(-z)) > 0.5 ? 1 : 0;
  });
}

/** Registers the model's code under the name its versions are saved with; every process does it. */
export function registerChurnModel(ws: Workspace): void {
  ws.registry.registerFunction("logistic", (m: LogisticModel) => (rows: number[][]) => predictChurn(m, rows));
}

const Dataset = z.object({ x: z.array(z.array(z.number())), y: z.array(z.number()) });
const Model = z.object({ w: z.array(z.number()), b: z.number(), mean: z.array(z.number()), std: z.array(z.number()) });

const trainingSet = step({
  name: "training-set",
  version: "1",
  input: z.object({ customers: z.number().int().positive(), at: z.number() }),
  output: z.object({ data: Dataset, pid: z.number() }),
  cache: false, // it reads live feature data, which its input does not describe
  run: async ({ customers, at }, ctx) => {
    const entityRows = Array.from({ length: customers }, (_, id) => ({ customer_id: id, event_timestamp: at }));
    const set = await ctx.workspace.features.getHistoricalFeatures({
      entityRows,
      features: { service: SERVICE },
      name: "churn-training",
    });
    const x: number[][] = [];
    const y: number[] = [];
    for (const row of set.rows) {
      const values = FEATURES.map((f) => row[f]);
      if (values.some((v) => typeof v !== "number")) continue;
      x.push(values as number[]);
      y.push(churned(values[0] as number, values[1] as number));
    }
    return { data: { x, y }, pid: process.pid };
  },
});

const trainFold = step({
  name: "train-fold",
  version: "1",
  input: z.object({
    data: Dataset,
    fold: z.number().int().nonnegative(),
    k: z.number().int().min(2),
    epochs: z.number().int().positive(),
  }),
  output: z.object({ fold: z.number(), model: Model, accuracy: z.number(), pid: z.number() }),
  run: async ({ data, fold, k, epochs }) => {
    // Fold `fold` of `k` is held out for testing; the rest trains.
    const pick = (keep: (i: number) => boolean) => ({
      x: data.x.filter((_, i) => keep(i)),
      y: data.y.filter((_, i) => keep(i)),
    });
    const train = pick((i) => i % k !== fold);
    const test = pick((i) => i % k === fold);
    const d = train.x[0]!.length;
    const mean = Array.from({ length: d }, (_, j) => train.x.reduce((s, r) => s + r[j]!, 0) / train.x.length);
    const std = mean.map((m, j) => Math.sqrt(train.x.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / train.x.length) || 1);
    const xs = train.x.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));
    const w = new Array<number>(d).fill(0);
    let b = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const gw = new Array<number>(d).fill(0);
      let gb = 0;
      for (let i = 0; i < xs.length; i++) {
        const p = 1 / (1 + Math.exp(-xs[i]!.reduce((s, v, j) => s + w[j]! * v, b)));
        const err = p - train.y[i]!;
        for (let j = 0; j < d; j++) gw[j]! += err * xs[i]![j]!;
        gb += err;
      }
      for (let j = 0; j < d; j++) w[j]! -= (0.5 * gw[j]!) / xs.length;
      b -= (0.5 * gb) / xs.length;
      // Give the event loop a turn now and then, so the worker keeps renewing its lock on the task.
      if (epoch % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const model = { w, b, mean, std };
    const predicted = predictChurn(model, test.x);
    const accuracy = predicted.filter((p, i) => p === test.y[i]).length / Math.max(1, test.y.length);
    return { fold, model, accuracy, pid: process.pid };
  },
});

const register = step({
  name: "register",
  version: "1",
  input: z.object({ folds: z.array(z.object({ model: Model, accuracy: z.number() })).min(1) }),
  output: z.object({ version: z.number(), accuracy: z.number(), pid: z.number() }),
  cache: false,
  run: async ({ folds }, ctx) => {
    const { model, accuracy } = [...folds].sort((a, b) => b.accuracy - a.accuracy)[0]!;
    const version = await ctx.workspace.registry.register(MODEL, {
      model: functionModel("logistic", model),
      metrics: { accuracy },
      tags: { trainedBy: `pid ${process.pid}` },
    });
    return { version: version.version, accuracy, pid: process.pid };
  },
});

export const churnTraining = pipeline("churn-distributed", {
  params: z.object({ customers: z.number().int().positive(), at: z.number(), epochs: z.number().default(20_000) }),
})
  .step("set", trainingSet, ({ params }) => ({ customers: params.customers, at: params.at }))
  // Four independent steps: each is a task of its own, so the folds train on the workers at once.
  .step("fold0", trainFold, ({ set, params }) => ({ data: set.data, fold: 0, k: 4, epochs: params.epochs }))
  .step("fold1", trainFold, ({ set, params }) => ({ data: set.data, fold: 1, k: 4, epochs: params.epochs }))
  .step("fold2", trainFold, ({ set, params }) => ({ data: set.data, fold: 2, k: 4, epochs: params.epochs }))
  .step("fold3", trainFold, ({ set, params }) => ({ data: set.data, fold: 3, k: 4, epochs: params.epochs }))
  .step("register", register, ({ fold0, fold1, fold2, fold3 }) => ({ folds: [fold0, fold1, fold2, fold3] }));

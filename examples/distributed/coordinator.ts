/**
 * The coordinator of the distributed example: defines the features, loads their history into
 * PostgreSQL, materialises the latest values into Redis, runs the training pipeline — whose steps
 * the workers run — moves the `champion` alias, and scores customers from their online features.
 *
 *   npx tsx examples/distributed/coordinator.ts
 *
 * Workers must be running (examples/distributed/worker.ts), on the same stores and queue.
 */
import { z } from "zod";
import { bullmqExecutor } from "../../src/adapters/bullmq/index.js";
import { openClients, openSharedWorkspace, QUEUE } from "./stores.js";
import { churnTraining, FEATURES, MODEL, registerChurnModel, SERVICE } from "./training.js";

const DAY = 86_400_000;
const CUSTOMERS = 400;
const now = Date.now();

const clients = openClients();
const executor = bullmqExecutor({ connection: clients.redis, queue: QUEUE });
const ws = await openSharedWorkspace(clients, executor);
registerChurnModel(ws);

try {
  // 1. Features: definitions in PostgreSQL, 30 days of history in the offline store (PostgreSQL).
  await ws.features.applyEntity({ name: "customer", joinKeys: { customer_id: "int" } });
  await ws.features.applyFeatureView({
    name: "customer_activity",
    entities: ["customer"],
    schema: z.object({ sessions_7d: z.number(), spend_30d: z.number() }),
    ttlMs: 7 * DAY,
  });
  await ws.features.applyFeatureService({ name: SERVICE, features: FEATURES.map((f) => `customer_activity:${f}`) });
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  async function* history() {
    for (let day = 30; day >= 1; day--)
      for (let id = 0; id < CUSTOMERS; id++)
        yield { customer_id: id, event_timestamp: now - day * DAY, sessions_7d: 14 * rand(), spend_30d: 200 * rand() };
  }
  const ingested = await ws.features.ingest("customer_activity", history(), { chunkSize: 2_000 });
  console.log(`features: ${ingested.rows} rows of history in PostgreSQL`);
  // The latest value of each customer, from the last 31 days of history (a rerun writes the same).
  const [materialized] = await ws.features.materialize({ start: now - 31 * DAY, end: now, chunkSize: 2_000 });
  console.log(`features: ${materialized?.written ?? 0} online values written to Redis`);

  // 2. Training: the coordinator walks the graph; every step runs on a worker.
  const run = await ws.pipelines.run(churnTraining, { customers: CUSTOMERS, at: now });
  console.log(`pipeline ${run.pipeline}: ${run.status}`);
  if (run.status !== "succeeded") {
    const failures = Object.entries(run.steps).filter(([, s]) => s?.error);
    throw new Error(
      `the training run ended ${run.status}: ${failures.map(([n, s]) => `${n}: ${JSON.stringify(s?.error)}`).join("; ")}`,
    );
  }
  const { set, fold0, fold1, fold2, fold3, register } = run.outputs;
  if (!set || !fold0 || !fold1 || !fold2 || !fold3 || !register) throw new Error("a succeeded run lacks an output");
  const train = [fold0, fold1, fold2, fold3];
  console.log(`  training-set (${set.data.x.length} rows) ran on worker ${set.pid}`);
  for (const fold of train)
    console.log(`  train-fold ${fold.fold} (accuracy ${fold.accuracy.toFixed(3)}) ran on worker ${fold.pid}`);
  console.log(
    `  register ran on worker ${register.pid}: ${MODEL}@${register.version} (accuracy ${register.accuracy.toFixed(3)})`,
  );
  const workers = new Set([set.pid, ...train.map((f) => f.pid), register.pid]);
  console.log(`steps ran on ${workers.size} worker process(es); the coordinator is ${process.pid}`);

  // 3. Promote, then score from online features read from Redis.
  await ws.registry.setAlias(MODEL, "champion", register.version, {
    actor: "coordinator",
    reason: "distributed training",
  });
  const champion = await ws.registry.load(`${MODEL}@champion`);
  const online = await ws.features.getOnlineFeatures(
    [0, 1, 2].map((customer_id) => ({ customer_id })),
    FEATURES.map((f) => `customer_activity:${f}`),
  );
  const rows = online.rows.map((r) => FEATURES.map((f) => r.values[f] as number));
  const predictions = (await champion.predict(rows)) as number[];
  for (const [i, r] of rows.entries())
    console.log(`customer ${i}: sessions ${r[0]!.toFixed(1)}, spend ${r[1]!.toFixed(0)} → churn ${predictions[i]}`);
} finally {
  await ws.close();
  await executor.close();
  await clients.close();
}

// Child process: opens the SQLite file given as argv[2] with its own connection and, by argv[3],
// writes predictions and feedback (`write`) or prints every stored prediction as JSON (`read`).
import { sqliteStore } from "../../src/index.js";

const store = sqliteStore({ path: process.argv[2] as string });
await store.init?.();
const log = store.predictions;
if (!log) throw new Error("the SQLite metadata store has no prediction log");
if (process.argv[3] === "write") {
  await log.putPredictions([
    {
      id: "child-1",
      deployment: "child",
      model: "m",
      version: 2,
      versionId: "v2",
      rows: 1,
      payload: "full",
      inputs: { x: [1, "ü"] },
      latencyMs: 1.5,
      at: 50,
    },
    {
      id: "child-2",
      deployment: "child",
      model: "m",
      version: 2,
      versionId: "v2",
      rows: 2,
      payload: "truncated",
      latencyMs: 3,
      at: 60,
    },
  ]);
  await log.putFeedback([{ predictionId: "parent-1", label: "from the child", at: 70 }]);
} else {
  const page = await log.listPredictions({ limit: 10_000 });
  process.stdout.write(JSON.stringify(page.predictions));
}
await store.close();

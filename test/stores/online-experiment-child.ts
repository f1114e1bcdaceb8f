// Child process: opens the SQLite file given as argv[2] with its own connection and, by argv[3],
// adds aggregates and trail entries (`aggregate`) or increments a counter in the experiment's state
// by compare-and-set, reading again after each CONFLICT (`increment`), argv[4] times, argv[5] naming
// this writer. Prints what it did as JSON.
import { isMlcycleError, sqliteStore } from "../../src/index.js";

const [file, mode, times, writer] = process.argv.slice(2) as [string, string, string, string];
const store = sqliteStore({ path: file });
await store.init?.();
const experiments = store.onlineExperiments;
if (!experiments) throw new Error("the SQLite metadata store has no online experiment store");
const n = Number(times);
let conflicts = 0;
if (mode === "aggregate") {
  for (let i = 1; i <= n; i++) {
    await experiments.addAggregates("shared", [
      { variant: "control", metric: "reward", sums: sums(i) },
      { variant: writer, metric: "calls", sums: sums(1) },
      { variant: "control", metric: "reward", sums: sums(1) },
    ]);
    if (i % 10 === 0)
      await experiments.appendEvent("shared", { action: "batch", actor: writer, reason: "", details: { i }, at: i });
  }
} else {
  for (let done = 0; done < n; ) {
    const e = await experiments.getExperiment("shared");
    if (!e) throw new Error("experiment 'shared' is missing");
    const count = (e.state as { count: number }).count;
    try {
      await experiments.updateExperiment(
        "shared",
        e.revision,
        { state: { count: count + 1 }, updatedAt: e.updatedAt + 1 },
        { action: "increment", actor: writer, reason: "", details: { to: count + 1 }, at: e.updatedAt + 1 },
      );
      done++;
    } catch (error) {
      if (!isMlcycleError(error) || error.code !== "CONFLICT") throw error;
      conflicts++;
    }
  }
}
process.stdout.write(JSON.stringify({ writer, conflicts }));
await store.close();

function sums(y: number) {
  return {
    n: 1,
    sum: y,
    sumSquares: y * y,
    covariateSum: 2 * y,
    covariateSumSquares: 4 * y * y,
    productSum: 2 * y * y,
  };
}

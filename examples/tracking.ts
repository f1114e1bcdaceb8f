/**
 * Experiment tracking on the embedded default (SQLite + artifact folder in a temp directory):
 * runs with params, metrics and artifacts, a dataset input in lineage, search with the filter
 * language, metric history for a chart, a side-by-side comparison and a random sweep with early
 * stopping.
 *
 *   npx tsx examples/tracking.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openWorkspace, sha256 } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "mlcycle-tracking-"));
try {
  await using ws = await openWorkspace(dir);
  ws.events.on("run.ended", (e) => console.log(`  run ${e.runId.slice(-6)} ended: ${e.status}`));

  // A toy "training" loop: the loss decays at a rate set by the learning rate.
  const train = async (lr: number, model: string) =>
    ws.experiments.withRun({ experiment: "iris", name: `${model}-lr${lr}`, params: { lr, model } }, async (run) => {
      await run.setTag("team", model === "rf" ? "ml-core" : "ml-research");
      await run.logInput({ name: "iris.csv", digest: sha256("iris rows v1"), context: "training" });
      let loss = 1;
      for (let step = 0; step < 200; step++) {
        loss *= 1 - lr / 10;
        run.logMetrics({ loss, acc: 1 - loss / 2 }, { step }); // buffered, written in batches
      }
      await run.logArtifact("model/weights.json", JSON.stringify({ model, lr, bias: loss }));
      return run.id;
    });

  console.log("training three runs");
  const ids = [await train(0.1, "rf"), await train(0.3, "rf"), await train(0.2, "logreg")];

  // Search: MLflow's language plus OR and parentheses.
  const { runs } = await ws.experiments.searchRuns({
    experiments: "iris",
    filter: "metrics.acc > 0.9 and (params.model = 'rf' or tags.team LIKE 'ml-res%')",
    orderBy: "metrics.acc DESC",
  });
  console.log("best runs:", runs.map((r) => `${r.name} acc=${r.metrics.acc.toFixed(4)}`).join(", "));

  // A chart-sized history (min/max per bucket keeps the shape) and a comparison table.
  const history = await ws.experiments.metricHistory(ids[0], "loss", { maxPoints: 20 });
  console.log(
    `loss history of ${ids[0].slice(-6)}: ${history.length} points, last ${history.at(-1)?.value.toFixed(4)}`,
  );
  const cmp = await ws.experiments.compareRuns(ids);
  for (const row of [...cmp.params, ...cmp.metrics])
    console.log(
      `  ${row.key.padEnd(6)} ${row.values.map((v) => String(typeof v === "number" ? v.toFixed(4) : v).padEnd(10)).join(" ")}`,
    );

  // The run's artifact is content-addressed; its dataset input is in lineage.
  const weights = await ws.experiments.readArtifact(ids[0], "model/weights.json");
  console.log("artifact:", new TextDecoder().decode(weights));
  const up = await ws.lineage.upstream({ kind: "execution", externalId: `run:${ids[0]}` });
  console.log("lineage upstream of the run:", up.nodes.map((n) => `${n.type}:${n.name}`).join(" ← "));

  // A seeded random sweep; each trial is a child run, poor trials stop early by the median rule.
  const sweep = await ws.experiments.sweep({
    experiment: "iris",
    method: "random",
    seed: 1,
    maxTrials: 12,
    space: { lr: { type: "loguniform", min: 0.01, max: 1 }, depth: { type: "int", min: 2, max: 8 } },
    metric: "acc",
    goal: "maximize",
    earlyStopping: { warmupSteps: 5, minTrials: 3 },
    objective: async (trial) => {
      const { lr, depth } = trial.params as { lr: number; depth: number };
      const ceiling = 1 - Math.abs(depth - 5) / 10; // depth 5 is best
      for (let step = 0; step < 30; step++) await trial.report(ceiling * (1 - Math.exp(-lr * (step + 1))), step);
    },
  });
  const counts: Record<string, number> = {};
  for (const t of sweep.trials) counts[t.status] = (counts[t.status] ?? 0) + 1;
  console.log("sweep trials:", counts, "best:", sweep.best?.params, sweep.best?.value?.toFixed(4));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

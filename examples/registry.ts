// The model registry tour: register → gate → promote → load → rollback.
// Run with `npx tsx examples/registry.ts`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RandomForestClassifier } from "ml-random-forest";
import { z } from "zod";
import { functionModel, isMlcycleError, openWorkspace } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "mlcycle-registry-"));
const ws = await openWorkspace(dir);

// A toy task: points in the unit square, class 1 above the diagonal x + y = 1.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const points = (n: number) => Array.from({ length: n }, () => [rand(), rand()]);
const label = (p: number[]) => (p[0] + p[1] > 1 ? 1 : 0);
const train = points(300);
const test = points(200);
const yTrue = test.map(label);
const Inputs = z.array(z.tuple([z.number(), z.number()])).min(1);

// 1. Register: v1 is a hand-written rule (the `function` flavor: code in the process, state stored).
ws.registry.registerFunction(
  "threshold",
  (s: { cut: number }) => (rows: number[][]) => rows.map((r) => (r[0] > s.cut ? 1 : 0)),
);
const run = await ws.experiments.startRun({ experiment: "diagonal" });
await run.logParam("cut", 0.5);
await run.end();
const v1 = await ws.registry.register("diagonal", {
  model: functionModel("threshold", { cut: 0.5 }),
  signature: { inputs: Inputs },
  runId: run.id,
  modelCard: "# Diagonal baseline\n\nLooks at x only.",
});
await ws.registry.setAlias("diagonal", "champion", v1.version, { actor: "ana", reason: "first model" });

// v2 is a random forest (the `json` flavor: toJSON + static load).
ws.registry.registerModelClass(RandomForestClassifier);
const rf = new RandomForestClassifier({ nEstimators: 20, seed: 1, maxFeatures: 2, noOOB: true });
rf.train(train, train.map(label));
const v2 = await ws.registry.register("diagonal", { model: rf, signature: { inputs: Inputs }, tags: { algo: "rf" } });
console.log(`registered diagonal@${v1.version} (${v1.flavor}) and diagonal@${v2.version} (${v2.flavor})`);

// 2. Gate: the champion may only move to a version that beat it and was approved.
const gate = { name: "beats-champion", thresholds: [{ metric: "accuracy_score", minAbsoluteChange: 0.02 }] };
await ws.registry.setPolicy("diagonal", "champion", { gate, requireApproval: true });
try {
  await ws.registry.setAlias("diagonal", "champion", v2.version, { actor: "bo" });
} catch (e) {
  if (isMlcycleError(e, "PRECONDITION")) console.log(`refused: ${e.message}`);
  else throw e;
}
const result = await ws.registry.evaluate(`diagonal@${v2.version}`, {
  data: { inputs: test, yTrue },
  task: "classification",
  gate,
  baseline: "champion",
});
console.log(
  `accuracy ${result.evaluation.metrics.accuracy_score.toFixed(3)} vs champion ` +
    `${result.baselineEvaluation?.metrics.accuracy_score.toFixed(3)}: gate ${result.gateResult.passed ? "passed" : "failed"}`,
);
await ws.registry.approve(`diagonal@${v2.version}`, { actor: "lead", comment: "card and metrics reviewed" });

// 3. Promote (audited).
await ws.registry.setAlias("diagonal", "champion", v2.version, { actor: "bo", reason: "passed beats-champion" });

// 4. Load by alias: digest verified, inputs validated against the signature.
const champion = await ws.registry.load("diagonal@champion");
console.log(
  `champion is v${champion.version.version}; predicts`,
  await champion.predict([
    [0.9, 0.8],
    [0.1, 0.2],
  ]),
);
try {
  await champion.predict([[0.9]]);
} catch (e) {
  if (isMlcycleError(e, "VALIDATION")) console.log(`bad input refused: ${e.issues[0].message}`);
  else throw e;
}

// 5. Roll back in one call, then read the audit trail.
await ws.registry.rollback("diagonal", "champion", { actor: "oncall", reason: "latency regression" });
console.log(`after rollback champion is v${(await ws.registry.getVersion("diagonal@champion")).version}`);
for (const m of await ws.registry.aliasHistory("diagonal", "champion"))
  console.log(
    `  ${new Date(m.at).toISOString()} ${m.action} ${m.from ?? "-"} → ${m.to ?? "-"} by ${m.actor}: ${m.reason}`,
  );

await ws.close();
rmSync(dir, { recursive: true, force: true });

/**
 * The whole loop on the embedded default (SQLite file + artifact folder in ./.mlcycle/demo), closed
 * by the monitor:
 *
 *   features → point-in-time training set → typed pipeline (train, register, gate, promote) → a
 *   deployment serves the champion with online features → a monitor watches its traffic → half-way
 *   the traffic drifts → the monitor alerts → a trigger on `monitor.alert` runs the pipeline on fresh
 *   data → the gate compares the candidate with the champion → the alias moves, its audit record
 *   naming the alert → the deployment hot-swaps → the monitor goes on with the new version's
 *   reference and the alert resolves → audit trail, run search, lineage as a tree.
 *
 * Deterministic: a fixed clock (1 January 2025 onwards) and data made from hashes give the same
 * digests and numbers on every run. Each run starts its workspace afresh, so running it twice works
 * and the folder always holds the last run.
 *
 *   npm run demo
 */
import { existsSync, rmSync } from "node:fs";
import { relative, resolve } from "node:path";
import { z } from "zod";
import {
  type DeploymentSwappedEvent,
  lineageIds,
  type MonitorAlertEvent,
  type MonitorResolvedEvent,
  manualClock,
  openWorkspace,
  type WindowReport,
} from "../src/index.js";
import { churnPipeline, FEATURES, gate, registerChurnModel } from "./demo/churn-pipeline.js";
import { upstreamTree } from "./demo/lineage-tree.js";
import { activity, callers, churned, DAY, HOUR, LIVE, PRICE_CHANGE, T0 } from "./demo/world.js";

const DIR = "./.mlcycle/demo";
const WINDOWS = 8; // hours of traffic; prices change at the start of the fifth
const CALLS = 50; // calls per hour, each for 4 customers: 200 rows a window

rmSync(DIR, { recursive: true, force: true }); // a fresh workspace each run
const clock = manualClock(T0);
await using ws = await openWorkspace(DIR, { clock });
registerChurnModel(ws);

const num = (x: number) => String(Number(x.toFixed(3)));
const time = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const phase = (title: string) => console.log(`\n── ${title} ${"─".repeat(Math.max(3, 72 - title.length))}`);
console.log(`mlcycle demo: a monitor closes the loop. Workspace: ${resolve(DIR)} (started afresh)`);

// ---------------------------------------------------------------- features
phase("features");
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
  features: FEATURES.map((f) => `customer_activity:${f}`),
});
for (const day of [0, 14, 28, 42]) {
  clock.set(T0 + day * DAY);
  await ws.features.ingest("customer_activity", activity(T0 + day * DAY));
}
console.log("customer_activity: snapshots of 600 customers on days 0, 14, 28 and 42; feature service churn_v1");

// ---------------------------------------------------------------- the monitor, and the first model
// The monitor exists before the first model, so that every version the pipeline registers sets
// its reference: its training set with its own answers.
const MONITOR = "churn";
const monitor = await ws.monitors.open(MONITOR, {
  deployment: "churn",
  features: [...FEATURES],
  label: "churned", // the feedback's label
  window: { ms: HOUR },
  graceMs: 0,
  checkIntervalMs: false, // the demo closes windows itself, as its clock moves
  rules: [
    { name: "drift", figure: "dataset_drift", threshold: 1, windows: 2, minRows: 100, severity: "critical" },
    { name: "accuracy", figure: "performance.accuracy_score", op: "<", threshold: 0.75, minRows: 100 },
  ],
});
const churnTraining = churnPipeline(monitor);

phase("training");
console.log(churnTraining.graph().toString());
const steps: string[] = [];
ws.events.on("pipeline.step.finished", (e) => steps.push(`  step ${e.step}: ${e.status}`));
clock.set(T0 + 50 * DAY);
const first = await ws.pipelines.run(churnTraining, { at: clock.now(), reason: "first model" });
for (const s of steps.splice(0)) console.log(s);
const p1 = first.outputs.publish!;
console.log(
  `run 1 (labels of ${date(clock.now())}): churn@${p1.version} (sha256 ${p1.digest.slice(0, 12)}) accuracy ` +
    `${p1.accuracy.toFixed(3)}, ${p1.gate} ${p1.promoted ? "passed → champion" : "failed"}; reference ${p1.reference.version} (${p1.reference.digest.slice(0, 12)})`,
);
// From now on the champion alias refuses any version without a passing "beats-champion" result.
await ws.registry.setPolicy("churn", "champion", { gate });

// ---------------------------------------------------------------- serving
phase("serving");
clock.set(LIVE);
await ws.features.materializeIncremental();
// The deployment follows the alias: when the champion moves it loads the new version and swaps.
// Calls by customer id read the version's feature service (churn_v1) online.
const churn = await ws.serving.deploy<number[][], number[]>("churn@champion", {
  name: "churn",
  pollIntervalMs: false, // moves come from this process
  features: { toInputs: (rows, columns) => rows.map((r) => columns.map((c) => Number(r[c]))) },
});
console.log(
  `deployment churn serves churn@champion (v${churn.describe().version}) from ${date(LIVE)}, features read online from churn_v1`,
);
console.log(
  `monitor churn: ${FEATURES.join(", ")} → prediction, label churned from feedback; hourly windows; rules: ` +
    "drift (dataset_drift >= 1 for 2 windows, critical), accuracy (accuracy_score < 0.75)",
);

// ---------------------------------------------------------------- traffic, drift, alert, retrain, gate, swap
const alerts: MonitorAlertEvent[] = [];
const resolved: MonitorResolvedEvent[] = [];
const swaps: DeploymentSwappedEvent[] = [];
ws.events.on("monitor.alert", (a) => alerts.push(a));
ws.events.on("monitor.resolved", (r) => resolved.push(r));
ws.events.on("deployment.swapped", (s) => swaps.push(s));

// The loop: a critical alert of the monitor runs the training pipeline on fresh data, naming the alert.
const retrain = ws.pipelines.onEvent(churnTraining, "monitor.alert", {
  filter: (a: MonitorAlertEvent) => a.monitor === MONITOR && a.severity === "critical",
  params: (a: MonitorAlertEvent) => ({
    at: clock.now(),
    alert: a.id,
    reason: `monitor alert ${a.id} (${a.rule} on ${a.monitor}: ${a.figure} = ${a.value} ${a.op} ${a.threshold} in window ${time(a.start)}–${time(a.end)})`,
  }),
  overlap: "queue",
});

function describeWindow(r: WindowReport): string {
  const drift = r.drift?.columns
    .map(
      (c) =>
        `${c.column} ${c.pValue === undefined ? `${c.method} ${num(c.statistic)}` : c.pValue < 0.001 ? "p<0.001" : `p=${c.pValue.toFixed(3)}`}`,
    )
    .join(", ");
  const accuracy = r.performance?.metrics.accuracy_score;
  return (
    `window ${time(r.start)}–${time(r.end)}: ${r.rows} rows by churn@${r.model?.version} vs reference ${r.reference?.version}; ` +
    `drift ${r.drift?.drifted ? "YES" : "no"} (${drift}); accuracy ${accuracy?.toFixed(3)}`
  );
}

phase("traffic");
let retrained = false;
for (let w = 0; w < WINDOWS; w++) {
  const start = LIVE + w * HOUR;
  if (start === PRICE_CHANGE) {
    phase("drift injected");
    clock.set(PRICE_CHANGE);
    await ws.features.ingest("customer_activity", activity(PRICE_CHANGE));
    await ws.features.materializeIncremental();
    console.log(
      `${time(PRICE_CHANGE)} prices change: spend up 40%, sessions down 30%, and big spenders start to churn.\n` +
        "A new activity snapshot is ingested and materialized: from now on the traffic's features drift.",
    );
  }
  for (let call = 0; call < CALLS; call++) {
    clock.set(start + Math.floor(((call + 0.5) * HOUR) / CALLS));
    const who = callers(w, call, 4);
    const p = await churn.predictEntities(who.map((c) => ({ customer_id: c.id })));
    // The truth arrives later, joined to the prediction by its id.
    await churn.feedback(p.predictionId, { label: who.map((c) => churned(c, clock.now())) });
  }
  clock.set(start + HOUR);
  const opened = alerts.length;
  const closed = resolved.length;
  for (const r of await monitor.check()) console.log(describeWindow(r));
  for (const a of alerts.slice(opened)) {
    if (a.severity === "critical") phase("alert");
    console.log(
      `  ALERT ${a.rule} (${a.severity}): ${a.figure} = ${num(a.value)} ${a.op} ${a.threshold}` +
        (a.severity === "critical" ? ` for 2 windows in a row — alert ${a.id}` : ""),
    );
  }
  for (const r of resolved.slice(closed)) console.log(`  resolved ${r.rule}: the figure is ${num(r.value)} now`);

  if (retrain.started + retrain.queued > 0 && !retrained) {
    retrained = true;
    phase("retrain");
    console.log(
      `trigger on monitor.alert: churn-train runs on fresh data (labels of ${date(clock.now())} ${time(clock.now())})`,
    );
    await retrain.idle();
    for (const s of steps.splice(0)) console.log(s);
    const run = await ws.pipelines.output(churnTraining, retrain.runIds.at(-1)!, "publish");
    phase("gate");
    console.log(
      `candidate churn@${run.version} (sha256 ${run.digest.slice(0, 12)}) accuracy ${run.accuracy.toFixed(3)} vs champion ` +
        `churn@${run.champion?.version} ${run.champion?.accuracy.toFixed(3)} on the same fresh test rows: ` +
        `${run.gate} ${run.promoted ? "passed" : "failed"}`,
    );
    const [move] = await ws.registry.aliasHistory("churn", "champion");
    if (run.promoted && move) console.log(`champion ${move.from} → ${move.to}, audited: "${move.reason}"`);
    phase("swap");
    if (run.promoted && swaps.length === 0) await new Promise((done) => ws.events.once("deployment.swapped", done));
    for (const s of swaps)
      console.log(
        `deployment ${s.deployment} hot-swapped v${s.from} → v${s.to}: the champion moved, the deployment followed`,
      );
    console.log(
      `monitor churn now compares with reference ${run.reference.version} (${run.reference.digest.slice(0, 12)}): churn@${run.version}'s training set`,
    );
    phase("traffic goes on");
  }
}
retrain.stop();
await churn.flush();

// ---------------------------------------------------------------- audit, search, lineage
phase("audit trail");
for (const m of await ws.registry.aliasHistory("churn", "champion"))
  console.log(`  ${m.action} champion ${m.from ?? "-"} → ${m.to} by ${m.actor}: ${m.reason}`);
const stored = await ws.monitors.alerts({ monitor: MONITOR });
for (const a of stored)
  console.log(
    `  alert ${a.id} ${a.rule} (${a.severity}): opened ${time(a.openedAt)}, ${a.status}${a.resolvedAt ? ` ${time(a.resolvedAt)}` : ""}`,
  );
const logged = (await ws.serving.listPredictions({ deployment: "churn", limit: 1000 })).predictions;
const byVersion = new Map<number, number>();
for (const p of logged) byVersion.set(p.version, (byVersion.get(p.version) ?? 0) + p.rows);
console.log(`  prediction log: ${[...byVersion].map(([v, rows]) => `${rows} rows by v${v}`).join(", ")}`);

phase("run search");
const { runs } = await ws.experiments.searchRuns({
  experiments: ["churn-train"],
  filter: "metrics.accuracy_score >= 0.75 and attributes.status = 'finished'",
  orderBy: ["metrics.accuracy_score DESC"],
});
console.log(
  `churn-train: ${runs.length} step runs with accuracy ≥ 0.75; best ${runs[0]?.metrics.accuracy_score?.toFixed(3)}`,
);

phase("lineage");
const champion = await ws.registry.getVersion("churn@champion");
const up = await ws.lineage.upstream({ kind: "artifact", externalId: `model_version:churn/${champion.version}` });
console.log(`churn@${champion.version}, the champion, came from:`);
for (const line of upstreamTree(up)) console.log(`  ${line}`);
const profile = await ws.lineage.upstream(
  { kind: "artifact", externalId: lineageIds.referenceProfile(MONITOR, (await monitor.listReferences()).length) },
  { maxHops: 2 },
);
console.log("the reference the monitor now compares traffic with:");
for (const line of upstreamTree(profile)) console.log(`  ${line}`);

phase("try next");
const at = relative(process.cwd(), resolve(DIR)) || ".";
console.log(`The workspace stays in ${at}; the next run starts it afresh.`);
if (!existsSync(resolve("dist/cli.js")) && existsSync(resolve("package.json")))
  console.log("(npx mlcycle runs the built CLI: npm run build first)");
for (const cmd of [
  `npx mlcycle monitors list --workspace ${at}`,
  `npx mlcycle monitors status churn --workspace ${at}`,
  `npx mlcycle monitors alerts --json --workspace ${at}`,
])
  console.log(`  ${cmd}`);
await churn.close();

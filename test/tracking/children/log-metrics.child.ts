/**
 * A child process for the tracking multi-process tests.
 *
 *   write <dir> <label> <points>   logs <points> metric points to a new run of experiment "mp", ends it
 *   forever <dir>                  logs metrics in rounds of 100, prints "flushed <n>" after each
 *                                  flush, until killed
 */
import { openWorkspace } from "../../../src/index.js";

const [mode, dir, ...rest] = process.argv.slice(2);

if (mode === "write") {
  const [label, count] = rest;
  const ws = await openWorkspace(dir, { tracking: { metricBatchSize: 100 } });
  const run = await ws.experiments.startRun({ experiment: "mp", name: label, params: { label } });
  for (let i = 0; i < Number(count); i++) await run.logMetric("x", i, { step: i });
  await run.logMetrics({ a: 1, b: 2 });
  await run.setTag("writer", label);
  await run.end();
  await ws.close();
  process.stdout.write(`done ${run.id}\n`);
} else if (mode === "forever") {
  const ws = await openWorkspace(dir, {
    tracking: { metricBatchSize: 1_000_000, flushIntervalMs: 3_600_000, heartbeatIntervalMs: 50 },
  });
  const run = await ws.experiments.startRun({ experiment: "crash" });
  process.stdout.write(`run ${run.id}\n`);
  let step = 0;
  for (;;) {
    for (let i = 0; i < 100; i++, step++) run.logMetric("loss", 1 / (step + 1), { step });
    await run.flush();
    // Every step below `step` is stored now.
    process.stdout.write(`flushed ${step}\n`);
    // Logged but not yet flushed when the kill may come: these may be lost, and are never reported.
    for (let i = 0; i < 10; i++, step++) run.logMetric("loss", 1 / (step + 1), { step });
    await new Promise((r) => setTimeout(r, 5));
  }
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}

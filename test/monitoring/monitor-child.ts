// Child process of the two-process test: opens the workspace folder argv[2] (the SQLite file the
// parent and the other child open too), opens the shared monitor, observes the production rows of
// its parity (argv[4] of argv[3] rows, sample size argv[5]) in several calls, and closes the
// workspace, which writes its partial aggregates. Prints what it observed as JSON.
import { manualClock, openWorkspace } from "../../src/index.js";
import { productionRows, sharedMonitorOptions } from "./two-process-rows.js";

const [dir, n, parity, sampleSize] = [process.argv[2] as string, ...process.argv.slice(3).map(Number)] as [
  string,
  number,
  number,
  number,
];
const ws = await openWorkspace(dir, { clock: manualClock(0) });
const monitor = await ws.monitors.open("shared", sharedMonitorOptions(sampleSize));
const mine = productionRows(n).filter((_, i) => i % 2 === parity);
// In a few calls, as a service would: each call aggregates, flushes write partials.
for (let i = 0; i < mine.length; i += 97) {
  monitor.observe(mine.slice(i, i + 97));
  if (i % 3 === 0) await monitor.flush();
}
await ws.close();
process.stdout.write(JSON.stringify({ parity, rows: mine.length }));

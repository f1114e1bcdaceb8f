// Child process of the two-process test: opens a workspace whose monitor store is the parent's
// (each call sent over the IPC channel and answered by the parent's store), opens the shared monitor,
// observes the production rows of its parity (argv[3] of argv[2] rows, sample size argv[4]), and
// closes the workspace, which writes its partial aggregates. Prints what it observed as JSON.
import { createWorkspace, type MonitorStore, manualClock, memoryStore, MlcycleError } from "../../src/index.js";
import { productionRows, sharedMonitorOptions } from "./two-process-rows.js";

const [n, parity, sampleSize] = process.argv.slice(2).map(Number) as [number, number, number];

interface Reply {
  id: number;
  result?: unknown;
  error?: { code: ConstructorParameters<typeof MlcycleError>[0]; message: string; details: Record<string, unknown> };
}
const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
let next = 0;
process.on("message", (m: Reply) => {
  const w = waiting.get(m.id);
  if (!w) return;
  waiting.delete(m.id);
  if (m.error) w.reject(new MlcycleError(m.error.code, m.error.message, { details: m.error.details }));
  else w.resolve(m.result);
});
const store = new Proxy({} as MonitorStore, {
  get: (_target, method) =>
    typeof method !== "string" || method === "then"
      ? undefined
      : (...args: unknown[]) =>
          new Promise((resolve, reject) => {
            const id = next++;
            waiting.set(id, { resolve, reject });
            process.send?.({ id, method, args });
          }),
});

const ws = await createWorkspace({ metadata: { ...memoryStore(), monitors: store }, clock: manualClock(0) });
const monitor = await ws.monitors.open("shared", sharedMonitorOptions(sampleSize));
const mine = productionRows(n).filter((_, i) => i % 2 === parity);
// In a few calls, as a service would: each call aggregates, flushes write partials.
for (let i = 0; i < mine.length; i += 97) {
  monitor.observe(mine.slice(i, i + 97));
  if (i % 3 === 0) await monitor.flush();
}
await ws.close();
process.stdout.write(JSON.stringify({ parity, rows: mine.length }));
process.disconnect();

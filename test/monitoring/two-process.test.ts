import { fork } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isMlcycleError, MemoryMonitorStore, type MonitorStore, type WindowResultRecord } from "../../src/index.js";
import { monitorWorkspaces, testClock } from "./monitor-fixtures.js";
import { productionRows, referenceRows, sharedMonitorOptions, WINDOW_MS } from "./two-process-rows.js";

/**
 * Runs a child that feeds the shared monitor through `store`: the child's monitor store is this
 * process's `store`, each call sent over the IPC channel and answered here (errors keep their code).
 */
function feedFromChild(store: MonitorStore, n: number, parity: number, sampleSize: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, "monitor-child.ts"), [String(n), String(parity), String(sampleSize)], {
      execArgv: ["--import", "tsx"],
      serialization: "advanced",
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (err += d));
    child.on("message", async (m: { id: number; method: keyof MonitorStore; args: unknown[] }) => {
      try {
        const result = await (store[m.method] as (...a: unknown[]) => Promise<unknown>)(...m.args);
        child.send({ id: m.id, result });
      } catch (e) {
        const error = isMlcycleError(e)
          ? { code: e.code, message: e.message, details: e.details }
          : { code: "INTERNAL", message: String(e), details: {} };
        child.send({ id: m.id, error });
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

// On the SQLite workspace (the store the processes share is the monitor store, here the parent's
// memory store served over IPC, so the workspace's kind changes nothing else).
describe.each(monitorWorkspaces().filter(([kind]) => kind === "sqlite"))(
  "two processes feeding one monitor (%s)",
  (_kind, open) => {
    /** The closed windows of the shared monitor after `feed` fed it, checked by a workspace on `store`. */
    async function windowsAfter(
      store: MonitorStore,
      sampleSize: number,
      feed: (ws: Awaited<ReturnType<typeof open>>) => Promise<void>,
    ): Promise<WindowResultRecord[]> {
      const clock = testClock(0);
      await using ws = await open({ clock, monitors: store });
      const monitor = await ws.monitors.open("shared", sharedMonitorOptions(sampleSize));
      await monitor.setReference({ rows: referenceRows() });
      await feed(ws);
      clock.set(2 * WINDOW_MS);
      const reports = await monitor.check();
      expect(reports.map((r) => r.window)).toEqual([0, 1]);
      return (await monitor.windows()).map((w) => ({ ...w, closedAt: 0 }));
    }

    const N = 3_000;
    // Within the bound every statistic is computed on every row; beyond it (sample of 200 rows), on
    // samples that merge exactly, histograms and counts: either way two processes give one answer.
    it.each([
      ["every row kept", 10_000],
      ["past the memory bound", 200],
    ])("gives the same windows as one process seeing every row (%s)", async (_what, sampleSize) => {
      const shared = new MemoryMonitorStore();
      const two = await windowsAfter(shared, sampleSize, async () => {
        const outs = await Promise.all([0, 1].map((parity) => feedFromChild(shared, N, parity, sampleSize)));
        expect(outs.map((o) => JSON.parse(o).rows)).toEqual([N / 2, N / 2]);
      });
      // The partials of both processes were merged and removed once each window closed.
      expect(await shared.listPartialWindows("shared")).toEqual([]);
      const one = await windowsAfter(new MemoryMonitorStore(), sampleSize, async (ws) => {
        const monitor = ws.monitors.get("shared");
        monitor.observe(productionRows(N));
        await monitor.flush();
      });
      expect(two).toStrictEqual(one);
      const [first, second] = two;
      expect(first.rows + second.rows).toBe(N);
      expect((first.report as { exact: boolean }).exact).toBe(sampleSize >= N / 2 + 100);
      // The second window drifts; both carry the planted quality findings.
      expect(first.figures.dataset_drift).toBe(0);
      expect(second.figures["drifted.x"]).toBe(1);
      expect(first.figures["new_categories.plan"]).toBeGreaterThan(0);
      expect(first.figures["schema_violations.score"]).toBeGreaterThan(0);
      expect(first.figures["missing_share.x"]).toBeGreaterThan(0);
    });
  },
);

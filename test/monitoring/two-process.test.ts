import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openWorkspace, type WindowResultRecord } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { testClock } from "./monitor-fixtures.js";
import { productionRows, referenceRows, sharedMonitorOptions, WINDOW_MS } from "./two-process-rows.js";

/** Runs a child that opens the workspace folder `dir` and feeds the shared monitor its half of the rows. */
function feedFromChild(dir: string, n: number, parity: number, sampleSize: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "monitor-child.ts"),
        dir,
        String(n),
        String(parity),
        String(sampleSize),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe("two processes feeding one monitor through one SQLite workspace", () => {
  const root = tempDir("mlcycle-two-process-");
  let n = 0;

  /** The closed windows of the shared monitor in a fresh workspace folder after `feed` fed it. */
  async function windowsAfter(
    sampleSize: number,
    feed: (dir: string, ws: Awaited<ReturnType<typeof openWorkspace>>) => Promise<void>,
  ): Promise<{ windows: WindowResultRecord[]; partialsLeft: number }> {
    const dir = join(root, `ws-${n++}`);
    const clock = testClock(0);
    await using ws = await openWorkspace(dir, { clock });
    const monitor = await ws.monitors.open("shared", sharedMonitorOptions(sampleSize));
    await monitor.setReference({ rows: referenceRows() });
    await feed(dir, ws);
    clock.set(2 * WINDOW_MS);
    const reports = await monitor.check();
    expect(reports.map((r) => r.window)).toEqual([0, 1]);
    const partialsLeft = (await ws.metadata.monitors?.listPartialWindows("shared"))?.length ?? -1;
    return { windows: (await monitor.windows()).map((w) => ({ ...w, closedAt: 0 })), partialsLeft };
  }

  const N = 3_000;
  // Within the bound every statistic is computed on every row; beyond it (sample of 200 rows), on
  // samples that merge exactly, histograms and counts: either way two processes give one answer.
  it.each([
    ["every row kept", 10_000],
    ["past the memory bound", 200],
  ])("gives the same windows as one process seeing every row (%s)", async (_what, sampleSize) => {
    const two = await windowsAfter(sampleSize, async (dir) => {
      const outs = await Promise.all([0, 1].map((parity) => feedFromChild(dir, N, parity, sampleSize)));
      expect(outs.map((o) => JSON.parse(o).rows)).toEqual([N / 2, N / 2]);
    });
    // The partials of both processes were merged and removed once each window closed.
    expect(two.partialsLeft).toBe(0);
    const one = await windowsAfter(sampleSize, async (_dir, ws) => {
      const monitor = ws.monitors.get("shared");
      monitor.observe(productionRows(N));
      await monitor.flush();
    });
    expect(two.windows).toStrictEqual(one.windows);
    const [first, second] = two.windows;
    expect(first.rows + second.rows).toBe(N);
    expect((first.report as { exact: boolean }).exact).toBe(sampleSize >= N / 2 + 100);
    // The second window drifts; both carry the planted quality findings.
    expect(first.figures.dataset_drift).toBe(0);
    expect(second.figures["drifted.x"]).toBe(1);
    expect(first.figures["new_categories.plan"]).toBeGreaterThan(0);
    expect(first.figures["schema_violations.score"]).toBeGreaterThan(0);
    expect(first.figures["missing_share.x"]).toBeGreaterThan(0);
  });
});

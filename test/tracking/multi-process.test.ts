import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";

const child = join(import.meta.dirname, "children", "log-metrics.child.ts");
const dir = tempDir("mlcycle-mp-");

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function finished(p: ChildProcess): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  let out = "";
  let err = "";
  p.stdout?.on("data", (d) => (out += d));
  p.stderr?.on("data", (d) => (err += d));
  return new Promise((resolve) => p.on("close", (code, signal) => resolve({ code, signal, out, err })));
}

describe("tracking across processes on one SQLite workspace", () => {
  it("loses nothing when two processes log to the same file at once", async () => {
    const ws = join(dir, "two-writers");
    const points = 20_000;
    const [a, b] = await Promise.all([
      finished(start(["write", ws, "A", String(points)])),
      finished(start(["write", ws, "B", String(points)])),
    ]);
    expect(a.err + b.err).toBe("");
    expect([a.code, b.code]).toEqual([0, 0]);
    await using w = await openWorkspace(ws);
    const { runs } = await w.experiments.searchRuns({ experiments: "mp", orderBy: "attributes.run_name" });
    expect(runs.map((r) => [r.name, r.status, r.tags.writer, r.params.label])).toEqual([
      ["A", "finished", "A", "A"],
      ["B", "finished", "B", "B"],
    ]);
    for (const r of runs) {
      const h = await w.experiments.metricHistory(r.id, "x");
      expect(h.map((p) => p.value)).toEqual(Array.from({ length: points }, (_, i) => i));
      expect(r.metrics).toEqual({ x: points - 1, a: 1, b: 2 });
    }
    expect(await w.experiments.list()).toHaveLength(1);
  }, 60_000);

  it("keeps every flushed metric of a SIGKILLed process and reads its run as crashed once the heartbeat expires", async () => {
    const ws = join(dir, "killed");
    const p = start(["forever", ws]);
    const done = finished(p);
    let runId = "";
    let flushed = -1;
    let buffer = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not report in time: ${buffer}`)), 30_000);
      p.stdout?.on("data", (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          const [what, value] = line.split(" ");
          if (what === "run") runId = value;
          if (what === "flushed") flushed = Number(value);
          if (flushed >= 2000 && runId) {
            // Kill right after a report: later points may or may not be stored, reported ones must be.
            p.kill("SIGKILL");
            clearTimeout(timer);
            resolve();
            return;
          }
        }
      });
    });
    const exit = await done;
    expect(exit.signal).toBe("SIGKILL");
    await using w = await openWorkspace(ws, { tracking: { crashTimeoutMs: 400 } });
    const h = await w.experiments.metricHistory(runId, "loss");
    const steps = new Set(h.map((x) => x.step));
    for (let s = 0; s < flushed; s++) if (!steps.has(s)) throw new Error(`flushed step ${s} is missing`);
    expect(h.length).toBeGreaterThanOrEqual(flushed);
    expect(h.find((x) => x.step === 0)?.value).toBe(1);
    let status = (await w.experiments.getRun(runId)).status;
    const deadline = Date.now() + 10_000;
    while (status !== "crashed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await w.experiments.getRun(runId)).status;
    }
    expect(status).toBe("crashed");
    const crashed = await w.experiments.searchRuns({ filter: "attributes.status = 'crashed'" });
    expect(crashed.runs.map((r) => r.id)).toEqual([runId]);
  }, 60_000);
});

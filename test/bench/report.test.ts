// The benchmark report: `npm run bench -- --quick <name>` writes results.json and RESULTS.md. Only
// the report's shape is checked here, never a timing.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RecordedFigure } from "../../bench/report.js";
import { merge, renderMarkdown, type Results } from "../../bench/results.js";

const root = join(import.meta.dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "mlcycle-bench-report-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("bench report", () => {
  it("a quick run of one bench writes results.json with every figure and the machine, and RESULTS.md", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(root, "bench", "index.ts"), "--quick", "--out", out, "evaluation"],
      { cwd: root, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    expect(results.quick).toBe(true);
    expect(results.machine).toEqual({
      cores: expect.any(Number),
      cpu: expect.any(String),
      memoryGiB: expect.any(Number),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverage: [expect.any(Number), expect.any(Number), expect.any(Number)],
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(results.benches).toEqual([
      {
        bench: "evaluation",
        file: "evaluation.bench.ts",
        status: "ok",
        date: expect.any(String),
        seconds: expect.any(Number),
        loadAverage: { start: expect.any(Array), end: expect.any(Array) },
      },
    ]);
    expect(results.figures.length).toBeGreaterThanOrEqual(4);
    for (const f of results.figures) {
      expect(f).toEqual({
        bench: "evaluation",
        name: expect.any(String),
        value: expect.any(Number),
        unit: "ms",
        baseline: { name: expect.any(String), value: expect.any(Number) },
        ratio: expect.any(Number),
        target: f.target === null ? null : expect.any(String),
        met: f.target === null ? null : expect.any(Boolean),
        note: null,
      });
      expect(f.ratio).toBeCloseTo(f.value / f.baseline!.value, 9);
    }
    const targeted = results.figures.find((f) => f.target !== null)!;
    expect(targeted.name).toBe("evaluate classification, binary + probabilities (23 metrics)");
    expect(targeted.target).toBe("≤ 5× baseline");
    expect(targeted.met).toBe(targeted.ratio! <= 5);

    const md = readFileSync(join(out, "RESULTS.md"), "utf8");
    expect(md).toBe(renderMarkdown(results));
    expect(md).toContain("**Quick run**");
    expect(md).toContain("## evaluation");
    expect(md).toContain("| evaluate classification, binary + probabilities (23 metrics) |");
  }, 180_000);

  it("a run of some benches replaces their figures and keeps the others'", () => {
    const figure = (bench: string, name: string): RecordedFigure => ({
      bench,
      name,
      value: 1,
      unit: "ms",
      baseline: null,
      ratio: null,
      target: null,
      met: null,
      note: null,
    });
    const run = (benches: string[], figures: RecordedFigure[]): Results => ({
      machine: {
        cores: 2,
        cpu: "cpu",
        memoryGiB: 1,
        node: "v20",
        platform: "linux x64",
        loadAverage: [1, 1, 1],
        date: "2026-01-01T00:00:00.000Z",
      },
      quick: false,
      benches: benches.map((bench) => ({
        bench,
        file: `${bench}.bench.ts`,
        status: "ok",
        date: "2026-01-01T00:00:00.000Z",
        seconds: 1,
        loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
      })),
      figures,
    });
    const before = run(["a", "b"], [figure("a", "a1"), figure("b", "b1"), figure("b", "b2")]);
    const merged = merge(before, run(["a"], [figure("a", "a2")]));
    expect(merged.benches.map((b) => b.bench)).toEqual(["a", "b"]);
    expect(merged.figures.map((f) => f.name)).toEqual(["a2", "b1", "b2"]);
    // A quick run never mixes with a full one.
    expect(merge(before, { ...run(["a"], []), quick: true }).benches.map((b) => b.bench)).toEqual(["a"]);
  });
});

// `mlcycle runs list | search | show | compare | history` on a workspace prepared with the library:
// three finished runs of one experiment with a metric history, a child run, an artifact and a
// dataset input, a run of another experiment, and a deleted run.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { manualClock, openWorkspace, type RunComparison, type RunInfo } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { cells, runCli, runJson } from "./run-cli.js";

const T0 = Date.UTC(2025, 2, 1, 9, 30);
const DIGEST = "ab".repeat(32);

describe("mlcycle runs", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-runs-");
  const ws = join(cwd, "ws");
  const cli = (...args: string[]) => runCli([...args, "-w", ws], { cwd });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const clock = manualClock(T0);
    await using w = await openWorkspace(ws, { clock });
    for (const [i, lr] of [0.1, 0.01, 0.5].entries()) {
      const name = `rf-${i}`;
      const run = await w.experiments.startRun({
        experiment: "iris",
        name,
        params: { lr, model: i === 2 ? "logreg" : "rf" },
        tags: { team: "vision" },
      });
      ids[name] = run.id;
      // loss falls from 1 to 1/50 over steps 0..49.
      for (let s = 0; s < 50; s++) run.logMetric("loss", 1 / (s + 1), { step: s });
      run.logMetric("acc", 0.8 + i * 0.05);
      if (i === 0) {
        await run.logInput({ name: "iris-train", digest: DIGEST, context: "training", source: "s3://data/iris.csv" });
        await run.logArtifact("model.json", JSON.stringify({ lr }));
        const child = await w.experiments.startRun({ experiment: "iris", name: "fold-1", parentRunId: run.id });
        await child.end();
      }
      clock.advance(60_000 * (i + 1));
      await run.end();
    }
    const other = await w.experiments.startRun({ experiment: "churn", name: "gbm" });
    other.logMetric("auc", 0.7);
    await other.end("failed", { error: new Error("out of memory") });
    ids.gbm = other.id;
    const gone = await w.experiments.startRun({ experiment: "iris", name: "scratch" });
    await gone.end();
    await w.experiments.deleteRun(gone.id);
  }, 120_000);

  it("list: newest first with status, duration and the runs' metrics and params; --json the runs", async () => {
    const r = await cli("runs", "list");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const [head, ...rows] = cells(r.stdout);
    expect(head).toEqual([
      "ID",
      "NAME",
      "EXPERIMENT",
      "STATUS",
      "STARTED",
      "DURATION",
      "metrics.acc",
      "metrics.auc",
      "metrics.loss",
      "params.lr",
      "params.model",
    ]);
    // Newest first (rf-0 and its child started at the same instant).
    expect(rows.map((c) => c[1]).slice(0, 3)).toEqual(["gbm", "rf-2", "rf-1"]);
    expect(
      rows
        .map((c) => c[1])
        .slice(3)
        .sort(),
    ).toEqual(["fold-1", "rf-0"]);
    const rf0 = rows.find((c) => c[1] === "rf-0") as string[];
    expect(rf0).toEqual([
      ids["rf-0"],
      "rf-0",
      "iris",
      "finished",
      "2025-03-01 09:30:00Z",
      "1m 00s",
      "0.8",
      "-",
      "0.02",
      "0.1",
      "rf",
    ]);
    expect(rows.find((c) => c[1] === "gbm")?.slice(2, 4)).toEqual(["churn", "failed"]);
    const json = await runJson<RunInfo[]>(["runs", "list", "-e", "iris", "-w", ws], { cwd });
    expect(json.map((run) => run.name).sort()).toEqual(["fold-1", "rf-0", "rf-1", "rf-2"]);
    const rf1 = json.find((run) => run.name === "rf-1");
    expect(rf1?.params).toEqual({ lr: "0.01", model: "rf" });
    expect(rf1?.metrics.acc).toBeCloseTo(0.85, 12);
  });

  it("list --limit says more match; --columns picks the columns; --all shows deleted runs", async () => {
    const r = await cli("runs", "list", "--limit", "2", "--columns", "metrics.acc,tags.team", "-o", "metrics.acc DESC");
    const lines = cells(r.stdout);
    expect(lines[0].slice(-2)).toEqual(["metrics.acc", "tags.team"]);
    expect(lines.slice(1, 3).map((c) => [c[1], c[6], c[7]])).toEqual([
      ["rf-2", "0.9", "vision"],
      ["rf-1", "0.85", "vision"],
    ]);
    expect(lines[3].join(" ")).toMatch(/^\(the first 2 runs: more match; raise --limit to see them\)$/);
    const all = await runJson<RunInfo[]>(["runs", "list", "--all", "-w", ws], { cwd });
    expect(all.map((run) => run.name)).toContain("scratch");
    const bad = await cli("runs", "list", "--columns", "acc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mlcycle: --columns: 'acc' is not metrics.KEY, params.KEY or tags.KEY\n$/);
  });

  it("search: the filter language, with order and experiments", async () => {
    const r = await runJson<RunInfo[]>(
      ["runs", "search", "metrics.acc >= 0.85 and params.model IN ('rf', 'logreg')", "-o", "metrics.acc", "-w", ws],
      { cwd },
    );
    expect(r.map((run) => run.name)).toEqual(["rf-1", "rf-2"]);
    const none = await cli("runs", "search", "tags.team = 'nobody'");
    expect(none).toMatchObject({ code: 0, stdout: "no runs match\n" });
    const table = await cli("runs", "search", "attributes.status = 'failed'");
    expect(
      cells(table.stdout)
        .slice(1)
        .map((c) => c[1]),
    ).toEqual(["gbm"]);
  });

  it("search: a filter that does not parse exits 2 and points at the position", async () => {
    const r = await cli("runs", "search", "metrics.acc >> 0.9");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "mlcycle: filter is invalid at position 14: metrics.acc compares to numbers; found '>' (near '> 0.9')",
        "  metrics.acc >> 0.9",
        "               ^",
        "",
      ].join("\n"),
    );
    const order = await cli("runs", "list", "-o", "metrics.acc SIDEWAYS");
    expect(order.code).toBe(2);
    expect(order.stderr.split("\n")[0]).toMatch(/^mlcycle: .*position/);
    expect(order.stderr.split("\n")[2]).toMatch(/^ +\^$/);
  });

  it("show: the run with params, metrics and their sparklines, tags, artifacts, inputs and child runs", async () => {
    const r = await cli("runs", "show", ids["rf-0"], "--width", "10");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const out = r.stdout;
    expect(out).toMatch(new RegExp(`^run rf-0 \\(${ids["rf-0"]}\\) in experiment iris: finished\\n`));
    expect(out).toContain("  started   2025-03-01 09:30:00Z\n  ended     2025-03-01 09:31:00Z (after 1m 00s)\n");
    expect(out).toMatch(/\nparams\n {2}KEY +VALUE\n {2}lr +0\.1\n {2}model +rf\n/);
    expect(out).toMatch(/\n {2}loss +0\.02 +█[▁-█]{0,8}▁ +min 0\.02 +max 1 +last 0\.02 +\(steps 0–49\)\n/);
    expect(out).toMatch(/\n {2}acc +0\.8 +▄ +min 0\.8 +max 0\.8 +last 0\.8 +\(step 0\)\n/);
    expect(out).toMatch(/\nartifacts\n {2}PATH +SIZE +DIGEST\n {2}model\.json +10 +[0-9a-f]{12}\n/);
    expect(out).toMatch(
      /\ndataset inputs\n {2}NAME +DIGEST +CONTEXT +SOURCE\n {2}iris-train +abababababab +training +s3:\/\/data\/iris\.csv\n/,
    );
    expect(out).toMatch(/\nchild runs \(1\)\n {2}ID +NAME +STATUS\n {2}[0-9A-Z]{26} +fold-1 +finished\n$/);
    // By name, when one run has it; --json has everything.
    const json = await runJson<{
      run: RunInfo;
      experiment: string;
      children: RunInfo[];
      history: Record<string, unknown[]>;
    }>(["runs", "show", "rf-0", "--width", "10", "-w", ws], { cwd });
    expect(json.run.id).toBe(ids["rf-0"]);
    expect(json.experiment).toBe("iris");
    expect(json.children.map((c) => c.name)).toEqual(["fold-1"]);
    expect(json.history.loss.length).toBeLessThanOrEqual(10);
  });

  it("show: a failed run's error; an unknown run exits 1", async () => {
    const r = await cli("runs", "show", "gbm");
    expect(r.stdout).toMatch(/: failed\n/);
    expect(r.stdout).toMatch(/\n {2}error +.*out of memory/);
    const unknown = await cli("runs", "show", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("mlcycle: run 'nope' not found: give a run id (mlcycle runs list) or a run name\n");
  });

  it("compare: params and metrics side by side, differing rows marked; --diff; --json", async () => {
    const r = await cli("runs", "compare", "rf-0", "rf-1", "rf-2");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const lines = cells(r.stdout);
    expect(lines[0][0]).toBe("KEY");
    expect(lines[0].slice(1)).toEqual([
      `rf-0 (${ids["rf-0"].slice(-6)})`,
      `rf-1 (${ids["rf-1"].slice(-6)})`,
      `rf-2 (${ids["rf-2"].slice(-6)})`,
    ]);
    expect(lines.slice(1, 6)).toEqual([
      ["status", "finished", "finished", "finished"],
      ["params.lr", "0.1", "0.01", "0.5", "≠"],
      ["params.model", "rf", "rf", "logreg", "≠"],
      ["metrics.acc", "0.8", "0.85", "0.9", "≠"],
      ["metrics.loss", "0.02", "0.02", "0.02"],
    ]);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("3 runs, 2 params, 2 metrics; 3 differ");
    const diff = await cli("runs", "compare", "rf-0", "rf-1", "--diff");
    expect(
      cells(diff.stdout)
        .map((c) => c[0])
        .filter(Boolean),
    ).toEqual(["KEY", "status", "params.lr", "metrics.acc", "2 runs, 2 params, 2 metrics; 2 differ"]);
    const json = await runJson<RunComparison>(["runs", "compare", ids["rf-0"], ids.gbm, "-w", ws], { cwd });
    expect(json.metrics.map((m) => [m.key, m.values])).toEqual([
      ["acc", [0.8, null]],
      ["auc", [null, 0.7]],
      ["loss", [0.02, null]],
    ]);
    const one = await cli("runs", "compare", "rf-0");
    expect(one.code).toBe(2);
    expect(one.stderr).toBe("mlcycle: runs compare needs at least two runs\n");
  });

  it("history: a sparkline per metric; --json the points; an unknown metric exits 1", async () => {
    const r = await cli("runs", "history", "rf-0", "loss", "--width", "20");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^loss {2}█[▁-█]{0,18}▁ {2}min 0\.02 {2}max 1 {2}last 0\.02 {2}\(steps 0–49\)\n$/);
    const all = await cli("runs", "metric", "rf-0", "--start-step", "40");
    expect(all.stdout.split("\n")[1]).toMatch(
      /^loss {2}[▁-█]+ {2}min 0\.02 {2}max 0\.02439 {2}last 0\.02 {2}\(steps 40–49\)$/,
    );
    const json = await runJson<{ run: string; metrics: Record<string, Array<{ step: number; value: number }>> }>(
      ["runs", "history", "rf-0", "loss", "-w", ws],
      { cwd },
    );
    expect(json.run).toBe(ids["rf-0"]);
    expect(json.metrics.loss).toHaveLength(50);
    expect(json.metrics.loss[49]).toMatchObject({ step: 49, value: 0.02 });
    const unknown = await cli("runs", "history", "rf-0", "f1");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`mlcycle: run rf-0 (${ids["rf-0"]}) has no metric 'f1': its metrics are acc, loss\n`);
  });
});

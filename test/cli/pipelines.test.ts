// `mlcycle pipelines list | runs | show | graph | resume | explain-cache` on pipeline runs made with
// the library. The pipeline lives in a module written here: the test runs it, and the CLI gets it
// with --module (its default export registers it), as a user's service module would give it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type AnyPipeline, type CacheExplanation, openWorkspace, type Workspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { cells, cliLibrary, runCli, runJson } from "./run-cli.js";

const zod = pathToFileURL(join(import.meta.dirname, "..", "..", "node_modules", "zod", "index.js")).href;

/** The module: three steps, `fit` failing while FAIL_FIT=1 is set in the environment. */
const MODULE = `import { pipeline, step } from ${JSON.stringify(cliLibrary)};
import { z } from ${JSON.stringify(zod)};

const load = step({
  name: "load", version: "1",
  input: z.object({ n: z.number() }), output: z.object({ rows: z.array(z.number()) }),
  run: ({ n }, ctx) => { ctx.log.info("loading", { n }); return { rows: Array.from({ length: n }, (_, i) => i) }; },
});
const fit = step({
  name: "fit", version: "1",
  input: z.object({ rows: z.array(z.number()), lr: z.number() }), output: z.object({ w: z.number() }),
  run: ({ rows, lr }) => {
    if (process.env.FAIL_FIT === "1") throw new Error("fit failed on purpose");
    return { w: rows.length * lr };
  },
});
const evaluate = step({
  name: "evaluate", version: "1",
  input: z.object({ w: z.number(), rows: z.array(z.number()) }), output: z.object({ score: z.number() }),
  run: ({ w, rows }) => ({ score: w / rows.length }),
});

export const train = pipeline("train", { params: z.object({ n: z.number().default(10), lr: z.number().default(0.1) }) })
  .step("load", load, ({ params }) => ({ n: params.n }))
  .step("fit", fit, ({ load, params }) => ({ rows: load.rows, lr: params.lr }))
  .step("evaluate", evaluate, ({ fit, load }) => ({ w: fit.w, rows: load.rows }));

export default function register(ws) {
  ws.pipelines.register(train);
}
`;

describe("mlcycle pipelines", { timeout: 180_000 }, () => {
  const cwd = tempDir("mlcycle-cli-pipelines-");
  const ws = join(cwd, "ws");
  const module = join(cwd, "pipelines.mjs");
  const cli = (...args: string[]) => runCli([...args, "-w", ws], { cwd });
  const runs: Record<"first" | "second" | "failed" | "failedAgain", string> = {
    first: "",
    second: "",
    failed: "",
    failedAgain: "",
  };
  let train: AnyPipeline;

  /** Runs `train` with FAIL_FIT set while it runs. */
  async function failing(w: Workspace, params: object): Promise<string> {
    process.env.FAIL_FIT = "1";
    try {
      const r = await w.pipelines.run(train as never, params as never);
      expect(r.status).toBe("failed");
      return r.id;
    } finally {
      delete process.env.FAIL_FIT;
    }
  }

  beforeAll(async () => {
    writeFileSync(module, MODULE);
    train = ((await import(pathToFileURL(module).href)) as { train: AnyPipeline }).train;
    // The pipeline is made of the CLI's copy of the library (dist/ or src/): it runs on that copy.
    const library = (await import(cliLibrary)) as typeof import("../../src/index.js");
    await using w = await library.openWorkspace(ws);
    runs.first = (await w.pipelines.run(train as never, { n: 10, lr: 0.1 } as never)).id;
    runs.second = (await w.pipelines.run(train as never, { n: 10, lr: 0.2 } as never)).id;
    runs.failed = await failing(w, { n: 20, lr: 0.2 });
    runs.failedAgain = await failing(w, { n: 30, lr: 0.2 });
  }, 120_000);

  it("list: each pipeline version with its runs; --module adds the step count", async () => {
    const r = await cli("pipelines", "list");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const version = train.version.slice(0, 12);
    expect(cells(r.stdout)).toEqual([
      ["PIPELINE", "VERSION", "STEPS", "RUNS", "SUCCEEDED", "FAILED", "LAST RUN", "LAST STATUS"],
      ["train", version, "-", "4", "2", "2", expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/), "failed"],
    ]);
    const json = await runJson<Array<{ pipeline: string; steps?: string[]; runs: number; lastRun: { id: string } }>>(
      ["pipelines", "list", "--module", module, "-w", ws],
      { cwd },
    );
    expect(json).toEqual([
      expect.objectContaining({
        pipeline: "train",
        version: train.version,
        steps: ["load", "fit", "evaluate"],
        runs: 4,
      }),
    ]);
    expect(json[0].lastRun.id).toBe(runs.failedAgain);
  });

  it("runs: newest first with status and how the steps ended; --status; --json", async () => {
    const r = await cli("pipelines", "runs");
    const [head, ...rows] = cells(r.stdout);
    expect(head).toEqual(["ID", "PIPELINE", "VERSION", "STATUS", "TRIGGER", "STARTED", "DURATION", "STEPS"]);
    expect(rows.map((c) => [c[0], c[3], c[4], c[7]])).toEqual([
      [runs.failedAgain, "failed", "manual", "1 succeeded, 1 failed"],
      [runs.failed, "failed", "manual", "1 succeeded, 1 failed"],
      [runs.second, "succeeded", "manual", "2 succeeded, 1 cached"],
      [runs.first, "succeeded", "manual", "3 succeeded"],
    ]);
    const failed = await runJson<Array<{ run: { id: string }; steps: Array<{ step: string }> }>>(
      ["pipelines", "runs", "--status", "failed", "--limit", "1", "-w", ws],
      { cwd },
    );
    expect(failed.map((d) => d.run.id)).toEqual([runs.failedAgain]);
    expect((await cli("pipelines", "runs", "--status", "lost")).code).toBe(2);
  });

  it("show: the run, its params and steps; --logs what they logged", async () => {
    const r = await cli("pipelines", "show", runs.failed, "--logs");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const out = r.stdout;
    expect(out).toMatch(new RegExp(`^pipeline run ${runs.failed}: train@${train.version.slice(0, 12)} failed\\n`));
    expect(out).toContain('\n  params    {"n":20,"lr":0.2}\n');
    expect(out).toMatch(/\n {2}error +step 'fit' failed: fit failed on purpose\n/);
    expect(out).toMatch(
      /\nsteps\n {2}STEP +STATUS +ATTEMPTS +STARTED +DURATION +NOTE\n {2}load +succeeded +1 +.*\n {2}fit +failed +1 .* fit failed on purpose\n/,
    );
    expect(out).toMatch(/\nlogs\n {2}AT +STEP +LEVEL +MESSAGE\n {2}\S+ \S+ +load +info +loading \{"n":20\}\n$/);
    const unknown = await cli("pipelines", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^mlcycle: pipeline run '01ARZ3NDEKTSV4RRFFQ69G5FAV' not found\n$/);
  });

  it("graph: the DAG as a tree from the definition --module registers; for a run, each step's status", async () => {
    const v = train.version.slice(0, 12);
    const def = await cli("pipelines", "graph", "train", "--module", module);
    expect(def).toMatchObject({ code: 0, stderr: "" });
    expect(def.stdout).toBe(
      [
        `pipeline train@${v} (3 steps)`,
        "load [load@1] ← params.n",
        "├── fit [fit@1] ← load.rows, params.lr",
        "│   └── evaluate [evaluate@1] ← fit.w, load.rows",
        "└── evaluate [evaluate@1] ← fit.w, load.rows (↑ above)",
        "",
      ].join("\n"),
    );
    const run = await cli("pipelines", "graph", runs.failed, "--module", module);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^pipeline train@${v}, run ${runs.failed}: failed after \\S+$`));
    expect(lines[1]).toMatch(/^load \[load@1\] ← params\.n: succeeded \(\S+\)$/);
    expect(lines[2]).toMatch(/^├── fit \[fit@1\] ← load\.rows, params\.lr: failed \(\S+, fit failed on purpose\)$/);
    expect(lines[3]).toBe("│   └── evaluate [evaluate@1] ← fit.w, load.rows: not started");
    const json = await runJson<{
      pipeline: string;
      nodes: Array<{ name: string; dependsOn: string[] }>;
      run: { id: string };
    }>(["pipelines", "graph", runs.failed, "--module", module, "-w", ws], { cwd });
    expect(json.nodes.map((n) => [n.name, n.dependsOn])).toEqual([
      ["load", []],
      ["fit", ["load"]],
      ["evaluate", ["fit", "load"]],
    ]);
    expect(json.run.id).toBe(runs.failed);
  });

  it("graph without the definition: a run's steps, and how to get the edges; an unknown pipeline exits 1", async () => {
    const r = await cli("pipelines", "graph", runs.first);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}load: succeeded/);
    expect(r.stdout).toMatch(
      /\n\(the edges need the definition: pass --module FILE that registers train@[0-9a-f]{12}\)\n$/,
    );
    const named = await cli("pipelines", "graph", "train");
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(
      /^mlcycle: 'train' is neither a pipeline run id nor a known pipeline: pass --module FILE/,
    );
    const other = await cli("pipelines", "graph", "score", "--module", module);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/registers train@[0-9a-f]{12}\n$/);
  });

  it("explain-cache: hit or miss per step and what differs", async () => {
    const r = await cli("pipelines", "explain-cache", runs.second);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(new RegExp(`^load \\(cached\\): hit\\n {2}hit: .*'${runs.first}'\\n`));
    expect(r.stdout).toMatch(
      /\nfit \(succeeded\): miss\n {2}miss: differs from the closest earlier entry .* in input\n/,
    );
    expect(r.stdout).toMatch(/\n {2}COMPONENT +BEFORE +NOW\n {2}input +[0-9a-f]{12}… +[0-9a-f]{12}…\n/);
    const json = await runJson<CacheExplanation[]>(["pipelines", "explain-cache", runs.second, "fit", "-w", ws], {
      cwd,
    });
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ step: "fit", hit: false, differences: [{ component: "input" }] });
    const unknown = await cli("pipelines", "explain-cache", runs.second, "score");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`mlcycle: run ${runs.second} has no step 'score': its steps are load, fit, evaluate\n`);
  });

  it("resume: runs what did not complete; a run that fails again exits 1", async () => {
    const again = await runCli(["pipelines", "resume", runs.failedAgain, "--module", module, "-w", ws], {
      cwd,
      env: { FAIL_FIT: "1" },
    });
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^pipeline run \S+ \(train@\S+\): failed after \S+\n/);
    expect(again.stdout).toMatch(/\n {2}fit +failed +1 +fit failed on purpose\n/);
    expect(again.stderr).toBe(
      `mlcycle: pipeline run ${runs.failedAgain} failed: step 'fit' failed: fit failed on purpose\n`,
    );
    const r = await cli("pipelines", "resume", runs.failed, "--module", module);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(cells(r.stdout).slice(1)).toEqual([
      ["STEP", "STATUS", "ATTEMPTS", "NOTE"],
      ["load", "succeeded", "1"],
      ["fit", "succeeded", "1"],
      ["evaluate", "succeeded", "1"],
    ]);
    await using w = await openWorkspace(ws);
    expect((await w.pipelines.get(runs.failed)).run.status).toBe("succeeded");
    expect(await w.pipelines.output(runs.failed, "evaluate")).toEqual({ score: 0.2 });
  });

  it("resume needs --module, and a module that registers the run's pipeline", async () => {
    const r = await cli("pipelines", "resume", runs.failedAgain);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlcycle: required option '--module <path>' not specified\n");
    const empty = join(cwd, "empty.mjs");
    writeFileSync(empty, "export default function register() {}\n");
    const none = await cli("pipelines", "resume", runs.failedAgain, "--module", empty);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^mlcycle: .*empty\.mjs does not register train@[0-9a-f]{12}, the definition run \S+ was made with\n$/,
    );
  });
});

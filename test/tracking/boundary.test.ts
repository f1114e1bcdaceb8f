import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createWorkspace,
  isMlcycleError,
  type MlcycleError,
  memoryStore,
  openWorkspace,
  type Workspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
let n = 0;
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${n++}`))],
];

/** The MlcycleError a call fails with; a raw error (or a success) fails the test. */
async function failure(call: () => unknown): Promise<MlcycleError> {
  try {
    await call();
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw new Error(`expected an MlcycleError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected an MlcycleError, but the call succeeded");
}

async function validation(call: () => unknown, names: string | RegExp): Promise<MlcycleError> {
  const e = await failure(call);
  expect(e.code, e.message).toBe("VALIDATION");
  expect(e.message).toMatch(names);
  return e;
}

const CYCLIC = (() => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
})();
const DEEP = (() => {
  let v: unknown = 1;
  for (let i = 0; i < 20_000; i++) v = [v];
  return v;
})();

describe.each(workspaces)("the tracking boundary on %s", (name, open) => {
  it("refuses malformed searchRuns options with VALIDATION naming the option (was a TypeError)", async () => {
    await using ws = await open();
    const search = (o: unknown) => () => ws.experiments.searchRuns(o as never);
    await validation(search({ filter: 42 }), /filter/);
    await validation(search({ orderBy: {} }), /orderBy/);
    await validation(search({ orderBy: [1] }), /orderBy/);
    await validation(search({ experiments: 5 }), /experiments/);
    await validation(search({ experiments: [null] }), /experiments/);
    await validation(search({ maxResults: -1 }), /maxResults/);
    await validation(search({ maxResults: 1.5 }), /maxResults/);
    await validation(search({ pageToken: {} }), /pageToken/);
    await validation(search({ lifecycle: 1 }), /lifecycle/);
    await validation(search({ maxResult: 5 }), /maxResult/);
    await validation(search(5), /searchRuns options/);
    await validation(search(null), /searchRuns options/);
    await validation(() => ws.experiments.searchRunsCsv({ filter: 42 } as never), /filter/);
    await validation(() => ws.experiments.searchRunsCsv({ maxResults: 0 }), /maxResults/);
  });

  it("checks metricHistory options before reading anything (maxPoints: 0 was checked after loading every point)", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "history" });
    await validation(() => ws.experiments.metricHistory(run.id, "m", { maxPoints: 0 }), /maxPoints/);
    // The options are checked first: a bad option on a missing run is VALIDATION, not NOT_FOUND.
    await validation(() => ws.experiments.metricHistory("nope", "m", { maxPoints: 1.5 }), /maxPoints/);
    await validation(() => ws.experiments.metricHistory(run.id, "m", { endStep: "9" } as never), /endStep/);
    await validation(() => ws.experiments.metricHistory(run.id, "m", 5 as never), /metricHistory options/);
    await validation(() => ws.experiments.list({ limit: 1.5 }), /limit/);
    await validation(() => ws.experiments.list(null as never), /list options/);
  });

  it("refuses an artifact body that is not bytes and records nothing (['a', 'b'] reached SQLite as a NaN size)", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "bodies" });
    for (const body of [5, null, {}, ["a", "b"], [new Uint8Array([1]), 2], new Float32Array(2), undefined]) {
      await validation(() => run.logArtifact("x.bin", body as never), /body/);
    }
    await validation(() => run.logArtifact("x.txt", "broken \uD800 text"), /surrogate/);
    expect(await ws.experiments.listArtifacts(run.id)).toEqual([]);
    const ok = await run.logArtifact("x.bin", [new Uint8Array([1, 2]), new Uint8Array([3])]);
    expect(ok.size).toBe(3);
    expect([...(await ws.experiments.readArtifact(run.id, "x.bin"))]).toEqual([1, 2, 3]);
  });

  it("refuses logMetrics([1, 2]) and other non-records (it logged metrics named '0' and '1')", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "records" });
    await validation(() => run.logMetrics([1, 2] as never), /metrics/);
    await validation(() => run.logMetrics(new Map([["a", 1]]) as never), /metrics/);
    await validation(() => run.logMetrics(5 as never), /metrics/);
    await validation(() => run.logMetric("m", 1, 5 as never), /options/);
    await validation(() => run.logParams([["a", 1]] as never), /params/);
    await validation(() => run.setTags(new Map() as never), /tags/);
    await run.end();
    expect((await ws.experiments.getRun(run.id)).metrics).toEqual({});
  });

  it("refuses params and tags whose values are not text, numbers or booleans, naming the key", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "values" });
    for (const v of [null, {}, [1], Symbol("s"), 1n, () => 1, CYCLIC, DEEP])
      await validation(() => run.logParams({ p: v as never }), /params\.p/);
    for (const v of [5, true, null, {}, 1n, CYCLIC]) await validation(() => run.setTags({ t: v as never }), /tags\.t/);
    await validation(() => run.logParam(Symbol("k") as never, 1), /param key/);
    await validation(() => run.setTag(5 as never, "v"), /tag key/);
    await validation(() => ws.experiments.startRun({ experiment: "values", params: { p: 1n as never } }), /bigint/);
    // `__proto__` was dropped from the latest metrics of both stores.
    await validation(() => run.logMetric("__proto__", 1), /__proto__/);
    await validation(() => run.logParams(JSON.parse('{"__proto__": "x"}')), /__proto__/);
    await run.end();
    expect((await ws.experiments.getRun(run.id)).params).toEqual({});
  });

  it("refuses cyclic, 20,000-deep and bigint dataset schemas with VALIDATION at their path", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "schemas" });
    const input = (schema: unknown) => () => run.logInput({ name: "d", digest: "x", schema });
    expect((await validation(input(CYCLIC), /cycle/)).issues[0].path).toEqual(["dataset.schema", "self"]);
    await validation(input(DEEP), /nested more than 1000 levels/);
    expect((await validation(input({ n: 1n }), /bigint/)).issues[0].path).toEqual(["dataset.schema", "n"]);
    await validation(input({ x: Number.NaN }), /NaN/);
    await validation(input(new Map()), /Map/);
    await validation(input({ ["k\uDC00"]: 1 }), /surrogate/);
    expect(await ws.experiments.listInputs(run.id)).toEqual([]);
  });

  it("checks withRun's arguments before starting a run", async () => {
    await using ws = await open();
    await validation(() => ws.experiments.withRun({ experiment: "w" }, 5 as never), /fn/);
    await validation(() => ws.experiments.withRun(null as never, async () => 1), /startRun options/);
    await validation(() => ws.experiments.withRun({ experiment: 5 } as never, async () => 1), /experiment/);
    await validation(() => ws.experiments.withRun({ experiment: "w", parent: "x" } as never, async () => 1), /parent/);
    await validation(() => ws.experiments.startRun({ experiment: "w", runId: 5 } as never), /runId/);
    expect((await ws.experiments.searchRuns()).runs).toEqual([]);
    await validation(() => ws.experiments.endRun("x", "finished", 5 as never), /endRun options/);
    await validation(() => ws.experiments.create("w", { descripton: "typo" } as never), /descripton/);
    await validation(() => ws.experiments.update("w", null as never), /experiment patch/);
    await validation(() => ws.experiments.get(5 as never), /experiment/);
    await validation(() => ws.experiments.getRun(null as never), /runId/);
    await validation(() => ws.experiments.compareRuns(Array.from({ length: 1001 }, () => "x")), /runIds/);
  });

  it("checks sweep options before starting a run (a list space gave params named '0', null earlyStopping a TypeError)", async () => {
    await using ws = await open();
    const base = { experiment: "sweeps", method: "grid", metric: "m", goal: "maximize", objective: () => 1 } as const;
    const sweep = (o: Record<string, unknown>) => () =>
      ws.experiments.sweep({ ...base, space: { a: [1] }, ...o } as never);
    await validation(sweep({ space: [[1, 2]] }), /space/);
    await validation(sweep({ space: { a: { type: "int", min: 1, max: 2, note: 1n } } }), /space\.a\.note.*bigint/);
    await validation(sweep({ space: CYCLIC }), /cycle/);
    await validation(sweep({ earlyStopping: null }), /earlyStopping/);
    await validation(sweep({ earlyStopping: { warmupSteps: -1 } }), /warmupSteps/);
    await validation(sweep({ signal: 5 }), /signal/);
    await validation(sweep({ tags: ["a"] }), /tags/);
    await validation(sweep({ concurency: 2 }), /concurency/);
    await validation(sweep({ objective: "f" }), /objective/);
    expect((await ws.experiments.searchRuns()).runs).toEqual([]);
    const done = await ws.experiments.sweep({ ...base, space: { a: [1, 2] }, earlyStopping: false });
    expect(done.trials).toHaveLength(2);
  });

  it("logs a folder all or nothing: a later invalid name leaves no earlier file logged", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "dirs" });
    const folder = join(dir, `folder-${name}`);
    mkdirSync(join(folder, "sub"), { recursive: true });
    writeFileSync(join(folder, "a.txt"), "a");
    writeFileSync(join(folder, "sub", "b.txt"), "b");
    writeFileSync(join(folder, "z\\bad.txt"), "z");
    const e = await validation(() => run.logArtifactDir(folder), /z\\bad\.txt/);
    expect(e.message).toContain("backslash");
    expect(await ws.experiments.listArtifacts(run.id)).toEqual([]);
    await validation(() => run.logArtifactDir(5 as never), /localDir/);
    await validation(() => run.logArtifactFile(5 as never), /localPath/);
  });

  it("refuses lone surrogates in names, keys, params, tags and filters (SQLite stored U+FFFD)", async () => {
    await using ws = await open();
    const bad = "x\uD800y";
    const lowOnly = "x\uDC00";
    await validation(() => ws.experiments.create(bad), /experiment name.*surrogate/);
    await validation(() => ws.experiments.create("ok", { description: lowOnly }), /description.*surrogate/);
    await validation(() => ws.experiments.startRun({ experiment: lowOnly }), /experiment.*surrogate/);
    const run = await ws.experiments.startRun({ experiment: "text", name: "kept 🚀 naïve" });
    await validation(() => ws.experiments.startRun({ experiment: "text", name: bad }), /run name.*surrogate/);
    await validation(() => run.logParams({ [bad]: "v" }), /param key.*surrogate/);
    await validation(() => run.logParams({ k: lowOnly }), /params\.k.*surrogate/);
    await validation(() => run.setTags({ k: bad }), /tags\.k.*surrogate/);
    await validation(() => run.logMetric(bad, 1), /metric key.*surrogate/);
    await validation(() => run.logArtifact(`dir/${bad}`, "x"), /artifact path.*surrogate/);
    await validation(() => run.logInput({ name: bad, digest: "d" }), /dataset\.name.*surrogate/);
    await validation(() => run.logInput({ name: "d", digest: "d", source: lowOnly }), /dataset\.source.*surrogate/);
    await validation(() => ws.experiments.searchRuns({ filter: `params.k = '${bad}'` }), /filter.*surrogate/);
    await validation(() => ws.experiments.searchRuns({ orderBy: `params.\`${bad}\`` }), /orderBy.*surrogate/);
    await validation(() => ws.experiments.searchRuns({ experiments: [bad] }), /experiments.*surrogate/);
    // An error's text is stored, not refused: its broken halves become U+FFFD on every store.
    await run.end("failed", { error: new Error(`boom ${bad}`) });
    const info = await ws.experiments.getRun(run.id);
    expect(info.error).toContain("boom x\uFFFDy");
    expect(info.name).toBe("kept 🚀 naïve");
    expect(info.params).toEqual({});
    expect(info.tags).toEqual({});
  });

  // SQLite's REAL column keeps -0 as 0: the SQL store must encode the sign (trackingStoreSuite case
  // "negative-zero-metrics", pending there).
  it.skipIf(name === "sqlite")("reads a -0 metric back as -0 (it read back as 0)", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "zero" });
    run.logMetric("z", -0);
    await run.end();
    expect(Object.is((await ws.experiments.metricHistory(run.id, "z"))[0].value, -0)).toBe(true);
    expect(Object.is((await ws.experiments.getRun(run.id)).metrics.z, -0)).toBe(true);
  });

  it("refuses a duplicate caller-given runId with CONFLICT (was a raw UNIQUE constraint failed)", async () => {
    await using ws = await open();
    const first = await ws.experiments.startRun({ experiment: "ids", runId: "given-id", params: { a: 1 } });
    await first.end();
    const again = await failure(() => ws.experiments.startRun({ experiment: "ids", runId: "given-id" }));
    expect(again.code).toBe("CONFLICT");
    expect(again.details).toEqual({ runId: "given-id" });
    // Two callers at once: one wins, the other is CONFLICT.
    const racing = await Promise.allSettled([
      ws.experiments.startRun({ experiment: "ids", runId: "raced" }),
      ws.experiments.startRun({ experiment: "ids", runId: "raced" }),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const lost = racing.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(isMlcycleError(lost.reason, "CONFLICT")).toBe(true);
    expect((await ws.experiments.getRun("given-id")).params).toEqual({ a: "1" });
  });

  it("answers every call after close() with the one closed error (SQLite said 'driver has already been destroyed')", async () => {
    const ws = await open();
    const run = await ws.experiments.startRun({ experiment: "closing" });
    const ended = await ws.experiments.startRun({ experiment: "closing" });
    await ended.logArtifact("a.txt", "a");
    await ended.end();
    run.logMetric("m", 1);
    await ws.close();
    const ex = ws.experiments;
    const calls: Array<[string, () => unknown]> = [
      ["create", () => ex.create("x")],
      ["find", () => ex.find("closing")],
      ["get", () => ex.get("closing")],
      ["getOrCreate", () => ex.getOrCreate("closing")],
      ["list", () => ex.list()],
      ["rename", () => ex.rename("closing", "y")],
      ["update", () => ex.update("closing", { description: "d" })],
      ["delete", () => ex.delete("closing")],
      ["restore", () => ex.restore("closing")],
      ["startRun", () => ex.startRun({ experiment: "closing" })],
      ["resumeRun", () => ex.resumeRun(ended.id)],
      ["withRun", () => ex.withRun({ experiment: "closing" }, () => 1)],
      ["endRun", () => ex.endRun(ended.id, "killed")],
      ["getRun", () => ex.getRun(run.id)],
      ["deleteRun", () => ex.deleteRun(run.id)],
      ["restoreRun", () => ex.restoreRun(run.id)],
      ["childRuns", () => ex.childRuns(run.id)],
      ["listArtifacts", () => ex.listArtifacts(ended.id)],
      ["readArtifact", () => ex.readArtifact(ended.id, "a.txt")],
      ["listInputs", () => ex.listInputs(run.id)],
      ["metricHistory", () => ex.metricHistory(run.id, "m")],
      ["searchRuns", () => ex.searchRuns()],
      ["compareRuns", () => ex.compareRuns([run.id])],
      ["searchRunsCsv", () => ex.searchRunsCsv()],
      [
        "sweep",
        () =>
          ex.sweep({
            experiment: "s",
            method: "grid",
            space: { a: [1] },
            metric: "m",
            goal: "maximize",
            objective: () => 1,
          } as never),
      ],
      ["flush", () => ex.flush()],
      ["configure", () => ex.configure({ flushIntervalMs: 10 })],
      ["run.logParam", () => run.logParam("p", 1)],
      ["run.logParams", () => run.logParams({ p: 1 })],
      ["run.setTag", () => run.setTag("t", "v")],
      ["run.setTags", () => run.setTags({ t: "v" })],
      ["run.deleteTag", () => run.deleteTag("t")],
      ["run.rename", () => run.rename("r")],
      ["run.logMetric", () => run.logMetric("m", 2)],
      ["run.logMetrics", () => run.logMetrics({ m: 2 })],
      ["run.logArtifact", () => run.logArtifact("b.txt", "b")],
      ["run.logArtifactFile", () => run.logArtifactFile(join(dir, "nothing.txt"))],
      ["run.logArtifactDir", () => run.logArtifactDir(dir)],
      ["run.logInput", () => run.logInput({ name: "d", digest: "x" })],
      ["run.flush", () => run.flush()],
      ["run.end", () => run.end()],
      ["ended.end", () => ended.end()],
      ["ended.rename", () => ended.rename("r")],
    ];
    for (const [what, call] of calls) {
      const e = await failure(call);
      expect([what, e.code, e.details.closed]).toEqual([what, "UNAVAILABLE", true]);
      expect(e.message).toBe("the workspace is closed: open a new one to go on");
    }
    await ws.close();
  });
});

describe("store errors at the tracking boundary", () => {
  it("wraps a driver error with cause instead of letting it through", async () => {
    const metadata = memoryStore();
    const tracking = metadata.tracking;
    const failing = Object.create(tracking) as typeof tracking;
    const cause = new TypeError("socket hang up");
    failing.listExperiments = async () => {
      throw cause;
    };
    await using ws = await createWorkspace({ metadata: { ...metadata, tracking: failing } });
    const e = await failure(() => ws.experiments.list());
    expect(e.code).toBe("INTERNAL");
    expect(e.message).toContain("socket hang up");
    expect(e.cause).toBe(cause);
  });
});

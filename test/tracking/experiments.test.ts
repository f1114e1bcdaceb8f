import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createWorkspace,
  isMlcycleError,
  manualClock,
  memoryStore,
  openWorkspace,
  sha256,
  type Workspace,
  type WorkspaceOptions,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
let n = 0;
const workspaces: Array<[string, (o?: WorkspaceOptions) => Promise<Workspace>]> = [
  ["memory", (o) => createWorkspace(o)],
  ["sqlite", (o) => openWorkspace(join(dir, `ws-${n++}`), o)],
];

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (isMlcycleError(e)) return e.code;
    throw e;
  }
  return "no error";
}

async function errorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe.each(workspaces)("ws.experiments on %s", (_name, open) => {
  it("creates, gets by name or id, lists, renames, deletes and restores experiments", async () => {
    await using ws = await open();
    const created: string[] = [];
    ws.events.on("experiment.created", (e) => created.push(e.name));
    const a = await ws.experiments.create("churn", { description: "churn model", tags: { team: "ml" } });
    expect(a).toMatchObject({ name: "churn", description: "churn model", tags: { team: "ml" }, lifecycle: "active" });
    expect((await ws.experiments.get("churn")).id).toBe(a.id);
    expect((await ws.experiments.get(a.id)).name).toBe("churn");
    expect(await codeOf(ws.experiments.create("churn"))).toBe("CONFLICT");
    const missing = await errorOf(ws.experiments.get("nope"));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toContain("'nope'");
    expect((await ws.experiments.getOrCreate("churn")).id).toBe(a.id);
    const b = await ws.experiments.getOrCreate("fraud");
    expect(created).toEqual(["churn", "fraud"]);
    expect((await ws.experiments.list()).map((e) => e.name)).toEqual(["churn", "fraud"]);

    expect((await ws.experiments.rename("fraud", "fraud-v2")).name).toBe("fraud-v2");
    expect(await codeOf(ws.experiments.rename("fraud-v2", "churn"))).toBe("CONFLICT");
    expect((await ws.experiments.get(b.id)).name).toBe("fraud-v2");
    expect((await ws.experiments.update("churn", { tags: { stage: "dev" } })).tags).toEqual({
      team: "ml",
      stage: "dev",
    });

    await ws.experiments.delete("churn");
    expect((await ws.experiments.list()).map((e) => e.name)).toEqual(["fraud-v2"]);
    expect((await ws.experiments.list({ lifecycle: "deleted" })).map((e) => e.name)).toEqual(["churn"]);
    expect(await codeOf(ws.experiments.startRun({ experiment: "churn" }))).toBe("PRECONDITION");
    expect(await codeOf(ws.experiments.getOrCreate("churn"))).toBe("PRECONDITION");
    expect(await codeOf(ws.experiments.create("churn"))).toBe("CONFLICT");
    await ws.experiments.restore("churn");
    expect((await ws.experiments.startRun({ experiment: "churn" })).experimentId).toBe(a.id);
  });

  it("runs params, tags and metrics through a run's life, with events", async () => {
    await using ws = await open();
    const events: string[] = [];
    ws.events.on("run.started", (e) => events.push(`started:${e.runId}`));
    ws.events.on("run.ended", (e) => events.push(`ended:${e.runId}:${e.status}`));
    const run = await ws.experiments.startRun({
      experiment: "iris",
      name: "rf-100",
      params: { trees: 100, bootstrap: true, criterion: "gini" },
      tags: { team: "ml" },
    });
    await run.logParam("trees", 100);
    await run.logParams({ depth: 5, lr: 0.1 });
    const conflict = await errorOf(run.logParam("trees", 200));
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.message).toContain("'trees'");
    await run.setTag("team", "ml-core");
    await run.setTags({ stage: "dev" });
    for (let step = 0; step < 5; step++) run.logMetric("loss", 1 / (step + 1), { step });
    run.logMetrics({ acc: 0.9, f1: 0.8 }, { step: 4 });
    run.logMetric("nan", Number.NaN);
    run.logMetric("inf", Number.POSITIVE_INFINITY);
    run.logMetric("ninf", Number.NEGATIVE_INFINITY);
    await run.end();
    await run.end("failed"); // ending twice does nothing
    const info = await ws.experiments.getRun(run.id);
    expect(info).toMatchObject({
      id: run.id,
      name: "rf-100",
      status: "finished",
      params: { trees: "100", bootstrap: "true", criterion: "gini", depth: "5", lr: "0.1" },
      tags: { team: "ml-core", stage: "dev" },
    });
    expect(info.metrics.loss).toBe(0.2);
    expect(info.metrics.acc).toBe(0.9);
    expect(Number.isNaN(info.metrics.nan)).toBe(true);
    expect(info.metrics.inf).toBe(Number.POSITIVE_INFINITY);
    expect(info.metrics.ninf).toBe(Number.NEGATIVE_INFINITY);
    expect(info.endTime).toBeGreaterThanOrEqual(info.startTime);
    expect(events).toEqual([`started:${run.id}`, `ended:${run.id}:finished`]);
    expect(await codeOf(() => run.logMetric("x", 1))).toBe("PRECONDITION");
    expect(await codeOf(run.logParam("z", 1))).toBe("PRECONDITION");
    expect(await codeOf(ws.experiments.getRun("01ARZ3NDEKTSV4RRFFQ69G5FAV"))).toBe("NOT_FOUND");
  });

  it("withRun ends failed with the error on throw and rethrows; finished otherwise", async () => {
    await using ws = await open();
    let id = "";
    await expect(
      ws.experiments.withRun({ experiment: "w" }, async (run) => {
        id = run.id;
        run.logMetric("before", 1);
        throw new Error("diverged");
      }),
    ).rejects.toThrow("diverged");
    const failed = await ws.experiments.getRun(id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("diverged");
    expect(failed.metrics.before).toBe(1);
    const value = await ws.experiments.withRun({ experiment: "w" }, (run) => {
      id = run.id;
      return 42;
    });
    expect(value).toBe(42);
    expect((await ws.experiments.getRun(id)).status).toBe("finished");
  });

  it("nests runs and ends runs by id", async () => {
    await using ws = await open();
    const parent = await ws.experiments.startRun({ experiment: "nest" });
    const c1 = await ws.experiments.startRun({ experiment: "nest", parentRunId: parent.id, name: "fold-1" });
    const c2 = await ws.experiments.startRun({ experiment: "nest", parentRunId: parent.id, name: "fold-2" });
    await c1.end();
    await c2.end("killed");
    expect((await ws.experiments.childRuns(parent.id)).map((r) => [r.name, r.status])).toEqual([
      ["fold-1", "finished"],
      ["fold-2", "killed"],
    ]);
    expect((await ws.experiments.getRun(c1.id)).parentRunId).toBe(parent.id);
    const page = await ws.experiments.searchRuns({ filter: `attributes.parent_run_id = '${parent.id}'` });
    expect(page.runs).toHaveLength(2);
    expect(await codeOf(ws.experiments.startRun({ experiment: "nest", parentRunId: "nope" }))).toBe("NOT_FOUND");
    await ws.experiments.endRun(parent.id, "killed");
    expect((await ws.experiments.getRun(parent.id)).status).toBe("killed");
  });

  it("validates names, keys, values and batch sizes like MLflow", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "v" });
    const long = (k: number) => "x".repeat(k);
    const cases: Array<[string, () => unknown, string]> = [
      ["key 251", () => run.logParam(long(251), 1), "250"],
      ["key ok 250", () => run.logParam(long(250), 1), ""],
      ["param value 6001", () => run.logParam("p", long(6001)), "6000"],
      ["param value 6000", () => run.logParam("p6000", long(6000)), ""],
      ["tag value 8001", () => run.setTag("t", long(8001)), "8000"],
      ["tag value 8000", () => run.setTag("t", long(8000)), ""],
      ["experiment name 501", () => ws.experiments.create(long(501)), "500"],
      ["empty experiment name", () => ws.experiments.create("  "), "empty"],
      ["metric value string", () => run.logMetric("m", "1" as unknown as number), "number"],
      ["step float", () => run.logMetric("m", 1, { step: 1.5 }), "integer"],
      ["bad key chars", () => run.logMetric("a\nb", 1), "key"],
      ["param object", () => run.logParam("o", {} as unknown as string), "string, number or boolean"],
      [
        "101 params",
        () => run.logParams(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, i]))),
        "100",
      ],
      [
        "1001 metrics",
        () => run.logMetrics(Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`m${i}`, i]))),
        "1000",
      ],
      ["newline in run name", () => ws.experiments.startRun({ experiment: "v", name: "a\nb" }), "control"],
    ];
    for (const [what, fn, hint] of cases) {
      let error: unknown;
      try {
        await fn();
      } catch (e) {
        error = e;
      }
      if (hint === "") expect(error, what).toBeUndefined();
      else {
        expect(isMlcycleError(error, "VALIDATION"), `${what}: ${String(error)}`).toBe(true);
        expect(String((error as Error).message), what).toContain(hint);
      }
    }
    expect((await ws.experiments.getRun(run.id)).params[long(250)]).toBe("1");
  });

  it("keeps injection strings in names, values and filters harmless", async () => {
    await using ws = await open();
    const evil = "x'; DROP TABLE tracking_runs; --";
    const exp = await ws.experiments.create(`${evil} "quoted" \`b\``);
    const run = await ws.experiments.startRun({
      experiment: exp.name,
      name: evil,
      params: { model: evil },
      tags: { note: "Robert'); DROP TABLE tracking_params;--" },
    });
    run.logMetric("acc", 0.5);
    await run.end();
    const filters = [
      "params.model = 'x''; DROP TABLE tracking_runs; --'",
      "tags.note LIKE '%DROP TABLE%'",
      "params.model IN ('a', 'x''; DROP TABLE tracking_runs; --')",
      "attributes.run_name = 'x\\'; DROP TABLE tracking_runs; --'",
    ];
    for (const filter of filters) {
      const page = await ws.experiments.searchRuns({ experiments: exp.id, filter });
      expect(
        page.runs.map((r) => r.id),
        filter,
      ).toEqual([run.id]);
    }
    for (const bad of [
      "params.model = 'a'; DROP TABLE tracking_runs; --",
      "1=1 OR params.a = 'b'",
      "params.model = ''--",
    ])
      expect(await codeOf(ws.experiments.searchRuns({ filter: bad })), bad).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.searchRuns({ orderBy: "metrics.acc; DROP TABLE tracking_runs" }))).toBe(
      "VALIDATION",
    );
    // Everything is still there.
    const again = await ws.experiments.getRun(run.id);
    expect(again).toMatchObject({ name: evil, params: { model: evil }, metrics: { acc: 0.5 } });
    expect((await ws.experiments.get(exp.name)).id).toBe(exp.id);
    expect((await ws.experiments.searchRuns()).runs).toHaveLength(1);
  });

  it("stores artifacts content-addressed under validated run-relative paths", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "art" });
    const a = await run.logArtifact("model/weights.json", '{"w":[1,2]}');
    expect(a).toEqual({ path: "model/weights.json", digest: sha256('{"w":[1,2]}'), size: 11 });
    expect(await ws.artifacts.has(a.digest)).toBe(true);
    await run.logArtifact("bytes.bin", new Uint8Array([1, 2, 3]));
    const local = join(dir, `local-${Math.random()}`);
    mkdirSync(join(local, "sub"), { recursive: true });
    writeFileSync(join(local, "a.txt"), "A");
    writeFileSync(join(local, "sub", "b.txt"), "B");
    await run.logArtifactFile(join(local, "a.txt"));
    await run.logArtifactFile(join(local, "a.txt"), "renamed/a.txt");
    const logged = await run.logArtifactDir(local, "dir");
    expect(logged.map((l) => l.path)).toEqual(["dir/a.txt", "dir/sub/b.txt"]);
    for (const bad of ["../x", "/etc/passwd", "a/../../b", "a//b", "a/./b", "C:/x", "a\\b", "", "a/"])
      expect(await codeOf(run.logArtifact(bad, "x")), bad).toBe("VALIDATION");
    expect(await codeOf(run.logArtifactDir(local, "../up"))).toBe("VALIDATION");
    expect(await codeOf(run.logArtifactFile(join(local, "missing.txt")))).toBe("NOT_FOUND");
    await run.end();
    expect((await ws.experiments.listArtifacts(run.id)).map((x) => x.path)).toEqual([
      "a.txt",
      "bytes.bin",
      "dir/a.txt",
      "dir/sub/b.txt",
      "model/weights.json",
      "renamed/a.txt",
    ]);
    expect(new TextDecoder().decode(await ws.experiments.readArtifact(run.id, "dir/sub/b.txt"))).toBe("B");
    expect([...(await ws.experiments.readArtifact(run.id, "bytes.bin"))]).toEqual([1, 2, 3]);
    const nf = await errorOf(ws.experiments.readArtifact(run.id, "nope.txt"));
    expect(nf.code).toBe("NOT_FOUND");
    expect(nf.message).toContain("nope.txt");
  });

  it("records dataset inputs and their lineage", async () => {
    await using ws = await open();
    const digest = sha256("iris.csv contents");
    const run = await ws.experiments.startRun({ experiment: "lin" });
    await run.logInput({
      name: "iris",
      digest,
      context: "training",
      schema: { columns: ["a", "b"] },
      source: "s3://x",
    });
    await run.logInput({ name: "iris-test", digest: "v2-abc", context: "eval" });
    await run.logInput({ name: "iris", digest, context: "training" });
    await run.end();
    expect(await ws.experiments.listInputs(run.id)).toEqual([
      { name: "iris", digest, context: "training", schema: { columns: ["a", "b"] }, source: "s3://x" },
      { name: "iris-test", digest: "v2-abc", context: "eval" },
    ]);
    const up = await ws.lineage.upstream({ kind: "execution", externalId: `run:${run.id}` });
    expect(up.root.type).toBe("tracking_run");
    const datasets = up.nodes.filter((x) => x.type === "dataset");
    expect(datasets.map((d) => d.externalId).sort()).toEqual([`dataset:${digest}`, "dataset:v2-abc"].sort());
    expect(up.edges.map((e) => e.slot).sort()).toEqual(["eval", "training"]);
    const down = await ws.lineage.downstream({ kind: "artifact", externalId: `dataset:${digest}` });
    expect(down.nodes.some((x) => x.externalId === `run:${run.id}`)).toBe(true);
    expect(await codeOf(run.logInput({ name: "x", digest: "" }))).toBe("PRECONDITION");
  });

  it("searches with pagination tokens, experiments by name and default order", async () => {
    await using ws = await open({ clock: manualClock(1_000) });
    const clock = ws.clock as ReturnType<typeof manualClock>;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(10);
      const run = await ws.experiments.startRun({ experiment: i % 2 ? "odd" : "even", params: { i } });
      run.logMetric("score", i % 3);
      await run.end();
      ids.push(run.id);
    }
    const all = await ws.experiments.searchRuns();
    expect(all.runs.map((r) => r.params.i)).toEqual(["6", "5", "4", "3", "2", "1", "0"]);
    expect(all.nextPageToken).toBeUndefined();
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page: Awaited<ReturnType<typeof ws.experiments.searchRuns>> = await ws.experiments.searchRuns({
        orderBy: ["metrics.score DESC", "params.i"],
        maxResults: 3,
        ...(token ? { pageToken: token } : {}),
      });
      seen.push(...page.runs.map((r) => r.params.i));
      token = page.nextPageToken;
    } while (token);
    expect(seen).toEqual(["2", "5", "1", "4", "0", "3", "6"]);
    expect((await ws.experiments.searchRuns({ experiments: ["odd"] })).runs.map((r) => r.params.i)).toEqual([
      "5",
      "3",
      "1",
    ]);
    const first = await ws.experiments.searchRuns({ maxResults: 2 });
    expect(
      await codeOf(
        ws.experiments.searchRuns({ maxResults: 2, filter: "metrics.score > 0", pageToken: first.nextPageToken }),
      ),
    ).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.searchRuns({ pageToken: "garbage!" }))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.searchRuns({ maxResults: 0 }))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.searchRuns({ maxResults: 50_001 }))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.searchRuns({ experiments: "nope" }))).toBe("NOT_FOUND");
  });

  it("returns metric history in step order and downsampled with min/max per bucket", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "hist" });
    for (let step = 999; step >= 0; step--) run.logMetric("wave", step === 500 ? 1e6 : Math.sin(step / 50), { step });
    run.logMetric("wave", Number.NaN, { step: 1000 });
    const full = await ws.experiments.metricHistory(run.id, "wave");
    expect(full).toHaveLength(1001);
    expect(full.map((p) => p.step)).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    expect(Number.isNaN(full[1000].value)).toBe(true);
    const small = await ws.experiments.metricHistory(run.id, "wave", { maxPoints: 320 });
    expect(small.length).toBeLessThanOrEqual(320);
    expect(small.length).toBeGreaterThan(300);
    expect(small[0].step).toBe(0);
    expect(small[small.length - 1].step).toBe(1000);
    expect(small.some((p) => p.value === 1e6)).toBe(true);
    const mins = full.filter((p) => !Number.isNaN(p.value)).map((p) => p.value);
    expect(Math.min(...small.filter((p) => !Number.isNaN(p.value)).map((p) => p.value))).toBe(Math.min(...mins));
    expect(
      (await ws.experiments.metricHistory(run.id, "wave", { startStep: 10, endStep: 12 })).map((p) => p.step),
    ).toEqual([10, 11, 12]);
    expect(await ws.experiments.metricHistory(run.id, "none")).toEqual([]);
    expect(await codeOf(ws.experiments.metricHistory(run.id, "wave", { maxPoints: 1 }))).toBe("VALIDATION");
    await run.end();
  });

  it("compares runs side by side", async () => {
    await using ws = await open();
    const a = await ws.experiments.withRun({ experiment: "cmp", params: { model: "rf", trees: 100 } }, (r) => {
      r.logMetrics({ acc: 0.9, f1: 0.8 });
      return r.id;
    });
    const b = await ws.experiments.withRun({ experiment: "cmp", params: { model: "rf", depth: 3 } }, (r) => {
      r.logMetrics({ acc: 0.85, f1: 0.8 });
      return r.id;
    });
    const c = await ws.experiments.compareRuns([a, b]);
    expect(c.runs.map((r) => r.id)).toEqual([a, b]);
    const names = c.runs.map((r) => r.name);
    const who = { runIds: [a, b], runNames: names };
    expect(c.params).toEqual([
      { key: "depth", values: [undefined, "3"], differs: true, ...who },
      { key: "model", values: ["rf", "rf"], differs: false, ...who },
      { key: "trees", values: ["100", undefined], differs: true, ...who },
    ]);
    expect(c.metrics).toEqual([
      { key: "acc", values: [0.9, 0.85], differs: true, ...who },
      { key: "f1", values: [0.8, 0.8], differs: false, ...who },
    ]);
    expect(await codeOf(ws.experiments.compareRuns([a, "missing"]))).toBe("NOT_FOUND");
    expect(await codeOf(ws.experiments.compareRuns([]))).toBe("VALIDATION");
  });

  it("carries the names given to runs in each comparison row", async () => {
    await using ws = await open();
    const ids: string[] = [];
    for (const name of ["rf-100", "rf-200"])
      ids.push(await ws.experiments.withRun({ experiment: "cmp-names", name, params: { name } }, (r) => r.id));
    const c = await ws.experiments.compareRuns(ids);
    expect(c.params).toEqual([
      { key: "name", values: ["rf-100", "rf-200"], differs: true, runIds: ids, runNames: ["rf-100", "rf-200"] },
    ]);
  });

  it("matches MLflow's upper-case statuses and refuses an unknown one with VALIDATION", async () => {
    await using ws = await open();
    const done = await ws.experiments.withRun({ experiment: "st", name: "done" }, (r) => r.id);
    const open_ = await ws.experiments.startRun({ experiment: "st", name: "open" });
    const ids = async (filter: string) => (await ws.experiments.searchRuns({ filter })).runs.map((r) => r.id);
    expect(await ids("attributes.status = 'FINISHED'")).toEqual([done]);
    expect(await ids("attributes.status = 'Running'")).toEqual([open_.id]);
    expect(await ids("attributes.status IN ('FINISHED', 'RUNNING')")).toHaveLength(2);
    const e = await errorOf(ws.experiments.searchRuns({ filter: "attributes.status = 'DONE'" }));
    expect(e.code).toBe("VALIDATION");
    expect(e.message).toContain("unknown status 'DONE'; allowed: running, finished, failed, killed, crashed");
    expect(await ids("attributes.end_time IS NULL")).toEqual([open_.id]);
    expect(await ids("attributes.created > 0 and attributes.run_name = 'done'")).toEqual([done]);
    await open_.end();
  });

  it("pages deterministically through runs with equal start times and metric values, by run id", async () => {
    await using ws = await open({ clock: manualClock(5_000) });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(
        await ws.experiments.withRun({ experiment: "ties", params: { i } }, (r) => {
          r.logMetric("acc", i % 2 ? 0.5 : 0.9);
          return r.id;
        }),
      );
    const all = async (orderBy?: string) => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page: Awaited<ReturnType<typeof ws.experiments.searchRuns>> = await ws.experiments.searchRuns({
          experiments: "ties",
          ...(orderBy ? { orderBy } : {}),
          maxResults: 5,
          ...(token ? { pageToken: token } : {}),
        });
        seen.push(...page.runs.map((r) => r.id));
        token = page.nextPageToken;
      } while (token);
      return seen;
    };
    const byId = [...ids].sort();
    expect(await all()).toEqual(byId);
    const high = byId.filter((id) => ids.indexOf(id) % 2 === 0);
    const low = byId.filter((id) => ids.indexOf(id) % 2 === 1);
    expect(await all("metrics.acc DESC")).toEqual([...high, ...low]);
    expect(await all("metrics.acc")).toEqual([...low, ...high]);
  });

  it("exports search results as CSV, following every page", async () => {
    await using ws = await open({ clock: manualClock(Date.UTC(2024, 4, 1)) });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        await ws.experiments.withRun(
          {
            experiment: "csv",
            name: i === 1 ? 'rf "deep", v2' : `run-${i}`,
            params: { i },
            tags: { note: `a\nb${i}` },
          },
          (r) => {
            r.logMetric("acc", i / 4);
            return r.id;
          },
        ),
      );
    const exp = await ws.experiments.get("csv");
    const csv = await ws.experiments.searchRunsCsv({ experiments: "csv", orderBy: "metrics.acc DESC" });
    const t = "2024-05-01T00:00:00.000Z";
    expect(csv).toBe(
      [
        "run_id,run_name,experiment_id,status,start_time,end_time,params.i,metrics.acc,tags.note",
        `${ids[2]},run-2,${exp.id},finished,${t},${t},2,0.5,"a\nb2"`,
        `${ids[1]},"rf ""deep"", v2",${exp.id},finished,${t},${t},1,0.25,"a\nb1"`,
        `${ids[0]},run-0,${exp.id},finished,${t},${t},0,0,"a\nb0"`,
        "",
      ].join("\r\n"),
    );
    expect((await ws.experiments.searchRunsCsv({ experiments: "csv", maxResults: 2 })).split("\r\n")).toHaveLength(4);
    expect(await codeOf(ws.experiments.searchRunsCsv({ maxResults: 0 }))).toBe("VALIDATION");
  });

  it("reads a run as crashed once its heartbeat expired, and running while it beats", async () => {
    const clock = manualClock(1_000_000);
    await using ws = await open({ clock, tracking: { heartbeatIntervalMs: 3_600_000, crashTimeoutMs: 60_000 } });
    const run = await ws.experiments.startRun({ experiment: "hb" });
    const done = await ws.experiments.startRun({ experiment: "hb" });
    await done.end();
    clock.advance(59_000);
    expect((await ws.experiments.getRun(run.id)).status).toBe("running");
    clock.advance(2_000);
    expect((await ws.experiments.getRun(run.id)).status).toBe("crashed");
    expect((await ws.experiments.getRun(done.id)).status).toBe("finished");
    const crashed = await ws.experiments.searchRuns({ filter: "attributes.status = 'crashed'" });
    expect(crashed.runs.map((r) => r.id)).toEqual([run.id]);
    // A beat brings it back.
    ws.experiments.configure({ heartbeatIntervalMs: 5 });
    await new Promise((r) => setTimeout(r, 60));
    expect((await ws.experiments.getRun(run.id)).status).toBe("running");
    await run.end();
  });

  it("flushes buffered metrics in batches, on interval, on end and on close", async () => {
    await using ws = await open({ tracking: { metricBatchSize: 50, flushIntervalMs: 20 } });
    const run = await ws.experiments.startRun({ experiment: "buf" });
    const results: unknown[] = [];
    for (let i = 0; i < 49; i++) results.push(run.logMetric("m", i, { step: i }));
    expect(results.every((r) => r === undefined)).toBe(true);
    const full = run.logMetric("m", 49, { step: 49 });
    expect(full).toBeInstanceOf(Promise);
    await full;
    expect((await ws.metadata.tracking.metricHistory(run.id, "m")).length).toBe(50);
    run.logMetric("m", 50, { step: 50 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await ws.metadata.tracking.metricHistory(run.id, "m")).length).toBe(51);
    run.logMetric("late", 1);
    await ws.experiments.close();
    expect((await ws.metadata.tracking.metricHistory(run.id, "late")).length).toBe(1);
    expect(await codeOf(ws.experiments.startRun({ experiment: "buf" }))).toBe("UNAVAILABLE");
  });

  it("runs grid and seeded random sweeps with child runs, median early stopping and the best trial", async () => {
    await using ws = await open();
    const grid = await ws.experiments.sweep({
      experiment: "sweeps",
      method: "grid",
      space: { lr: [0.1, 0.01], depth: { type: "int", min: 1, max: 3 } },
      metric: "acc",
      goal: "maximize",
      earlyStopping: false,
      objective: (t) => 1 - Math.abs((t.params.lr as number) - 0.1) - Math.abs((t.params.depth as number) - 2) / 10,
    });
    expect(grid.trials.map((t) => [t.params.lr, t.params.depth])).toEqual([
      [0.1, 1],
      [0.1, 2],
      [0.1, 3],
      [0.01, 1],
      [0.01, 2],
      [0.01, 3],
    ]);
    expect(grid.best).toMatchObject({ params: { lr: 0.1, depth: 2 }, value: 1, status: "finished" });
    const children = await ws.experiments.childRuns(grid.sweepRunId);
    expect(children).toHaveLength(6);
    expect(children.every((c) => c.status === "finished")).toBe(true);
    expect(children.find((c) => c.id === grid.best?.runId)?.params).toMatchObject({ lr: "0.1", depth: "2" });
    const parent = await ws.experiments.getRun(grid.sweepRunId);
    expect(parent.tags["mlcycle.sweep.best_run_id"]).toBe(grid.best?.runId);
    expect(parent.metrics.best_acc).toBe(1);
    expect(parent.status).toBe("finished");

    const space = { lr: { type: "loguniform", min: 1e-4, max: 1 }, opt: ["adam", "sgd"] } as const;
    const draw = (seed: number) =>
      ws.experiments.sweep({
        experiment: "sweeps",
        method: "random",
        space,
        maxTrials: 4,
        seed,
        metric: "loss",
        goal: "minimize",
        objective: (t) => t.params.lr as number,
      });
    const r1 = await draw(7);
    const r2 = await draw(7);
    const r3 = await draw(8);
    expect(r1.trials.map((t) => t.params)).toEqual(r2.trials.map((t) => t.params));
    expect(r1.trials.map((t) => t.params)).not.toEqual(r3.trials.map((t) => t.params));
    for (const t of r1.trials) expect(t.params.lr).toBeGreaterThanOrEqual(1e-4);
    expect(r1.best?.value).toBe(Math.min(...r1.trials.map((t) => t.value!)));

    // Trials with a lower "quality" learn slower; the median rule stops the poor ones.
    const stopped = await ws.experiments.sweep({
      experiment: "sweeps",
      method: "grid",
      space: { quality: [0.9, 0.8, 0.95, 0.1, 0.2, 0.92] },
      metric: "acc",
      goal: "maximize",
      earlyStopping: { warmupSteps: 2, minTrials: 3 },
      objective: async (t) => {
        for (let step = 0; step < 10; step++) await t.report((t.params.quality as number) * (1 - 1 / (step + 2)), step);
      },
    });
    expect(stopped.trials.map((t) => t.status)).toEqual([
      "finished",
      "finished",
      "finished",
      "pruned",
      "pruned",
      "finished",
    ]);
    expect(stopped.trials[3].stoppedAtStep).toBe(2);
    expect(stopped.best?.params.quality).toBe(0.95);
    const pruned = await ws.experiments.getRun(stopped.trials[3].runId);
    expect(pruned.status).toBe("killed");
    expect(pruned.tags["mlcycle.sweep.pruned"]).toBe("true");
    expect((await ws.experiments.metricHistory(pruned.id, "acc")).length).toBe(3);

    // A failing trial is recorded; the sweep goes on.
    const failing = await ws.experiments.sweep({
      experiment: "sweeps",
      method: "grid",
      space: { x: [1, 2, 3] },
      metric: "y",
      goal: "minimize",
      concurrency: 2,
      objective: (t) => {
        if (t.params.x === 2) throw new Error("bad trial");
        return t.params.x as number;
      },
    });
    expect(failing.trials.map((t) => t.status)).toEqual(["finished", "failed", "finished"]);
    expect(failing.trials[1].error).toContain("bad trial");
    expect(failing.best?.params.x).toBe(1);
    expect(
      await codeOf(
        ws.experiments.sweep({
          experiment: "s",
          method: "grid",
          space,
          metric: "m",
          goal: "maximize",
          objective: () => 1,
        }),
      ),
    ).toBe("VALIDATION");
  });
});

describe("ws.experiments on SQLite across reopen", () => {
  it("keeps metrics buffered at close and reads them back after reopening", async () => {
    const path = join(dir, "reopen");
    const ws = await openWorkspace(path, { tracking: { flushIntervalMs: 60_000 } });
    const run = await ws.experiments.startRun({ experiment: "persist" });
    for (let i = 0; i < 10; i++) run.logMetric("m", i === 3 ? Number.NaN : i, { step: i });
    await ws.close();
    await using again = await openWorkspace(path);
    const h = await again.experiments.metricHistory(run.id, "m");
    expect(h).toHaveLength(10);
    expect(Number.isNaN(h[3].value)).toBe(true);
    expect(h[9].value).toBe(9);
  });
});

describe.each(workspaces)("ws.experiments hardening on %s", (_name, open) => {
  it("refuses writes from runs once the workspace is closed", async () => {
    const ws = await open();
    const run = await ws.experiments.startRun({ experiment: "closing" });
    run.logMetric("m", 1);
    await ws.close();
    expect(await codeOf(() => run.logMetric("m", 2))).toBe("UNAVAILABLE");
    expect(await codeOf(run.logParam("p", 1))).toBe("UNAVAILABLE");
    expect(await codeOf(run.logArtifact("a.txt", "x"))).toBe("UNAVAILABLE");
  });

  it("resumes a crashed run and ends runs by id", async () => {
    const clock = manualClock(5_000_000);
    await using ws = await open({ clock, tracking: { heartbeatIntervalMs: 3_600_000, crashTimeoutMs: 1_000 } });
    const run = await ws.experiments.startRun({ experiment: "resume", params: { a: 1 } });
    run.logMetric("loss", 1, { step: 0 });
    await run.flush();
    clock.advance(5_000);
    expect((await ws.experiments.getRun(run.id)).status).toBe("crashed");
    const again = await ws.experiments.resumeRun(run.id);
    expect(again).toBe(run);
    expect((await ws.experiments.getRun(run.id)).status).toBe("crashed"); // same object: still open here
    const other = await ws.experiments.startRun({ experiment: "resume" });
    await other.end();
    const ended: string[] = [];
    ws.events.on("run.ended", (e) => ended.push(e.status));
    await ws.experiments.endRun(other.id, "killed", { error: new Error("late kill") });
    const o = await ws.experiments.getRun(other.id);
    expect(o.status).toBe("killed");
    expect(o.error).toContain("late kill");
    expect(ended).toEqual(["killed"]);
    expect(await codeOf(ws.experiments.endRun("nope", "killed"))).toBe("NOT_FOUND");
    expect(await codeOf(ws.experiments.endRun(other.id, "crashed" as "killed"))).toBe("VALIDATION");
    await run.end("killed");
    const resumed = await ws.experiments.resumeRun(run.id);
    expect(resumed).not.toBe(run);
    expect((await ws.experiments.getRun(run.id)).status).toBe("running");
    resumed.logMetric("loss", 0.5, { step: 1 });
    await resumed.end();
    const info = await ws.experiments.getRun(run.id);
    expect(info).toMatchObject({ status: "finished", params: { a: "1" }, metrics: { loss: 0.5 } });
  });

  it("writes the heartbeat of open runs periodically and stops after the run ends", async () => {
    await using ws = await open({ tracking: { heartbeatIntervalMs: 10 } });
    const run = await ws.experiments.startRun({ experiment: "beat" });
    const started = (await ws.experiments.getRun(run.id)).heartbeatAt;
    let beat = started;
    for (let i = 0; i < 100 && beat === started; i++) {
      await new Promise((r) => setTimeout(r, 10));
      beat = (await ws.experiments.getRun(run.id)).heartbeatAt;
    }
    expect(beat).toBeGreaterThan(started);
    await run.end();
    const after = (await ws.experiments.getRun(run.id)).heartbeatAt;
    await new Promise((r) => setTimeout(r, 50));
    expect((await ws.experiments.getRun(run.id)).heartbeatAt).toBe(after);
  });

  it("creates one experiment when many callers getOrCreate it at once", async () => {
    await using ws = await open();
    const got = await Promise.all(Array.from({ length: 8 }, () => ws.experiments.getOrCreate("race")));
    expect(new Set(got.map((e) => e.id)).size).toBe(1);
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => ws.experiments.startRun({ experiment: "race-2", name: `r${i}` })),
    );
    expect(new Set(runs.map((r) => r.experimentId)).size).toBe(1);
    expect((await ws.experiments.list()).map((e) => e.name).sort()).toEqual(["race", "race-2"]);
  });

  it("accepts any page size on later pages and keeps unicode names and values intact", async () => {
    // Distinct start times: runs started in the same millisecond are ordered by id ascending instead.
    const clock = manualClock(1_000);
    await using ws = await open({ clock });
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      const run = await ws.experiments.startRun({
        experiment: "ünïcödé 実験",
        name: `run ${i} 🚀`,
        tags: { note: "naïve ✓" },
      });
      await run.end();
    }
    const first = await ws.experiments.searchRuns({ experiments: "ünïcödé 実験", maxResults: 2 });
    const rest = await ws.experiments.searchRuns({
      experiments: "ünïcödé 実験",
      maxResults: 10,
      pageToken: first.nextPageToken,
    });
    expect([...first.runs, ...rest.runs].map((r) => r.name)).toEqual([
      "run 4 🚀",
      "run 3 🚀",
      "run 2 🚀",
      "run 1 🚀",
      "run 0 🚀",
    ]);
    expect(rest.nextPageToken).toBeUndefined();
    const hit = await ws.experiments.searchRuns({ filter: "tags.note = 'naïve ✓' and attributes.run_name LIKE '%🚀'" });
    expect(hit.runs).toHaveLength(5);
  });

  it("keeps extreme steps, timestamps and values exactly", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "extreme" });
    const values = [Number.MAX_VALUE, Number.MIN_VALUE, -0.1 - 0.2, 1e-300, -Number.MAX_VALUE, 0];
    values.forEach((v, i) => {
      run.logMetric("v", v, { step: Number.MIN_SAFE_INTEGER + i, timestamp: i });
    });
    run.logMetric("v", 42, { step: Number.MAX_SAFE_INTEGER, timestamp: Number.MAX_SAFE_INTEGER });
    await run.end();
    const h = await ws.experiments.metricHistory(run.id, "v");
    expect(h.map((p) => p.value)).toEqual([...values, 42]);
    expect(h[0].step).toBe(Number.MIN_SAFE_INTEGER);
    expect(h[6]).toEqual({ value: 42, step: Number.MAX_SAFE_INTEGER, timestamp: Number.MAX_SAFE_INTEGER });
    expect((await ws.experiments.getRun(run.id)).metrics.v).toBe(42);
  });
});

describe.each(workspaces)("run deletion on %s", (_name, open) => {
  it("hides deleted runs from search and restores them", async () => {
    await using ws = await open();
    const a = await ws.experiments.withRun({ experiment: "del" }, (r) => r.id);
    const b = await ws.experiments.withRun({ experiment: "del" }, (r) => r.id);
    await ws.experiments.deleteRun(a);
    expect((await ws.experiments.getRun(a)).lifecycle).toBe("deleted");
    expect((await ws.experiments.searchRuns()).runs.map((r) => r.id)).toEqual([b]);
    expect((await ws.experiments.searchRuns({ lifecycle: "deleted" })).runs.map((r) => r.id)).toEqual([a]);
    expect((await ws.experiments.searchRuns({ lifecycle: "all" })).runs).toHaveLength(2);
    await ws.experiments.restoreRun(a);
    expect((await ws.experiments.getRun(a)).lifecycle).toBe("active");
    expect((await ws.experiments.searchRuns()).runs).toHaveLength(2);
    expect(await codeOf(ws.experiments.deleteRun("nope"))).toBe("NOT_FOUND");
    expect(await codeOf(ws.experiments.searchRuns({ lifecycle: "gone" as "all" }))).toBe("VALIDATION");
  });
});

describe("metric batches that fail", () => {
  it("surface the error at the next flush and end the run failed", async () => {
    const metadata = memoryStore();
    const tracking = metadata.tracking;
    let failures = 1;
    const failing = Object.create(tracking) as typeof tracking;
    failing.logMetrics = async (points) => {
      if (failures-- > 0) throw new Error("disk full");
      return tracking.logMetrics(points);
    };
    await using ws = await createWorkspace({ metadata: { ...metadata, tracking: failing } });
    const run = await ws.experiments.startRun({ experiment: "fail" });
    run.logMetric("m", 1);
    await expect(run.flush()).rejects.toThrow("disk full");
    run.logMetric("m", 2);
    await run.flush();
    run.logMetric("m", 3);
    failures = 1;
    await expect(run.end()).rejects.toThrow("disk full");
    const info = await ws.experiments.getRun(run.id);
    expect(info.status).toBe("failed");
    expect(info.error).toContain("disk full");
    expect(info.metrics.m).toBe(2);
  });
});

describe("a failing metric batch shared by two runs", () => {
  it("is reported to each run whose points it held, once, and not to other runs", async () => {
    const metadata = memoryStore();
    const tracking = metadata.tracking;
    let fail = false;
    const failing = Object.create(tracking) as typeof tracking;
    failing.logMetrics = async (points) => {
      if (fail) throw new Error("disk full");
      return tracking.logMetrics(points);
    };
    await using ws = await createWorkspace({ metadata: { ...metadata, tracking: failing } });
    const a = await ws.experiments.startRun({ experiment: "shared" });
    const b = await ws.experiments.startRun({ experiment: "shared" });
    const c = await ws.experiments.startRun({ experiment: "shared" });
    a.logMetric("m", 1);
    b.logMetric("m", 1);
    fail = true;
    await ws.experiments.searchRuns(); // writes the buffer; the failure waits for the runs
    fail = false;
    await c.end();
    expect((await ws.experiments.getRun(c.id)).status).toBe("finished");
    await expect(a.flush()).rejects.toThrow("disk full");
    await a.flush();
    await a.end();
    await expect(b.end()).rejects.toThrow("disk full");
    expect((await ws.experiments.getRun(a.id)).status).toBe("finished");
    expect((await ws.experiments.getRun(b.id)).status).toBe("failed");
  });
});

describe.each(workspaces)("ws.experiments input checks on %s", (_name, open) => {
  it("rejects bad history ranges, list limits and dataset schemas", async () => {
    await using ws = await open();
    const run = await ws.experiments.startRun({ experiment: "checks" });
    expect(await codeOf(ws.experiments.metricHistory(run.id, "m", { startStep: 0.5 }))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.metricHistory(run.id, "bad\nkey"))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.metricHistory("nope", "m"))).toBe("NOT_FOUND");
    expect(await codeOf(ws.experiments.list({ limit: 0 }))).toBe("VALIDATION");
    expect(await codeOf(ws.experiments.list({ lifecycle: "gone" as "all" }))).toBe("VALIDATION");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await codeOf(run.logInput({ name: "d", digest: "x", schema: cyclic }))).toBe("VALIDATION");
    expect(await codeOf(run.logInput({ name: "d", digest: "x", schema: () => 1 }))).toBe("VALIDATION");
    expect(await codeOf(run.logInput({ name: "d", digest: "  " }))).toBe("VALIDATION");
    const when = new Date(0);
    await run.logInput({ name: "d", digest: "x", schema: { created: when, cols: ["a"] } });
    expect((await ws.experiments.listInputs(run.id))[0].schema).toEqual({ created: when.toISOString(), cols: ["a"] });
    await run.end();
  });
});

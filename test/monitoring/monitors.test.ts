import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createWorkspace,
  functionModel,
  lineageIds,
  MemoryMonitorStore,
  memoryStore,
  type Workspace,
} from "../../src/index.js";
import { caught, monitorWorkspaces, normal, seeded, testClock } from "./monitor-fixtures.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

function rows(seed: number, n: number, mean = 0) {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({ id: i, x: normal(rand, mean, 1), plan: rand() < 0.5 ? "a" : "b" }));
}

describe.each(monitorWorkspaces())("ws.monitors (%s)", (kind, open) => {
  it("checks options at the boundary and keeps one monitor per name", async () => {
    await using ws = await open();
    const bad = await caught(ws.monitors.open("m", { features: [{ name: "x", method: "ks", threshold: 2 }] }));
    expect([bad.code, bad.issues[0]?.path]).toEqual(["VALIDATION", ["features.0", "threshold"]]);
    expect((await caught(ws.monitors.open("m", { features: [] }))).message).toMatch(/at least one column/);
    expect((await caught(ws.monitors.open("m", { features: ["x"], window: { ms: 0 } }))).issues[0]?.path).toEqual([
      "window",
      "ms",
    ]);
    expect((await caught(ws.monitors.open("m", { features: ["x"], windw: 1 } as never))).code).toBe("VALIDATION");
    expect((await caught(ws.monitors.open("m", { features: ["x", "x"] }))).message).toMatch(/named twice/);
    expect(
      (await caught(ws.monitors.open("m", { features: [{ name: "p", kind: "categorical", method: "ks" }] }))).message,
    ).toMatch(/needs a numeric column/);
    const options = { features: ["x"], window: { ms: MINUTE }, checkIntervalMs: false as const };
    const m = await ws.monitors.open("m", options);
    expect(await ws.monitors.open("m", options)).toBe(m);
    expect((await caught(ws.monitors.open("m", { ...options, features: ["y"] }))).code).toBe("CONFLICT");
    expect(ws.monitors.get("m")).toBe(m);
    expect((await caught(() => ws.monitors.get("nope"))).code).toBe("NOT_FOUND");
    expect((await caught(() => m.observe([1] as never))).issues[0]?.path).toEqual(["rows", 0]);
    const deployed = await ws.monitors.open("d", { deployment: "svc", features: ["x"], checkIntervalMs: false });
    expect((await caught(() => deployed.observe([{ x: 1 }]))).code).toBe("PRECONDITION");
    expect((await caught(deployed.setReference({ rows: [], statistics: {} } as never))).message).toMatch(/exactly one/);
    await m.close();
    expect((await caught(() => m.observe([{ x: 1 }]))).code).toBe("UNAVAILABLE");
    expect((await caught(() => m.check())).code).toBe("UNAVAILABLE");
    expect((await caught(() => m.flush())).code).toBe("UNAVAILABLE");
    // Closed here, it can be opened again.
    expect(await ws.monitors.open("m", options)).not.toBe(m);
  });

  it("shares a stored monitor between workspaces: settings updated by revision, windows fixed", async () => {
    const store = new MemoryMonitorStore();
    await using a = await open({ monitors: store });
    await using b = await open({ monitors: store });
    await a.monitors.open("shared", { features: ["x"], window: { ms: MINUTE }, checkIntervalMs: false });
    await b.monitors.open("shared", { features: ["x", "y"], window: { ms: MINUTE }, checkIntervalMs: false });
    expect((await store.getMonitor("shared"))?.revision).toBe(2);
    await b.monitors.open("other-name-same", { features: ["x"], window: { rows: 5 }, checkIntervalMs: false });
    const conflict = await caught(
      (async () => {
        await using c = await open({ monitors: store });
        await c.monitors.open("shared", { features: ["x"], window: { rows: 10 }, checkIntervalMs: false });
      })(),
    );
    expect([conflict.code, conflict.message]).toEqual(["CONFLICT", expect.stringMatching(/windows cannot change/)]);
    expect((await a.monitors.list()).map((m) => m.name)).toEqual(["shared", "other-name-same"]);
    expect(await a.monitors.delete("other-name-same")).toBe(true);
    expect(await a.monitors.delete("other-name-same")).toBe(false);
  });

  it("keeps its monitors in the metadata store's monitor store", async () => {
    await using ws = await open();
    expect(ws.metadata.monitors?.constructor.name).toBe(kind === "sqlite" ? "SqlMonitorStore" : "MemoryMonitorStore");
    const m = await ws.monitors.open("m", { features: ["x"], checkIntervalMs: false });
    await m.setReference({ rows: rows(1, 10) });
    expect((await ws.metadata.monitors?.listReferences("m"))?.map((r) => r.version)).toEqual([1]);
  });

  it("cuts count windows of rows given directly by reserved positions", async () => {
    const clock = testClock(0);
    const store = new MemoryMonitorStore();
    await using ws = await open({ clock, monitors: store });
    const m = await ws.monitors.open("counted", {
      features: ["x", { name: "plan", kind: "categorical" }],
      window: { rows: 100 },
      idColumn: "id",
      flushSize: 40,
      checkIntervalMs: false,
    });
    await m.setReference({ rows: rows(1, 300) });
    const all = rows(2, 250);
    for (let i = 0; i < all.length; i += 30) m.observe(all.slice(i, i + 30), { at: i });
    const reports = await m.check();
    expect(reports.map((r) => [r.window, r.rows])).toEqual([
      [0, 100],
      [1, 100],
    ]);
    expect(reports[0].start).toBe(0);
    expect(m.health()).toMatchObject({ bufferedRows: 0, unsentPartials: 0 });
    expect((await ws.monitors.windows("counted")).map((w) => w.rows)).toEqual([100, 100]);
    // The last 50 rows wait in the open window; the positions handed out cover every row.
    expect(await store.listPartialWindows("counted")).toMatchObject([{ window: 2, rows: 50 }]);
    expect((await store.getMonitor("counted"))?.rowCount).toBe(250);
  });

  it("profiles a training set, a feature view's statistics and a prediction log range, linked in lineage", async () => {
    const clock = testClock(100 * DAY);
    await using ws = await open({ clock });
    await ws.features.applyEntity({ name: "customer", joinKeys: { customer_id: "int" } });
    await ws.features.applyFeatureView({
      name: "activity",
      entities: ["customer"],
      schema: z.object({ sessions: z.number(), plan: z.string() }),
    });
    const rand = seeded(3);
    const data = Array.from({ length: 200 }, (_, i) => ({
      customer_id: i,
      event_timestamp: 50 * DAY,
      sessions: Math.round(normal(rand, 10, 3)),
      plan: i % 3 === 0 ? "pro" : "free",
    }));
    await ws.features.ingest("activity", data);
    const set = await ws.features.getHistoricalFeatures({
      entityRows: data.map((d) => ({ customer_id: d.customer_id, event_timestamp: 60 * DAY })),
      features: ["activity:sessions", "activity:plan"],
    });
    ws.registry.registerFunction("id", () => (r: number[][]) => r.map(() => 0));
    const v1 = await ws.registry.register("m", { model: functionModel("id", {}) });
    const monitor = await ws.monitors.open("profiles", {
      features: ["sessions", "plan"],
      checkIntervalMs: false,
    });
    const fromSet = await monitor.setReference({ trainingSet: set }, { model: v1 });
    expect(fromSet).toMatchObject({ version: 1, rows: 200, model: { model: "m", version: 1, versionId: v1.id } });
    expect(fromSet.source).toEqual({ kind: "training_set", name: set.name, digest: set.digest });
    const body = await monitor.reference(1);
    expect(body?.profile.columns.sessions).toMatchObject({ kind: "numeric", count: 200, exact: true, missing: 0 });
    expect(body?.profile.columns.plan).toMatchObject({
      kind: "categorical",
      categories: [
        ["free", 133],
        ["pro", 67],
      ],
    });
    // Lineage: the model version's downstream shows the profile; the profile's upstream its training set.
    const profileNode = await ws.lineage.get({
      kind: "artifact",
      externalId: lineageIds.referenceProfile("profiles", 1),
    });
    expect(profileNode.digest).toBe(fromSet.digest);
    const down = await ws.lineage.downstream({ kind: "artifact", externalId: lineageIds.modelVersion("m", 1) });
    expect(down.nodes.map((n) => n.type)).toEqual(expect.arrayContaining(["profiling", "reference_profile"]));
    const up = await ws.lineage.upstream(profileNode.id, { maxHops: 2 });
    expect(up.nodes.find((n) => n.id === set.artifactId)).toBeDefined();
    // A feature view's statistics: numbers from its sample (every value here), categories from the top ones.
    const stats = await ws.features.statistics("activity");
    const fromStats = await monitor.setReference({ statistics: stats });
    expect(fromStats.source).toMatchObject({ kind: "feature_view_statistics", view: "activity" });
    const s = (await monitor.reference())?.profile.columns;
    const t = body?.profile.columns;
    expect(s?.sessions.sample).toEqual(t?.sessions.sample);
    expect(s?.sessions.std).toBeCloseTo(t?.sessions.std ?? 0, 9);
    expect(s?.plan.categories).toEqual(t?.plan.categories);
    const viewUp = await ws.lineage.upstream({
      kind: "artifact",
      externalId: lineageIds.referenceProfile("profiles", 2),
    });
    expect(viewUp.nodes.map((n) => n.type)).toContain("feature_view");
    expect((await monitor.listReferences()).map((r) => r.version)).toEqual([1, 2]);
  });

  it("profiles a range of a deployment's prediction log", async () => {
    const clock = testClock(0);
    await using ws = await open({ clock });
    ws.registry.registerFunction("sum", () => (r: number[][]) => r.map((x) => x[0] + x[1]));
    const v = await ws.registry.register("sum", {
      model: functionModel("sum", {}),
      signature: { inputs: z.array(z.tuple([z.number(), z.number()])) },
    });
    const d = await ws.serving.deploy(`sum@${v.version}`, { name: "sum" });
    for (let i = 0; i < 30; i++) {
      clock.set(i * 1000);
      await d.predict([[i, 2 * i]]);
    }
    await d.flush();
    const monitor = await ws.monitors.open("sum", {
      deployment: "sum",
      features: ["a", "b"],
      predictions: ["total"],
      checkIntervalMs: false,
    });
    const ref = await monitor.setReference({ predictions: { from: 10_000, to: 20_000 } });
    expect(ref.rows).toBe(10);
    expect(ref.source).toEqual({ kind: "predictions", deployment: "sum", from: 10_000, to: 20_000 });
    const cols = (await monitor.reference())?.profile.columns;
    expect([cols?.a.min, cols?.a.max, cols?.b.max, cols?.total.max]).toEqual([10, 19, 38, 57]);
  });
});

describe("monitoring inside a workspace's life", () => {
  it("keeps monitors in memory when the metadata store has no monitor store", async () => {
    const { monitors: _none, ...metadata } = memoryStore();
    await using ws = await createWorkspace({ metadata });
    expect(ws.metadata.monitors).toBeUndefined();
    const m = await ws.monitors.open("m", { features: ["x"], checkIntervalMs: false });
    await m.setReference({ rows: rows(1, 10) });
    expect((await ws.monitors.status("m")).references).toHaveLength(1);
  });

  it("closes monitors with the workspace, writing what they aggregated", async () => {
    const store = new MemoryMonitorStore();
    const clock = testClock(0);
    const [, open] = monitorWorkspaces()[0];
    const ws: Workspace = await open({ monitors: store, clock });
    const m = await ws.monitors.open("m", { features: ["x"], window: { ms: MINUTE }, checkIntervalMs: false });
    m.observe(rows(1, 25), { at: 5 });
    await ws.close();
    expect(await store.listPartialWindows("m")).toMatchObject([{ window: 0, rows: 25 }]);
    expect((await caught(() => ws.monitors.get("m"))).code).toBe("UNAVAILABLE");
  });
});

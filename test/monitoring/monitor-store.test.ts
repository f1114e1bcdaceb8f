import { describe, expect, it } from "vitest";
import {
  isMlcycleError,
  MemoryMonitorStore,
  type MonitorStore,
  memoryStore,
  type NewAlert,
  type WindowPartialRecord,
  type WindowResultRecord,
} from "../../src/index.js";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isMlcycleError(e)) return e.code;
    throw e;
  }
  return "none";
}

const DIGEST = "a".repeat(64);

async function withMonitor(name = "m"): Promise<MonitorStore> {
  const s = new MemoryMonitorStore();
  await s.createMonitor({ id: `id-${name}`, name, config: { window: { ms: 60_000 } }, createdAt: 1 });
  return s;
}

function partial(window: number, producer: string, seq: number, over: Partial<WindowPartialRecord> = {}) {
  return { monitor: "m", window, producer, seq, rows: 10, data: { n: seq }, at: 100 + seq, ...over };
}

function result(window: number, over: Partial<WindowResultRecord> = {}): WindowResultRecord {
  return {
    monitor: "m",
    window,
    start: window * 60_000,
    end: (window + 1) * 60_000,
    rows: 5,
    figures: { rows: 5, drift_share: 0.5 },
    report: { columns: [] },
    closedAt: (window + 1) * 60_000,
    ...over,
  };
}

function alert(id: string, rule = "drift", over: Partial<NewAlert> = {}): NewAlert {
  return {
    id,
    monitor: "m",
    rule,
    severity: "warning",
    figure: "dataset_drift",
    value: 1,
    op: ">=",
    threshold: 1,
    window: 3,
    message: "dataset drift",
    details: {},
    openedAt: 1000,
    ...over,
  };
}

describe("MemoryMonitorStore (the monitor store port's reference)", () => {
  it("is the memory metadata store's monitors member", () => {
    expect(memoryStore().monitors).toBeInstanceOf(MemoryMonitorStore);
  });

  it("creates monitors once, updates them by compare-and-set and deletes them with everything they hold", async () => {
    const s = await withMonitor();
    expect(await code(s.createMonitor({ id: "x", name: "m", config: {}, createdAt: 2 }))).toBe("CONFLICT");
    const m = await s.getMonitor("m");
    expect(m).toStrictEqual({
      id: "id-m",
      name: "m",
      config: { window: { ms: 60_000 } },
      revision: 1,
      rowCount: 0,
      createdAt: 1,
      updatedAt: 1,
    });
    const next = await s.updateMonitor("m", 1, { config: { window: { ms: 1 }, z: -0 }, updatedAt: 5 });
    expect(next.revision).toBe(2);
    expect(Object.is((next.config as { z: number }).z, 0)).toBe(true);
    const stale = await s.updateMonitor("m", 1, { config: {}, updatedAt: 6 }).catch((e: unknown) => e);
    expect(isMlcycleError(stale, "CONFLICT") && stale.details.revision).toBe(2);
    expect(await code(s.updateMonitor("nope", 1, { config: {}, updatedAt: 6 }))).toBe("NOT_FOUND");
    await s.addReference({ monitor: "m", source: {}, rows: 1, digest: DIGEST, profile: {}, createdAt: 1 });
    await s.appendPartials([partial(0, "p", 1)]);
    await s.createWindowResult(result(0));
    await s.openAlert(alert("a1"));
    expect(await s.deleteMonitor("m")).toBe(true);
    expect(await s.deleteMonitor("m")).toBe(false);
    expect(await s.listAlerts()).toEqual([]);
    expect(await s.listReferences("m")).toEqual([]);
    // A monitor made again under the name starts empty (the old partial keys are forgotten too).
    await s.createMonitor({ id: "id-2", name: "m", config: {}, createdAt: 3 });
    await s.appendPartials([partial(0, "p", 1)]);
    expect(await s.listPartials("m", 0)).toHaveLength(1);
  });

  it("lists monitors by creation time, then id", async () => {
    const s = new MemoryMonitorStore();
    await s.createMonitor({ id: "b", name: "second", config: {}, createdAt: 5 });
    await s.createMonitor({ id: "a", name: "first", config: {}, createdAt: 5 });
    await s.createMonitor({ id: "c", name: "zero", config: {}, createdAt: 1 });
    expect((await s.listMonitors()).map((m) => m.name)).toEqual(["zero", "first", "second"]);
  });

  it("reserves row positions atomically", async () => {
    const s = await withMonitor();
    const firsts = await Promise.all([s.reserveRows("m", 10), s.reserveRows("m", 5), s.reserveRows("m", 1)]);
    expect(firsts.sort((a, b) => a - b)).toEqual([0, 10, 15]);
    expect((await s.getMonitor("m"))?.rowCount).toBe(16);
    expect(await code(s.reserveRows("m", 0))).toBe("VALIDATION");
    expect(await code(s.reserveRows("nope", 1))).toBe("NOT_FOUND");
  });

  it("numbers reference profiles per monitor and lists them without their bodies", async () => {
    const s = await withMonitor();
    const r1 = await s.addReference({
      monitor: "m",
      model: { model: "churn", version: 1, versionId: "v1" },
      source: { kind: "rows" },
      rows: 10,
      digest: DIGEST,
      profile: { columns: { a: { kind: "numeric" } } },
      createdAt: 2,
    });
    const r2 = await s.addReference({ monitor: "m", source: {}, rows: 3, digest: DIGEST, profile: {}, createdAt: 3 });
    expect([r1.version, r2.version]).toEqual([1, 2]);
    expect((await s.getReference("m"))?.version).toBe(2);
    expect((await s.getReference("m", 1))?.profile).toEqual({ columns: { a: { kind: "numeric" } } });
    expect(await s.getReference("m", 3)).toBeUndefined();
    const infos = await s.listReferences("m");
    expect(infos.map((i) => [i.version, "profile" in i, i.model?.version])).toEqual([
      [1, false, 1],
      [2, false, undefined],
    ]);
    expect(
      await code(s.addReference({ monitor: "nope", source: {}, rows: 1, digest: DIGEST, profile: {}, createdAt: 1 })),
    ).toBe("NOT_FOUND");
    expect(
      await code(s.addReference({ monitor: "m", source: {}, rows: 1, digest: "xyz", profile: {}, createdAt: 1 })),
    ).toBe("VALIDATION");
  });

  it("appends partials all or none, skips ones stored already, lists them by producer then seq", async () => {
    const s = await withMonitor();
    await s.appendPartials([partial(2, "b", 1), partial(2, "a", 2), partial(2, "a", 1), partial(3, "a", 3)]);
    await s.appendPartials([partial(2, "a", 1, { rows: 999 })]); // a retried write
    expect((await s.listPartials("m", 2)).map((p) => [p.producer, p.seq, p.rows])).toEqual([
      ["a", 1, 10],
      ["a", 2, 10],
      ["b", 1, 10],
    ]);
    expect(await s.listPartialWindows("m")).toEqual([
      { window: 2, partials: 3, rows: 30, firstAt: 101, lastAt: 102 },
      { window: 3, partials: 1, rows: 10, firstAt: 103, lastAt: 103 },
    ]);
    const bad = await s.appendPartials([partial(4, "a", 1), partial(4, "a", 0)]).catch((e: unknown) => e);
    expect(isMlcycleError(bad, "VALIDATION") && bad.issues[0]?.path).toEqual(["partials.1.seq"]);
    expect(await code(s.appendPartials([partial(5, "a", 1), { ...partial(5, "a", 2), monitor: "nope" }]))).toBe(
      "NOT_FOUND",
    );
    expect(await s.listPartials("m", 4)).toEqual([]);
    expect(await s.listPartials("m", 5)).toEqual([]);
    expect(await s.deletePartials("m", 2)).toBe(3);
    expect((await s.listPartialWindows("m")).map((w) => w.window)).toEqual([3]);
  });

  it("stores a window's result once, replaces it on request, lists results by index", async () => {
    const s = await withMonitor();
    expect(await s.createWindowResult(result(1))).toBe(true);
    expect(await s.createWindowResult(result(1, { rows: 9 }))).toBe(false);
    expect((await s.getWindowResult("m", 1))?.rows).toBe(5);
    await s.replaceWindowResult(result(1, { rows: 9, figures: { rows: 9 } }));
    expect((await s.getWindowResult("m", 1))?.figures).toEqual({ rows: 9 });
    expect(await code(s.replaceWindowResult(result(7)))).toBe("NOT_FOUND");
    for (const w of [0, 2, 3]) await s.createWindowResult(result(w));
    expect((await s.listWindowResults("m")).map((r) => r.window)).toEqual([0, 1, 2, 3]);
    expect((await s.listWindowResults("m", { order: "desc", limit: 2 })).map((r) => r.window)).toEqual([3, 2]);
    expect((await s.listWindowResults("m", { from: 1, to: 3 })).map((r) => r.window)).toEqual([1, 2]);
    expect(await code(s.createWindowResult(result(4, { figures: { x: Number.NaN } })))).toBe("VALIDATION");
    expect(await code(s.createWindowResult(result(4, { end: 0, start: 5 })))).toBe("VALIDATION");
    expect(await code(s.listWindowResults("m", { limit: 0 }))).toBe("VALIDATION");
  });

  it("keeps one open alert per (monitor, rule), updates and resolves it, then opens a new one", async () => {
    const s = await withMonitor();
    const first = await s.openAlert(alert("a1"));
    expect(first.opened).toBe(true);
    expect(first.alert).toMatchObject({ status: "open", lastWindow: 3, breaches: 1, updatedAt: 1000 });
    const again = await s.openAlert(alert("a2", "drift", { window: 4 }));
    expect(again).toMatchObject({ opened: false, alert: { id: "a1" } });
    expect((await s.openAlert(alert("b1", "latency", { openedAt: 1001 }))).opened).toBe(true);
    const updated = await s.updateAlert("a1", { value: 0.9, lastWindow: 4, breaches: 2, updatedAt: 1100 });
    expect(updated).toMatchObject({ value: 0.9, lastWindow: 4, breaches: 2, message: "dataset drift" });
    const resolved = await s.resolveAlert("a1", { resolvedAt: 1200, resolvedWindow: 5 });
    expect(resolved).toMatchObject({ status: "resolved", resolvedAt: 1200, resolvedWindow: 5, updatedAt: 1200 });
    expect(await code(s.resolveAlert("a1", { resolvedAt: 1300, resolvedWindow: 6 }))).toBe("CONFLICT");
    expect(await code(s.updateAlert("a1", { value: 1, lastWindow: 6, breaches: 3, updatedAt: 1300 }))).toBe("CONFLICT");
    expect(await code(s.updateAlert("zz", { value: 1, lastWindow: 6, breaches: 3, updatedAt: 1300 }))).toBe(
      "NOT_FOUND",
    );
    expect((await s.openAlert(alert("a3", "drift", { window: 8, openedAt: 2000 }))).opened).toBe(true);
    expect((await s.listAlerts()).map((a) => a.id)).toEqual(["a3", "b1", "a1"]);
    expect((await s.listAlerts({ status: "open" })).map((a) => a.id)).toEqual(["a3", "b1"]);
    expect((await s.listAlerts({ rule: "drift", limit: 1 })).map((a) => a.id)).toEqual(["a3"]);
    expect((await s.getAlert("a1"))?.status).toBe("resolved");
    expect(await code(s.openAlert(alert("c1", "x", { monitor: "nope" })))).toBe("NOT_FOUND");
    expect(await code(s.listAlerts({ status: "closed" as never }))).toBe("VALIDATION");
  });

  it("gives back copies: changing a returned record changes nothing stored", async () => {
    const s = await withMonitor();
    const m = await s.getMonitor("m");
    (m?.config as Record<string, unknown>).window = "changed";
    expect((await s.getMonitor("m"))?.config).toEqual({ window: { ms: 60_000 } });
  });
});

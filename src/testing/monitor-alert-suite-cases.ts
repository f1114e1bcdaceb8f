import { describe, expect, it } from "./vitest.js";
import type { AlertQuery, AlertRecord, MonitorStore, NewAlert } from "../stores/monitor-store.js";
import { alert, byBytes, failure, opened, pathOf, withMonitors } from "./monitor-suite-fixtures.js";

/** The stored alert `id` (fails the test when there is none). */
async function stored(s: MonitorStore, id: string): Promise<AlertRecord> {
  const a = await s.getAlert(id);
  if (a === undefined) throw new Error(`alert ${id} is not stored`);
  return a;
}

/**
 * The alert cases of `monitorStoreSuite` (one open alert per (monitor, rule), updates and
 * resolutions of open alerts only, a new alert once the open one resolves, lists newest first),
 * registered as its `alerts` group.
 */
export function monitorAlertSuiteCases(factory: () => Promise<MonitorStore>): void {
  describe("alerts", () => {
    it("opens an alert with the members the port sets, by id and in a list", async () => {
      const s = await withMonitors(factory, "m");
      const a = alert("01J0000000000000000000ALR1", { severity: "critical", op: "<", value: -2.5, threshold: 1e-9 });
      const got = await s.openAlert(a);
      expect(got).toStrictEqual({ alert: opened(a), opened: true });
      expect(got.alert).toMatchObject({ status: "open", lastWindow: 3, breaches: 1, updatedAt: 10_000 });
      expect("resolvedAt" in got.alert || "resolvedWindow" in got.alert).toBe(false);
      expect(await s.getAlert(a.id)).toStrictEqual(opened(a));
      expect(await s.listAlerts()).toStrictEqual([opened(a)]);
      expect(await s.getAlert("other")).toBeUndefined();
    });

    it("keeps one open alert per (monitor, rule): opening it again gives the open one and writes nothing", async () => {
      const s = await withMonitors(factory, "m", "n");
      const first = alert("a1");
      await s.openAlert(first);
      const again = await s.openAlert(alert("a2", { window: 4, value: 0.9, message: "again", openedAt: 20_000 }));
      expect(again).toStrictEqual({ alert: opened(first), opened: false });
      expect(await s.getAlert("a2")).toBeUndefined();
      // Opening it again under its own id (a retried call) is the same: nothing written.
      expect(await s.openAlert(alert("a1", { value: 5 }))).toStrictEqual({ alert: opened(first), opened: false });
      expect(await s.listAlerts()).toStrictEqual([opened(first)]);
      // Another rule of the monitor, and the rule on another monitor, are other alerts.
      const latency = alert("b1", { rule: "latency", openedAt: 10_001 });
      const elsewhere = alert("c1", { monitor: "n", openedAt: 10_002 });
      expect(await s.openAlert(latency)).toStrictEqual({ alert: opened(latency), opened: true });
      expect(await s.openAlert(elsewhere)).toStrictEqual({ alert: opened(elsewhere), opened: true });
      expect((await s.listAlerts({ status: "open" })).map((a) => a.id)).toEqual(["c1", "b1", "a1"]);
      // Opened at once by several writers: exactly one opens it, and every call gives that one.
      const raced = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((i) => s.openAlert(alert(`burst-${i}`, { monitor: "n", rule: "burst" }))),
      );
      expect(raced.filter((r) => r.opened)).toHaveLength(1);
      const winner = raced.find((r) => r.opened)?.alert;
      for (const r of raced) expect(r.alert).toStrictEqual(winner);
      expect(await s.listAlerts({ monitor: "n", rule: "burst" })).toStrictEqual([winner]);
    });

    it("records further breaches of an open alert, keeping message and details unless given", async () => {
      const s = await withMonitors(factory, "m");
      const a = alert("a1");
      await s.openAlert(a);
      const u1 = await s.updateAlert("a1", { value: 0.9, lastWindow: 4, breaches: 2, updatedAt: 11_000 });
      const after1 = { ...opened(a), value: 0.9, lastWindow: 4, breaches: 2, updatedAt: 11_000 };
      expect(u1).toStrictEqual(after1);
      expect(await s.getAlert("a1")).toStrictEqual(after1);
      const u2 = await s.updateAlert("a1", {
        value: 0.7,
        lastWindow: 6,
        breaches: 3,
        message: "70% of columns drifted",
        details: { columns: ["age"] },
        updatedAt: 12_000,
      });
      const after2 = {
        ...after1,
        value: 0.7,
        lastWindow: 6,
        breaches: 3,
        message: "70% of columns drifted",
        details: { columns: ["age"] },
        updatedAt: 12_000,
      };
      expect(u2).toStrictEqual(after2);
      expect(await s.getAlert("a1")).toStrictEqual(after2);
      expect(await s.listAlerts()).toStrictEqual([after2]);
    });

    it("resolves an open alert once; a resolved alert refuses changes with CONFLICT; the rule then opens a new one", async () => {
      const s = await withMonitors(factory, "m");
      const a = alert("a1");
      await s.openAlert(a);
      await s.openAlert(alert("b1", { rule: "latency" }));
      const resolved = await s.resolveAlert("a1", { resolvedAt: 15_000, resolvedWindow: 7 });
      const after = { ...opened(a), status: "resolved", updatedAt: 15_000, resolvedAt: 15_000, resolvedWindow: 7 };
      expect(resolved).toStrictEqual(after);
      expect(await s.getAlert("a1")).toStrictEqual(after);
      const withMessage = await s.resolveAlert("b1", {
        resolvedAt: 16_000,
        resolvedWindow: 8,
        message: "back to normal",
      });
      expect(withMessage).toMatchObject({ status: "resolved", message: "back to normal", resolvedWindow: 8 });
      for (const call of [
        () => s.resolveAlert("a1", { resolvedAt: 17_000, resolvedWindow: 9 }),
        () => s.updateAlert("a1", { value: 1, lastWindow: 9, breaches: 2, updatedAt: 17_000 }),
      ]) {
        const e = await failure(call());
        expect(e.code).toBe("CONFLICT");
        expect(e.message).toContain("a1");
        expect(e.details).toMatchObject({ alert: "a1" });
      }
      expect(await s.getAlert("a1")).toStrictEqual(after);
      // A resolved alert's id is taken: opening a new alert under it is CONFLICT, nothing written.
      const taken = await failure(s.openAlert(alert("a1", { openedAt: 18_000 })));
      expect(taken.code).toBe("CONFLICT");
      expect(taken.details).toMatchObject({ alert: "a1" });
      expect(await s.getAlert("a1")).toStrictEqual(after);
      expect(await s.listAlerts({ status: "open" })).toEqual([]);
      // The rule opens a new alert; the resolved one stays as it was.
      const next = alert("a2", { window: 12, openedAt: 20_000 });
      expect(await s.openAlert(next)).toStrictEqual({ alert: opened(next), opened: true });
      expect(await s.listAlerts({ rule: "drift" })).toStrictEqual([opened(next), after]);
      // An open alert's id given to another rule or monitor's new alert is CONFLICT as well.
      expect((await failure(s.openAlert(alert("a2", { rule: "other" })))).code).toBe("CONFLICT");
      expect(await s.listAlerts({ rule: "other" })).toEqual([]);
      // Resolving and re-opening again and again keeps one open at a time.
      for (let i = 3; i < 6; i++) {
        await s.resolveAlert(`a${i - 1}`, { resolvedAt: 20_000 + i, resolvedWindow: 12 + i });
        expect((await s.openAlert(alert(`a${i}`, { openedAt: 20_000 + i }))).opened).toBe(true);
      }
      const drift = await s.listAlerts({ rule: "drift" });
      expect(drift.map((x) => [x.id, x.status])).toEqual([
        ["a5", "open"],
        ["a4", "resolved"],
        ["a3", "resolved"],
        ["a2", "resolved"],
        ["a1", "resolved"],
      ]);
    });

    it("refuses malformed alerts, updates, resolutions and queries with VALIDATION naming the path, writing nothing", async () => {
      const s = await withMonitors(factory, "m");
      await s.openAlert(alert("open-1", { rule: "kept" }));
      const before = await stored(s, "open-1");
      const cases: Array<[NewAlert, string]> = [
        [null as never, "alert"],
        [alert(""), "id"],
        [alert("x", { monitor: "" }), "monitor"],
        [alert("x", { rule: "bad\nrule" }), "rule"],
        [alert("x", { severity: "" }), "severity"],
        [alert("x", { figure: 5 as never }), "figure"],
        [alert("x", { value: Number.NaN }), "value"],
        [alert("x", { op: "greater than or equal" }), "op"],
        [alert("x", { threshold: Number.POSITIVE_INFINITY }), "threshold"],
        [alert("x", { window: -1 }), "window"],
        [alert("x", { message: 7 as never }), "message"],
        [alert("x", { details: [] as never }), "details"],
        [alert("x", { details: { x: Number.NaN } }), "details.x"],
        [alert("x", { openedAt: 1.5 }), "openedAt"],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.openAlert(bad));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      const up = { value: 1, lastWindow: 4, breaches: 2, updatedAt: 11_000 };
      const res = { resolvedAt: 11_000, resolvedWindow: 4 };
      const calls: Array<[() => Promise<unknown>, string]> = [
        [() => s.updateAlert("", up), "id"],
        [() => s.updateAlert("open-1", null as never), "update"],
        [() => s.updateAlert("open-1", { ...up, value: Number.NaN }), "update.value"],
        [() => s.updateAlert("open-1", { ...up, lastWindow: -1 }), "update.lastWindow"],
        [() => s.updateAlert("open-1", { ...up, breaches: 0 }), "update.breaches"],
        [() => s.updateAlert("open-1", { ...up, message: 5 as never }), "update.message"],
        [() => s.updateAlert("open-1", { ...up, details: [] as never }), "update.details"],
        [() => s.updateAlert("open-1", { ...up, updatedAt: 1.5 }), "update.updatedAt"],
        [() => s.resolveAlert("", res), "id"],
        [() => s.resolveAlert("open-1", null as never), "resolution"],
        [() => s.resolveAlert("open-1", { ...res, resolvedAt: -1 }), "resolution.resolvedAt"],
        [() => s.resolveAlert("open-1", { ...res, resolvedWindow: 1.5 }), "resolution.resolvedWindow"],
        [() => s.resolveAlert("open-1", { ...res, message: 5 as never }), "resolution.message"],
        [() => s.getAlert(""), "id"],
        [() => s.listAlerts({ status: "closed" as never }), "status"],
        [() => s.listAlerts({ monitor: "" }), "monitor"],
        [() => s.listAlerts({ rule: "bad\trule" }), "rule"],
        [() => s.listAlerts({ limit: 0 }), "limit"],
        [() => s.listAlerts({ limit: 10_001 }), "limit"],
        [() => s.listAlerts(null as never), "query"],
      ];
      for (const [call, path] of calls) {
        const e = await failure(call());
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.listAlerts()).toStrictEqual([before]);
    });

    it("lists alerts newest first (opened time, then id by code point), filtered by monitor, rule and status, up to the limit", async () => {
      const s = await withMonitors(factory, "m", "n");
      // Ids U+FF21 (fullwidth A) and U+1D400 (bold A): code point order differs from UTF-16's.
      const specs: Array<[string, string, string, number]> = [
        ["z", "m", "r1", 300],
        ["Ａ", "m", "r2", 100],
        ["𝐀", "n", "r1", 100],
        ["a", "m", "r3", 100],
        ["é", "n", "r2", 200],
        ["中", "m", "r4", 50],
      ];
      const all = specs.map(([id, monitor, rule, openedAt]) => alert(id, { monitor, rule, openedAt }));
      for (const i of [3, 0, 5, 2, 4, 1]) await s.openAlert(all[i] as NewAlert);
      await s.resolveAlert("a", { resolvedAt: 400, resolvedWindow: 9 });
      await s.resolveAlert("é", { resolvedAt: 400, resolvedWindow: 9 });
      const newestFirst = [...all].sort((a, b) => b.openedAt - a.openedAt || byBytes(b.id, a.id)).map((a) => a.id);
      expect(newestFirst).toEqual(["z", "é", "𝐀", "Ａ", "a", "中"]);
      const ids = async (q?: AlertQuery) => (await s.listAlerts(q)).map((a) => a.id);
      expect(await ids()).toEqual(newestFirst);
      const status = new Map([
        ["a", "resolved"],
        ["é", "resolved"],
      ]);
      const filters: AlertQuery[] = [
        { monitor: "m" },
        { monitor: "n" },
        { rule: "r1" },
        { status: "open" },
        { status: "resolved" },
        { monitor: "m", status: "open" },
        { monitor: "n", rule: "r2", status: "resolved" },
        { monitor: "m", rule: "r2", status: "resolved" },
        { monitor: "nowhere" },
      ];
      for (const f of filters) {
        const expected = newestFirst.filter((id) => {
          const a = all.find((x) => x.id === id) as NewAlert;
          return (
            (f.monitor === undefined || a.monitor === f.monitor) &&
            (f.rule === undefined || a.rule === f.rule) &&
            (f.status === undefined || (status.get(id) ?? "open") === f.status)
          );
        });
        expect(await ids(f), JSON.stringify(f)).toEqual(expected);
      }
      expect(await ids({ limit: 2 })).toEqual(["z", "é"]);
      expect(await ids({ monitor: "m", limit: 3 })).toEqual(["z", "Ａ", "a"]);
      // The default page is 100, the largest 10,000.
      for (let i = 0; i < 100; i++)
        await s.openAlert(alert(`bulk-${String(i).padStart(3, "0")}`, { rule: `bulk-${i}`, openedAt: 1_000 + i }));
      expect(await s.listAlerts()).toHaveLength(100);
      expect((await s.listAlerts())[99]?.id).toBe("bulk-000");
      expect(await s.listAlerts({ limit: 10_000 })).toHaveLength(106);
    });

    it("keeps its own copy of alerts", async () => {
      const s = await withMonitors(factory, "m");
      const a = alert("a1", { details: { columns: ["age"] } });
      const got = await s.openAlert(a);
      (a.details.columns as string[]).push("income");
      (got.alert.details.columns as string[]).push("plan");
      got.alert.status = "resolved";
      const read = await stored(s, "a1");
      read.breaches = 99;
      const [listed] = await s.listAlerts();
      if (listed) listed.details.extra = true;
      const expected = opened(alert("a1", { details: { columns: ["age"] } }));
      expect(await s.getAlert("a1")).toStrictEqual(expected);
      const again = await s.openAlert(alert("a2"));
      again.alert.value = -1;
      const update = { value: 1, lastWindow: 4, breaches: 2, details: { n: [1] }, updatedAt: 11_000 };
      const u = await s.updateAlert("a1", update);
      update.details.n.push(2);
      (u.details.n as number[]).push(3);
      expect((await stored(s, "a1")).details).toStrictEqual({ n: [1] });
      expect((await stored(s, "a1")).value).toBe(1);
    });
  });
}

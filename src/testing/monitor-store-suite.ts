import { describe, expect, it } from "./vitest.js";
import type { MlcycleError } from "../core/errors.js";
import type { MonitorRecord, MonitorStore, NewMonitor, NewReferenceProfile } from "../stores/monitor-store.js";
import { monitorAlertSuiteCases } from "./monitor-alert-suite-cases.js";
import {
  alert,
  byBytes,
  created,
  failure,
  info,
  monitor,
  partial,
  pathOf,
  reference,
  result,
  withMonitors,
} from "./monitor-suite-fixtures.js";
import { monitorWindowSuiteCases } from "./monitor-window-suite-cases.js";

/** The stored monitor `name` (fails the test when there is none). */
async function stored(s: MonitorStore, name: string): Promise<MonitorRecord> {
  const m = await s.getMonitor(name);
  if (m === undefined) throw new Error(`monitor ${name} is not stored`);
  return m;
}

/**
 * The {@link MonitorStore} conformance suite: monitors read back as given (every member; JSON values
 * as their JSON text gives them, `-0` as `0`, a `Date` as its ISO string), taken names and malformed
 * input refused with nothing written, lists in creation order (ids and names by code point),
 * compare-and-set updates that apply or, from a stale revision, write nothing, row positions
 * reserved without overlap, reference profiles numbered 1, 2, 3… per monitor even when added at
 * once, window partials appended all or none with a retried one stored once, window results written
 * once, one open alert per (monitor, rule) until it resolves, `NOT_FOUND` for an unknown monitor or
 * alert, deletes that take everything of the monitor along, and records that are the caller's own
 * copies. `factory` returns a fresh, empty store.
 *
 * @example
 * ```ts
 * monitorStoreSuite("memory", async () => new MemoryMonitorStore());
 * ```
 */
export function monitorStoreSuite(name: string, factory: () => Promise<MonitorStore>): void {
  describe(`MonitorStore conformance: ${name}`, () => {
    it("reads back a monitor with every member, by name and in a list", async () => {
      const s = await factory();
      expect(await s.listMonitors()).toEqual([]);
      const full = monitor("churn-drift", {
        id: "01J00000000000000000000MON",
        config: {
          source: { deployment: "churn" },
          columns: { age: { kind: "numeric", method: "ks", threshold: 0.05 }, plan: { kind: "categorical" } },
          window: { ms: 3_600_000 },
          rules: [{ name: "drift", figure: "drift_share", op: ">=", threshold: 0.5, for: 2 }],
          note: null,
          enabled: true,
        },
        createdAt: 1_720_000_000_000,
      });
      expect(await s.createMonitor(full)).toStrictEqual(created(full));
      expect(await s.getMonitor("churn-drift")).toStrictEqual(created(full));
      expect(await s.listMonitors()).toStrictEqual([created(full)]);
      expect(await s.getMonitor("other")).toBeUndefined();
      const plain = monitor("a b/c:d@e.f_g-h", { config: {}, createdAt: 0 });
      expect(await s.createMonitor(plain)).toStrictEqual(created(plain));
      expect(await s.listMonitors()).toStrictEqual([created(plain), created(full)]);
    });

    it("refuses a taken name with CONFLICT and keeps the stored monitor", async () => {
      const s = await factory();
      const first = monitor("m", { config: { keep: 1 } });
      await s.createMonitor(first);
      expect(await s.reserveRows("m", 5)).toBe(0);
      const e = await failure(s.createMonitor(monitor("m", { id: "other", config: { keep: 2 }, createdAt: 5 })));
      expect(e.code).toBe("CONFLICT");
      expect(e.message).toContain("'m'");
      expect(e.details).toMatchObject({ monitor: "m" });
      expect(await s.getMonitor("m")).toStrictEqual({ ...created(first), rowCount: 5 });
      expect(await s.listMonitors()).toHaveLength(1);
    });

    it("refuses a malformed monitor with VALIDATION naming its path, and stores nothing", async () => {
      const s = await factory();
      const cases: Array<[NewMonitor, string]> = [
        [monitor("x", { id: "" }), "id"],
        [monitor("x", { id: 7 as never }), "id"],
        [monitor(""), "name"],
        [monitor("bad\nname", { id: "x" }), "name"],
        [monitor("x".repeat(501), { id: "x" }), "name"],
        [monitor("x", { config: [1, 2] as never }), "config"],
        [monitor("x", { config: null as never }), "config"],
        [monitor("x", { config: new Date(0) as never }), "config"],
        [monitor("x", { config: { toJSON: () => "text" } as never }), "config"],
        [monitor("x", { config: { limit: Number.NaN } }), "config.limit"],
        [monitor("x", { config: { deep: [1, { n: 10n }] } }), "config.deep.1.n"],
        [monitor("x", { config: { f: () => 1 } }), "config.f"],
        [monitor("x", { createdAt: 1.5 }), "createdAt"],
        [monitor("x", { createdAt: -1 }), "createdAt"],
        [monitor("x", { createdAt: 2 ** 53 }), "createdAt"],
        [monitor("x", { createdAt: "1" as never }), "createdAt"],
        [null as never, "monitor"],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.createMonitor(bad));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.listMonitors()).toEqual([]);
      expect(pathOf(await failure(s.getMonitor("")))).toBe("name");
      expect(pathOf(await failure(s.deleteMonitor(42 as never)))).toBe("name");
    });

    it("lists monitors by creation time, then id, then name, by code point", async () => {
      const s = await factory();
      // Ids and names U+FF21 (fullwidth A) and U+1D400 (bold A): code point order differs from UTF-16's.
      const specs: Array<[string, string, number]> = [
        ["m1", "z", 300],
        ["m2", "Ａ", 100],
        ["m3", "𝐀", 100],
        ["m4", "a", 100],
        ["m5", "same", 200],
        ["é6", "same", 200],
        ["Ａ7", "same", 200],
        ["𝐀8", "same", 200],
        ["m9", "中", 50],
      ];
      const all = specs.map(([n, id, createdAt]) => monitor(n, { id, createdAt }));
      for (const i of [4, 0, 8, 2, 6, 1, 7, 3, 5]) await s.createMonitor(all[i] as NewMonitor);
      const order = [...all]
        .sort((a, b) => a.createdAt - b.createdAt || byBytes(a.id, b.id) || byBytes(a.name, b.name))
        .map((m) => m.name);
      expect(order).toEqual(["m9", "m4", "m2", "m3", "m5", "é6", "Ａ7", "𝐀8", "m1"]);
      const listed = await s.listMonitors();
      expect(listed.map((m) => m.name)).toEqual(order);
      expect(listed).toStrictEqual(order.map((n) => created(all.find((m) => m.name === n) as NewMonitor)));
    });

    it("updates a monitor by compare-and-set: settings replaced whole, revision bumped, row counter kept", async () => {
      const s = await factory();
      const m = monitor("m", { config: { a: 1, b: { c: 2 } } });
      await s.createMonitor(m);
      await s.reserveRows("m", 7);
      const next = await s.updateMonitor("m", 1, { config: { b: { c: 3 } }, updatedAt: 2_000 });
      const after = { ...created(m), config: { b: { c: 3 } }, revision: 2, rowCount: 7, updatedAt: 2_000 };
      expect(next).toStrictEqual(after);
      expect(await s.getMonitor("m")).toStrictEqual(after);
      const emptied = await s.updateMonitor("m", 2, { config: {}, updatedAt: 1_500 });
      expect(emptied).toStrictEqual({ ...after, config: {}, revision: 3, updatedAt: 1_500 });
      expect(await s.listMonitors()).toStrictEqual([emptied]);
    });

    it("refuses a stale revision with CONFLICT naming the stored one, and writes nothing", async () => {
      const s = await factory();
      await s.createMonitor(monitor("cas"));
      await s.updateMonitor("cas", 1, { config: { by: "first" }, updatedAt: 10 });
      const before = await stored(s, "cas");
      for (const expected of [1, 3, 99]) {
        const e = await failure(s.updateMonitor("cas", expected, { config: { by: "late" }, updatedAt: 20 }));
        expect(e.code).toBe("CONFLICT");
        expect(e.message).toContain("cas");
        expect(e.details).toMatchObject({ monitor: "cas", expected, revision: 2 });
      }
      expect(await s.getMonitor("cas")).toStrictEqual(before);
      // Two writers that read revision 2: exactly one wins.
      const raced = await Promise.allSettled([
        s.updateMonitor("cas", 2, { config: { by: "a" }, updatedAt: 30 }),
        s.updateMonitor("cas", 2, { config: { by: "b" }, updatedAt: 31 }),
      ]);
      const won = raced.filter((r) => r.status === "fulfilled");
      const lost = raced.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const loss = lost[0]?.reason as MlcycleError | undefined;
      expect(loss?.code).toBe("CONFLICT");
      expect(loss?.details).toMatchObject({ expected: 2, revision: 3 });
      expect(await s.getMonitor("cas")).toStrictEqual((won[0] as PromiseFulfilledResult<MonitorRecord>).value);
    });

    it("refuses a malformed update with VALIDATION naming its path, and changes nothing", async () => {
      const s = await factory();
      await s.createMonitor(monitor("u"));
      const ok = { config: {}, updatedAt: 10 };
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => s.updateMonitor("u", 0, ok), "expectedRevision"],
        [() => s.updateMonitor("u", 1.5, ok), "expectedRevision"],
        [() => s.updateMonitor("u", "1" as never, ok), "expectedRevision"],
        [() => s.updateMonitor("u", 1, null as never), "patch"],
        [() => s.updateMonitor("u", 1, { config: [] as never, updatedAt: 10 }), "patch.config"],
        [() => s.updateMonitor("u", 1, { config: { x: Number.POSITIVE_INFINITY }, updatedAt: 10 }), "patch.config.x"],
        [() => s.updateMonitor("u", 1, { updatedAt: 10 } as never), "patch.config"],
        [() => s.updateMonitor("u", 1, { config: {}, updatedAt: -1 }), "patch.updatedAt"],
        [() => s.updateMonitor("u", 1, { config: {}, updatedAt: 1.5 }), "patch.updatedAt"],
        [() => s.updateMonitor("", 1, ok), "name"],
        [() => s.updateMonitor("bad\tname", 1, ok), "name"],
      ];
      for (const [call, path] of cases) {
        const e = await failure(call());
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.getMonitor("u")).toStrictEqual(created(monitor("u")));
    });

    it("reserves row positions: each call gets the counter before it, calls at once get ranges that tile", async () => {
      const s = await withMonitors(factory, "m", "other");
      expect(await s.reserveRows("m", 10)).toBe(0);
      expect(await s.reserveRows("m", 5)).toBe(10);
      const sizes = Array.from({ length: 20 }, (_, i) => i + 1);
      const firsts = await Promise.all(sizes.map((n) => s.reserveRows("m", n)));
      const ranges = sizes.map((n, i) => [firsts[i] as number, n] as const).sort((a, b) => a[0] - b[0]);
      let next = 15;
      for (const [first, n] of ranges) {
        expect(first).toBe(next);
        next += n;
      }
      expect(next).toBe(15 + 210);
      // The counter is not the settings: revision and updatedAt stay as they were.
      expect(await s.getMonitor("m")).toStrictEqual({ ...created(monitor("m")), rowCount: 225 });
      expect((await stored(s, "other")).rowCount).toBe(0);
      // A 64-bit counter: the largest safe integer reads back exactly.
      expect(await s.reserveRows("other", Number.MAX_SAFE_INTEGER - 1)).toBe(0);
      expect(await s.reserveRows("other", 1)).toBe(Number.MAX_SAFE_INTEGER - 1);
      expect((await stored(s, "other")).rowCount).toBe(Number.MAX_SAFE_INTEGER);
      for (const bad of [0, -1, 1.5, 2 ** 53, Number.NaN, "3" as never]) {
        const e = await failure(s.reserveRows("m", bad));
        expect(e.code, String(bad)).toBe("VALIDATION");
        expect(pathOf(e), String(bad)).toBe("rows");
      }
      expect(pathOf(await failure(s.reserveRows("", 1)))).toBe("name");
      expect((await stored(s, "m")).rowCount).toBe(225);
    });

    it("numbers reference profiles per monitor from 1, gives the newest by default, lists them without bodies", async () => {
      const s = await withMonitors(factory, "m", "n");
      const first = reference("m", {
        model: { model: "churn", version: 3, versionId: "01J0000000000000000000VER3" },
        source: { kind: "training-set", run: "run-1", rows: [0, 1000] },
        rows: 1_000,
        profile: { columns: { age: { kind: "numeric", bins: [0, 10, 20], counts: [1, 2] } }, rows: 1_000 },
        createdAt: 2_000,
      });
      const r1 = await s.addReference(first);
      expect(r1).toStrictEqual({ ...first, version: 1 });
      const second = reference("m", { model: { model: "churn", version: 4 }, rows: 0, createdAt: 3_000 });
      const r2 = await s.addReference(second);
      expect(r2).toStrictEqual({ ...second, version: 2 });
      const plain = reference("n", { source: {}, profile: {} });
      const rn = await s.addReference(plain);
      expect(rn).toStrictEqual({ ...plain, version: 1 });
      expect("model" in rn).toBe(false);
      expect(await s.getReference("m")).toStrictEqual(r2);
      expect(await s.getReference("m", 1)).toStrictEqual(r1);
      expect(await s.getReference("m", 2)).toStrictEqual(r2);
      expect(await s.getReference("m", 3)).toBeUndefined();
      expect(await s.getReference("n")).toStrictEqual(rn);
      expect(await s.getReference("missing")).toBeUndefined();
      expect(await s.getReference("missing", 1)).toBeUndefined();
      const listed = await s.listReferences("m");
      expect(listed).toStrictEqual([info(r1), info(r2)]);
      for (const i of listed) expect("profile" in i).toBe(false);
      expect(await s.listReferences("n")).toStrictEqual([info(rn)]);
      expect(await s.listReferences("missing")).toEqual([]);
      // Added at once: distinct versions with no gap.
      const many = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.addReference(reference("m", { rows: i, createdAt: 4_000 + i }))),
      );
      expect(many.map((r) => r.version).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
      for (const r of many) expect(await s.getReference("m", r.version)).toStrictEqual(r);
      expect((await s.listReferences("m")).map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect((await s.getReference("m"))?.version).toBe(10);
    });

    it("refuses a malformed reference with VALIDATION naming its path, and stores nothing", async () => {
      const s = await withMonitors(factory, "m");
      const cases: Array<[NewReferenceProfile, string]> = [
        [reference(""), "monitor"],
        [reference("m", { model: "churn@1" as never }), "model"],
        [reference("m", { model: { model: "", version: 1 } }), "model.model"],
        [reference("m", { model: { model: "churn", version: 0 } }), "model.version"],
        [reference("m", { model: { model: "churn", version: 1.5 } }), "model.version"],
        [reference("m", { model: { model: "churn", version: 1, versionId: "" } }), "model.versionId"],
        [reference("m", { source: [] as never }), "source"],
        [reference("m", { source: { x: Number.NaN } }), "source.x"],
        [reference("m", { rows: -1 }), "rows"],
        [reference("m", { rows: 1.5 }), "rows"],
        [reference("m", { digest: "xyz" }), "digest"],
        [reference("m", { digest: "A".repeat(64) }), "digest"],
        [reference("m", { digest: undefined as never }), "digest"],
        [reference("m", { profile: null as never }), "profile"],
        [reference("m", { profile: { bins: [1, Number.NEGATIVE_INFINITY] } }), "profile.bins.1"],
        [reference("m", { createdAt: -1 }), "createdAt"],
        [null as never, "reference"],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.addReference(bad));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      for (const [call, path] of [
        [() => s.getReference("m", 0), "version"],
        [() => s.getReference("m", 1.5), "version"],
        [() => s.getReference("", 1), "monitor"],
        [() => s.listReferences(""), "monitor"],
      ] as Array<[() => Promise<unknown>, string]>) {
        const e = await failure(call());
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.listReferences("m")).toEqual([]);
      // The first well-formed one is still version 1.
      expect((await s.addReference(reference("m"))).version).toBe(1);
    });

    it("answers NOT_FOUND for an unknown monitor or alert, and undefined, [], 0 or false where the port says so", async () => {
      const s = await withMonitors(factory, "known");
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["updateMonitor", () => s.updateMonitor("missing", 1, { config: {}, updatedAt: 1 })],
        ["reserveRows", () => s.reserveRows("missing", 1)],
        ["addReference", () => s.addReference(reference("missing"))],
        ["appendPartials", () => s.appendPartials([partial("missing", 0, "p", 1)])],
        ["createWindowResult", () => s.createWindowResult(result("missing", 0))],
        ["replaceWindowResult", () => s.replaceWindowResult(result("missing", 0))],
        ["openAlert", () => s.openAlert(alert("a1", { monitor: "missing" }))],
        ["updateAlert", () => s.updateAlert("missing", { value: 1, lastWindow: 4, breaches: 2, updatedAt: 1 })],
        ["resolveAlert", () => s.resolveAlert("missing", { resolvedAt: 1, resolvedWindow: 4 })],
      ];
      for (const [what, call] of calls) {
        const e = await failure(call());
        expect(e.code, what).toBe("NOT_FOUND");
        expect(e.message, what).toContain("'missing'");
      }
      expect(await s.getMonitor("missing")).toBeUndefined();
      expect(await s.deleteMonitor("missing")).toBe(false);
      expect(await s.getReference("missing")).toBeUndefined();
      expect(await s.listReferences("missing")).toEqual([]);
      expect(await s.listPartials("missing", 0)).toEqual([]);
      expect(await s.listPartialWindows("missing")).toEqual([]);
      expect(await s.deletePartials("missing", 0)).toBe(0);
      expect(await s.getWindowResult("missing", 0)).toBeUndefined();
      expect(await s.listWindowResults("missing")).toEqual([]);
      expect(await s.getAlert("missing")).toBeUndefined();
      expect(await s.listAlerts({ monitor: "missing" })).toEqual([]);
      // Nothing was written anywhere, the known monitor included.
      expect(await s.listMonitors()).toStrictEqual([created(monitor("known"))]);
      expect(await s.listAlerts()).toEqual([]);
      expect(await s.getAlert("a1")).toBeUndefined();
      expect(await s.listReferences("known")).toEqual([]);
      expect(await s.listPartialWindows("known")).toEqual([]);
      expect(await s.listWindowResults("known")).toEqual([]);
    });

    it("deletes a monitor with its references, partials, results and alerts, false the second time; the name starts afresh", async () => {
      const s = await withMonitors(factory, "gone", "stays");
      for (const m of ["gone", "stays"]) {
        await s.reserveRows(m, 5);
        await s.updateMonitor(m, 1, { config: { n: 1 }, updatedAt: 1_500 });
        await s.addReference(reference(m));
        await s.appendPartials([partial(m, 0, "p", 1), partial(m, 1, "p", 2)]);
        await s.createWindowResult(result(m, 0));
        await s.openAlert(alert(`${m}-a1`, { monitor: m }));
      }
      expect(await s.deleteMonitor("gone")).toBe(true);
      expect(await s.getMonitor("gone")).toBeUndefined();
      expect((await s.listMonitors()).map((m) => m.name)).toEqual(["stays"]);
      expect(await s.getReference("gone")).toBeUndefined();
      expect(await s.listReferences("gone")).toEqual([]);
      expect(await s.listPartials("gone", 0)).toEqual([]);
      expect(await s.listPartialWindows("gone")).toEqual([]);
      expect(await s.getWindowResult("gone", 0)).toBeUndefined();
      expect(await s.listWindowResults("gone")).toEqual([]);
      expect(await s.getAlert("gone-a1")).toBeUndefined();
      expect((await s.listAlerts()).map((a) => a.id)).toEqual(["stays-a1"]);
      expect(await s.deleteMonitor("gone")).toBe(false);
      // Made again under the name, it starts empty: revision 1, counter 0, version 1, partial keys,
      // window and alert id free again.
      const again = monitor("gone", { id: "id-again", createdAt: 3_000 });
      expect(await s.createMonitor(again)).toStrictEqual(created(again));
      expect(await s.reserveRows("gone", 1)).toBe(0);
      expect((await s.addReference(reference("gone"))).version).toBe(1);
      await s.appendPartials([partial("gone", 0, "p", 1, { rows: 3 })]);
      expect((await s.listPartials("gone", 0)).map((p) => p.rows)).toEqual([3]);
      expect(await s.createWindowResult(result("gone", 0))).toBe(true);
      expect((await s.openAlert(alert("gone-a1", { monitor: "gone" }))).opened).toBe(true);
      // The other monitor kept its own.
      expect(await s.getMonitor("stays")).toMatchObject({ revision: 2, rowCount: 5 });
      expect(await s.listReferences("stays")).toHaveLength(1);
      expect((await s.listPartialWindows("stays")).map((w) => w.window)).toEqual([0, 1]);
      expect(await s.getWindowResult("stays", 0)).toStrictEqual(result("stays", 0));
      expect((await s.getAlert("stays-a1"))?.status).toBe("open");
    });

    it("reads JSON values back as their JSON text gives them: nested, unicode, -0, dates, undefined members", async () => {
      const s = await factory();
      const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
      const json = {
        nested: { a: [{ b: [[1, [2, [3, { c: null }]]]] }], empty: {}, none: [] },
        text: "naïve café — 中文 — 🚀👩‍👩‍👧 — \u2028\u0000\"\\'\t",
        "clé 🔑": true,
        numbers: [0.1, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 - 1, -2.5e-300],
        zero: -0,
        when,
        gone: undefined,
      };
      const read = {
        nested: json.nested,
        text: json.text,
        "clé 🔑": true,
        numbers: json.numbers,
        zero: 0,
        when: "2024-01-02T03:04:05.006Z",
      };
      const m = await s.createMonitor(monitor("json", { config: json, createdAt: -0 }));
      expect(m.config).toStrictEqual(read);
      expect(Object.is(m.createdAt, 0) && Object.is(m.updatedAt, 0)).toBe(true);
      expect(await s.getMonitor("json")).toStrictEqual(m);
      expect(JSON.stringify((await stored(s, "json")).config)).toBe(JSON.stringify(read));
      const u = await s.updateMonitor("json", 1, { config: { at: when, z: -0, u: undefined }, updatedAt: -0 });
      expect(u.config).toStrictEqual({ at: "2024-01-02T03:04:05.006Z", z: 0 });
      expect(Object.is(u.config.z, 0) && Object.is(u.updatedAt, 0)).toBe(true);
      expect(await s.getMonitor("json")).toStrictEqual(u);
      const r = await s.addReference(reference("json", { source: { when }, profile: json, rows: -0, createdAt: -0 }));
      expect(r.profile).toStrictEqual(read);
      expect(r.source).toStrictEqual({ when: "2024-01-02T03:04:05.006Z" });
      expect(Object.is(r.rows, 0) && Object.is(r.createdAt, 0)).toBe(true);
      expect(await s.getReference("json", 1)).toStrictEqual(r);
      await s.appendPartials([partial("json", 0, "p", 1, { data: json, rows: -0, at: -0 })]);
      const [p] = await s.listPartials("json", 0);
      expect(p?.data).toStrictEqual(read);
      expect(Object.is(p?.rows, 0) && Object.is(p?.at, 0)).toBe(true);
      const figures = {
        zero: -0,
        tiny: 5e-324,
        big: -1.7976931348623157e308,
        "drift.âge 🚀": 0.1 + 0.2,
        "10": 1,
        "2": 2,
      };
      await s.createWindowResult(result("json", 0, { figures, report: json, start: -0, end: -0, closedAt: -0 }));
      const w = await s.getWindowResult("json", 0);
      expect(w?.report).toStrictEqual(read);
      expect(w?.figures).toStrictEqual({ ...figures, zero: 0 });
      expect(JSON.stringify(w?.figures)).toBe(JSON.stringify({ ...figures, zero: 0 }));
      expect(Object.is(w?.figures.zero, 0) && Object.is(w?.start, 0) && Object.is(w?.closedAt, 0)).toBe(true);
      const a = await s.openAlert(
        alert("a", { monitor: "json", details: json, value: -0, threshold: -0, openedAt: -0 }),
      );
      expect(a.alert.details).toStrictEqual(read);
      expect(Object.is(a.alert.value, 0) && Object.is(a.alert.threshold, 0) && Object.is(a.alert.openedAt, 0)).toBe(
        true,
      );
      expect(await s.getAlert("a")).toStrictEqual(a.alert);
      const up = await s.updateAlert("a", { value: -0, lastWindow: 4, breaches: 2, details: { when }, updatedAt: -0 });
      expect(up.details).toStrictEqual({ when: "2024-01-02T03:04:05.006Z" });
      expect(Object.is(up.value, 0) && Object.is(up.updatedAt, 0)).toBe(true);
      const res = await s.resolveAlert("a", { resolvedAt: -0, resolvedWindow: 5 });
      expect(Object.is(res.resolvedAt, 0) && Object.is(res.updatedAt, 0)).toBe(true);
      expect(await s.getAlert("a")).toStrictEqual(res);
    });

    it("keeps its own copy: changing a given or returned record changes nothing stored", async () => {
      const s = await factory();
      const given = monitor("own", { config: { columns: ["a"], window: { ms: 1 } } });
      const back = await s.createMonitor(given);
      (given.config.columns as string[]).push("b");
      (back.config.window as { ms: number }).ms = 2;
      back.rowCount = 99;
      const read = await stored(s, "own");
      (read.config.columns as string[]).length = 0;
      const [listed] = await s.listMonitors();
      if (listed) listed.config.extra = true;
      const expected = created(monitor("own", { config: { columns: ["a"], window: { ms: 1 } } }));
      expect(await s.getMonitor("own")).toStrictEqual(expected);
      const patch = { config: { list: [1] }, updatedAt: 5 };
      const updated = await s.updateMonitor("own", 1, patch);
      patch.config.list.push(2);
      (updated.config.list as number[]).push(3);
      expect((await stored(s, "own")).config).toStrictEqual({ list: [1] });
      const ref = reference("own", { model: { model: "churn", version: 1 }, profile: { bins: [1] } });
      const r = await s.addReference(ref);
      (ref.profile.bins as number[]).push(2);
      if (ref.model) ref.model.version = 7;
      (r.profile.bins as number[]).push(3);
      if (r.model) r.model.model = "changed";
      const [ri] = await s.listReferences("own");
      if (ri) ri.source.kind = "changed";
      expect(await s.getReference("own", 1)).toStrictEqual({
        ...reference("own", { model: { model: "churn", version: 1 }, profile: { bins: [1] } }),
        version: 1,
      });
    });

    monitorWindowSuiteCases(factory);
    monitorAlertSuiteCases(factory);
  });
}

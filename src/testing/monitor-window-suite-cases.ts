import { describe, expect, it } from "./vitest.js";
import type { MonitorStore, WindowPartialRecord, WindowResultRecord } from "../stores/monitor-store.js";
import { byBytes, failure, partial, pathOf, result, withMonitors } from "./monitor-suite-fixtures.js";

/**
 * The window cases of `monitorStoreSuite` (partials appended all or none and stored once, listed
 * by producer then seq, summed per window, deleted per window; results written once, replaced,
 * listed by index), registered as its `windows` group.
 */
export function monitorWindowSuiteCases(factory: () => Promise<MonitorStore>): void {
  describe("windows", () => {
    it("appends partials and reads them back with every member, by producer (code point order) then seq", async () => {
      const s = await withMonitors(factory, "m", "n");
      const batch = [
        partial("m", 2, "b", 1),
        partial("m", 2, "a", 2, { reference: 3, rows: 0 }),
        partial("m", 2, "𝐀", 1),
        partial("m", 2, "a", 1, { data: { hist: [1, 2, 3], sketch: { k: 200 } } }),
        partial("m", 2, "Ａ", 1),
        partial("m", 2, "a", 10, { at: 1 }),
        partial("m", 3, "a", 3),
        partial("n", 2, "a", 1, { rows: 7 }),
      ];
      await s.appendPartials(batch);
      const window2 = batch.filter((p) => p.monitor === "m" && p.window === 2);
      const order = [...window2].sort((a, b) => byBytes(a.producer, b.producer) || a.seq - b.seq);
      expect(order.map((p) => `${p.producer}${p.seq}`)).toEqual(["a1", "a2", "a10", "b1", "Ａ1", "𝐀1"]);
      expect(await s.listPartials("m", 2)).toStrictEqual(order);
      expect(await s.listPartials("m", 3)).toStrictEqual([partial("m", 3, "a", 3)]);
      expect(await s.listPartials("n", 2)).toStrictEqual([partial("n", 2, "a", 1, { rows: 7 })]);
      expect(await s.listPartials("m", 4)).toEqual([]);
      const [withoutReference] = await s.listPartials("m", 3);
      expect(withoutReference && "reference" in withoutReference).toBe(false);
      // Later batches add to what is there.
      await s.appendPartials([partial("m", 2, "a", 3)]);
      expect((await s.listPartials("m", 2)).map((p) => `${p.producer}${p.seq}`)).toEqual([
        "a1",
        "a2",
        "a3",
        "a10",
        "b1",
        "Ａ1",
        "𝐀1",
      ]);
      // An empty batch stores nothing and needs no monitor.
      await s.appendPartials([]);
      expect(await s.listPartials("m", 3)).toHaveLength(1);
    });

    it("skips a partial stored already, from a later batch or the same one, keeping the first", async () => {
      const s = await withMonitors(factory, "m", "n");
      await s.appendPartials([partial("m", 0, "p", 1), partial("m", 0, "p", 2)]);
      // A retried write, with different contents: nothing changes.
      await s.appendPartials([partial("m", 0, "p", 1, { rows: 999, data: { retried: true } })]);
      // The same key twice in one batch: the first is stored.
      await s.appendPartials([partial("m", 0, "p", 3, { rows: 1 }), partial("m", 0, "p", 3, { rows: 2 })]);
      expect(await s.listPartials("m", 0)).toStrictEqual([
        partial("m", 0, "p", 1),
        partial("m", 0, "p", 2),
        partial("m", 0, "p", 3, { rows: 1 }),
      ]);
      // A key differing in any one member is another partial.
      await s.appendPartials([
        partial("m", 0, "p", 1),
        partial("m", 1, "p", 1, { rows: 1 }),
        partial("m", 0, "q", 1, { rows: 2 }),
        partial("n", 0, "p", 1, { rows: 3 }),
      ]);
      expect((await s.listPartials("m", 0)).map((p) => [p.producer, p.seq, p.rows])).toEqual([
        ["p", 1, 10],
        ["p", 2, 10],
        ["p", 3, 1],
        ["q", 1, 2],
      ]);
      expect((await s.listPartials("m", 1)).map((p) => p.rows)).toEqual([1]);
      expect((await s.listPartials("n", 0)).map((p) => p.rows)).toEqual([3]);
      // Written at once, a retry is stored once.
      await Promise.all(Array.from({ length: 5 }, () => s.appendPartials([partial("m", 9, "r", 1)])));
      expect(await s.listPartials("m", 9)).toStrictEqual([partial("m", 9, "r", 1)]);
    });

    it("refuses a batch with a bad partial (VALIDATION naming its path) or an unknown monitor (NOT_FOUND), storing none of it", async () => {
      const s = await withMonitors(factory, "m");
      const good = partial("m", 0, "p", 1);
      const cases: Array<[WindowPartialRecord, string]> = [
        [null as never, "partials.1"],
        [partial("", 0, "p", 2), "partials.1.monitor"],
        [partial("m", -1, "p", 2), "partials.1.window"],
        [partial("m", 1.5, "p", 2), "partials.1.window"],
        [partial("m", 2 ** 53, "p", 2), "partials.1.window"],
        [partial("m", 0, "", 2), "partials.1.producer"],
        [partial("m", 0, "p\n", 2), "partials.1.producer"],
        [partial("m", 0, "p", 0), "partials.1.seq"],
        [partial("m", 0, "p", 2.5), "partials.1.seq"],
        [partial("m", 0, "p", 2, { rows: -1 }), "partials.1.rows"],
        [partial("m", 0, "p", 2, { reference: 0 }), "partials.1.reference"],
        [partial("m", 0, "p", 2, { data: [] as never }), "partials.1.data"],
        [partial("m", 0, "p", 2, { data: { x: Number.NaN } }), "partials.1.data.x"],
        [partial("m", 0, "p", 2, { at: 1.5 }), "partials.1.at"],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.appendPartials([good, bad, partial("m", 0, "p", 3)]));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(pathOf(await failure(s.appendPartials({} as never)))).toBe("partials");
      const e = await failure(
        s.appendPartials([
          good,
          partial("zz-first", 0, "p", 1),
          partial("m", 1, "p", 1),
          partial("aa-second", 0, "p", 1),
        ]),
      );
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toContain("'zz-first'");
      expect(await s.listPartials("m", 0)).toEqual([]);
      expect(await s.listPartialWindows("m")).toEqual([]);
      // A well-formed batch after the refused ones is stored whole.
      await s.appendPartials([good]);
      expect(await s.listPartials("m", 0)).toStrictEqual([good]);
    });

    it("sums each window's partials in ascending order, and deletes one window's partials", async () => {
      const s = await withMonitors(factory, "m", "n");
      const top = Number.MAX_SAFE_INTEGER;
      await s.appendPartials([
        partial("m", 10, "p", 1, { rows: 4, at: 900 }),
        partial("m", 2, "p", 2, { rows: 5, at: 300 }),
        partial("m", 2, "q", 1, { rows: 6, at: 100 }),
        partial("m", 0, "p", 3, { rows: 0, at: 50 }),
        partial("m", 2, "r", 7, { rows: 2 ** 40, at: 200 }),
        partial("m", top, "p", 4, { rows: 1, at: top }),
        partial("n", 2, "p", 1, { rows: 1, at: 1 }),
      ]);
      expect(await s.listPartialWindows("m")).toStrictEqual([
        { window: 0, partials: 1, rows: 0, firstAt: 50, lastAt: 50 },
        { window: 2, partials: 3, rows: 11 + 2 ** 40, firstAt: 100, lastAt: 300 },
        { window: 10, partials: 1, rows: 4, firstAt: 900, lastAt: 900 },
        { window: top, partials: 1, rows: 1, firstAt: top, lastAt: top },
      ]);
      expect((await s.listPartials("m", top)).map((p) => p.window)).toEqual([top]);
      expect(await s.deletePartials("m", 2)).toBe(3);
      expect(await s.deletePartials("m", 2)).toBe(0);
      expect(await s.deletePartials("m", 5)).toBe(0);
      expect(await s.listPartials("m", 2)).toEqual([]);
      expect((await s.listPartialWindows("m")).map((w) => w.window)).toEqual([0, 10, top]);
      // Another monitor's window of the same index is its own.
      expect(await s.listPartialWindows("n")).toStrictEqual([
        { window: 2, partials: 1, rows: 1, firstAt: 1, lastAt: 1 },
      ]);
      // A key is skipped only while it is stored: once deleted, the same partial is stored again.
      await s.appendPartials([partial("m", 2, "q", 1, { rows: 8, at: 400 })]);
      expect(await s.listPartials("m", 2)).toStrictEqual([partial("m", 2, "q", 1, { rows: 8, at: 400 })]);
      expect(await s.deletePartials("m", 2)).toBe(1);
      expect(await s.deletePartials("m", top)).toBe(1);
      expect(await s.deletePartials("m", 0)).toBe(1);
      expect(await s.deletePartials("m", 10)).toBe(1);
      expect(await s.listPartialWindows("m")).toEqual([]);
      for (const [call, path] of [
        [() => s.deletePartials("m", -1), "window"],
        [() => s.deletePartials("", 0), "monitor"],
        [() => s.listPartials("m", 1.5), "window"],
        [() => s.listPartials("m", "0" as never), "window"],
        [() => s.listPartialWindows(""), "monitor"],
      ] as Array<[() => Promise<unknown>, string]>) {
        const e = await failure(call());
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.listPartialWindows("n")).toHaveLength(1);
    });

    it("stores a window's result once: a second writer stores nothing and is told so", async () => {
      const s = await withMonitors(factory, "m", "n");
      const first = result("m", 1, {
        reference: 2,
        model: { model: "churn", version: 4, versionId: "01J0000000000000000000VER4" },
        figures: { rows: 5, drift_share: 0.5, "drift.age": 1, "performance.accuracy_score": 0.875 },
        report: { columns: [{ name: "age", method: "ks", p: 0.001 }], dataset_drift: true },
      });
      expect(await s.createWindowResult(first)).toBe(true);
      expect(await s.getWindowResult("m", 1)).toStrictEqual(first);
      expect(await s.createWindowResult(result("m", 1, { rows: 9, figures: { rows: 9 } }))).toBe(false);
      expect(await s.getWindowResult("m", 1)).toStrictEqual(first);
      const plain = result("m", 2, { model: { model: "churn", version: 4 } });
      expect(await s.createWindowResult(plain)).toBe(true);
      const back = await s.getWindowResult("m", 2);
      expect(back).toStrictEqual(plain);
      expect(back && "reference" in back).toBe(false);
      expect(back?.model && "versionId" in back.model).toBe(false);
      // The same window of another monitor is another result.
      expect(await s.createWindowResult(result("n", 1))).toBe(true);
      expect(await s.getWindowResult("n", 1)).toStrictEqual(result("n", 1));
      expect(await s.getWindowResult("m", 3)).toBeUndefined();
      // Closed at once by several writers: exactly one stores it, and what it stored is kept.
      const raced = await Promise.all(
        [1, 2, 3, 4, 5].map((rows) => s.createWindowResult(result("m", 7, { rows, figures: { rows } }))),
      );
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect((await s.getWindowResult("m", 7))?.rows).toBe(raced.indexOf(true) + 1);
    });

    it("replaces a stored result; NOT_FOUND when none is stored, writing nothing", async () => {
      const s = await withMonitors(factory, "m");
      await s.createWindowResult(result("m", 1, { reference: 1, model: { model: "churn", version: 1 } }));
      const later = result("m", 1, {
        rows: 9,
        figures: { rows: 9, "performance.accuracy_score": 0.75 },
        report: { performance: { accuracy_score: 0.75 } },
        closedAt: 999_999,
      });
      await s.replaceWindowResult(later);
      // Replaced whole: members the new result lacks are gone.
      const back = await s.getWindowResult("m", 1);
      expect(back).toStrictEqual(later);
      expect(back && ("reference" in back || "model" in back)).toBe(false);
      const e = await failure(s.replaceWindowResult(result("m", 8)));
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toContain("m/8");
      expect(await s.getWindowResult("m", 8)).toBeUndefined();
      expect((await s.listWindowResults("m")).map((r) => r.window)).toEqual([1]);
    });

    it("lists results by window index, from `from` up to `to`, in either order, up to the limit", async () => {
      const s = await withMonitors(factory, "m", "n");
      // Windows by count: index 2^40 is a window, not a time.
      const big = 2 ** 40;
      const counted = (w: number) => result("m", w, { start: 1_000 + w, end: 2_000 + w, closedAt: 3_000 });
      for (const w of [5, 0, 3, big, 1]) await s.createWindowResult(counted(w));
      await s.createWindowResult(result("n", 2));
      const windows = async (q?: Parameters<MonitorStore["listWindowResults"]>[1]) =>
        (await s.listWindowResults("m", q)).map((r) => r.window);
      expect(await s.listWindowResults("m")).toStrictEqual([0, 1, 3, 5, big].map(counted));
      expect(await windows({ order: "asc" })).toEqual([0, 1, 3, 5, big]);
      expect(await windows({ order: "desc" })).toEqual([big, 5, 3, 1, 0]);
      expect(await windows({ from: 1, to: 5 })).toEqual([1, 3]);
      expect(await windows({ from: 3 })).toEqual([3, 5, big]);
      expect(await windows({ to: 3, order: "desc" })).toEqual([1, 0]);
      expect(await windows({ from: 3, to: 3 })).toEqual([]);
      expect(await windows({ from: 6, to: 2 })).toEqual([]);
      expect(await windows({ limit: 2 })).toEqual([0, 1]);
      expect(await windows({ order: "desc", limit: 2 })).toEqual([big, 5]);
      expect(await windows({ from: 1, order: "desc", limit: 3 })).toEqual([big, 5, 3]);
      expect((await s.listWindowResults("n")).map((r) => r.window)).toEqual([2]);
      // The default page is 100, the largest 10,000.
      for (let w = 0; w < 105; w++) await s.createWindowResult(result("n", 1_000 + w));
      expect(await s.listWindowResults("n")).toHaveLength(100);
      expect((await s.listWindowResults("n", { order: "desc" }))[99]?.window).toBe(1_005);
      expect(await s.listWindowResults("n", { limit: 10_000 })).toHaveLength(106);
      for (const [q, path] of [
        [{ limit: 0 }, "limit"],
        [{ limit: 10_001 }, "limit"],
        [{ limit: 1.5 }, "limit"],
        [{ order: "up" }, "order"],
        [{ from: -1 }, "from"],
        [{ to: 1.5 }, "to"],
        [null, "query"],
      ] as Array<[never, string]>) {
        const e = await failure(s.listWindowResults("m", q));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(pathOf(await failure(s.listWindowResults("")))).toBe("monitor");
      expect(pathOf(await failure(s.getWindowResult("m", -1)))).toBe("window");
    });

    it("refuses a malformed result with VALIDATION naming its path, creating or replacing nothing", async () => {
      const s = await withMonitors(factory, "m");
      await s.createWindowResult(result("m", 1));
      const cases: Array<[WindowResultRecord, string]> = [
        [null as never, "result"],
        [result("", 1), "monitor"],
        [result("m", -1), "window"],
        [result("m", 1.5), "window"],
        [result("m", 1, { start: 1.5 }), "start"],
        [result("m", 1, { end: -1 }), "end"],
        [result("m", 1, { start: 10, end: 9 }), "end"],
        [result("m", 1, { rows: -1 }), "rows"],
        [result("m", 1, { reference: 0 }), "reference"],
        [result("m", 1, { model: { model: "churn", version: 0 } }), "model.version"],
        [result("m", 1, { model: { model: "", version: 1 } }), "model.model"],
        [result("m", 1, { figures: [] as never }), "figures"],
        [result("m", 1, { figures: { x: Number.NaN } }), "figures.x"],
        [result("m", 1, { figures: { x: Number.POSITIVE_INFINITY } }), "figures.x"],
        [result("m", 1, { figures: { x: "1" as never } }), "figures.x"],
        [result("m", 1, { report: [] as never }), "report"],
        [result("m", 1, { report: { x: 1n } as never }), "report.x"],
        [result("m", 1, { closedAt: -1 }), "closedAt"],
      ];
      for (const [bad, path] of cases) {
        for (const call of [() => s.createWindowResult(bad), () => s.replaceWindowResult(bad)]) {
          const e = await failure(call());
          expect(e.code, path).toBe("VALIDATION");
          expect(pathOf(e), path).toBe(path);
        }
      }
      expect(await s.listWindowResults("m")).toStrictEqual([result("m", 1)]);
    });

    it("keeps its own copy of partials and results", async () => {
      const s = await withMonitors(factory, "m");
      const p = partial("m", 0, "p", 1, { data: { hist: [1, 2] } });
      await s.appendPartials([p]);
      (p.data.hist as number[]).push(3);
      const [read] = await s.listPartials("m", 0);
      (read?.data.hist as number[] | undefined)?.push(4);
      expect(await s.listPartials("m", 0)).toStrictEqual([partial("m", 0, "p", 1, { data: { hist: [1, 2] } })]);
      const r = result("m", 0, { model: { model: "churn", version: 1 }, report: { columns: ["a"] } });
      await s.createWindowResult(r);
      r.figures.rows = 100;
      (r.report.columns as string[]).push("b");
      if (r.model) r.model.version = 2;
      const back = await s.getWindowResult("m", 0);
      if (back) back.figures.extra = 1;
      const [listed] = await s.listWindowResults("m");
      (listed?.report.columns as string[] | undefined)?.push("c");
      expect(await s.getWindowResult("m", 0)).toStrictEqual(
        result("m", 0, { model: { model: "churn", version: 1 }, report: { columns: ["a"] } }),
      );
    });
  });
}

import { describe, expect, it } from "./vitest.js";
import { isMlcycleError } from "../core/errors.js";
import { byCodePoint, CODE_POINT_NAMES } from "./code-point-order.js";
import type { OfflineRow, OfflineScanOptions, OfflineStore } from "../stores/offline-store.js";

async function all(store: OfflineStore, view: string, options?: OfflineScanOptions) {
  const rows: OfflineRow[] = [];
  const pages: string[] = [];
  for await (const page of store.scan(view, options)) {
    rows.push(...page.rows.map((r) => ({ ...r, values: r.values })));
    pages.push(page.cursor);
  }
  return { rows, pages };
}

const row = (entityKey: string, eventTime: number, createdTime: number, v: unknown): OfflineRow => ({
  entityKey,
  eventTime,
  createdTime,
  values: { v },
});

/**
 * The {@link OfflineStore} conformance suite: ordered, paged scans with time bounds, key filters
 * and cursors; atomic writes; isolation between views.
 *
 * @example
 * ```ts
 * offlineStoreSuite("memory", async () => new MemoryOfflineStore());
 * ```
 */
export function offlineStoreSuite(name: string, factory: () => Promise<OfflineStore>): void {
  describe(`OfflineStore conformance: ${name}`, () => {
    it("scans rows ordered by key, event time, created time and write order", async () => {
      const s = await factory();
      await s.writeRows("v", [row('"b"', 5, 1, 1), row('"a"', 9, 1, 2), row('"a"', 3, 7, 3), row('"a"', 3, 2, 4)]);
      await s.writeRows("v", [row('"a"', 3, 2, 5), row('"b"', 1, 1, 6)]);
      await s.writeRows("other", [row('"a"', 1, 1, 99)]);
      const { rows } = await all(s, "v");
      const order = rows.map((r) => r.values.v);
      // Keys are contiguous; within a key rows go by (event, created, write order).
      const keys = rows.map((r) => r.entityKey);
      expect(keys.filter((k, i) => i > 0 && k !== keys[i - 1])).toHaveLength(1);
      const a = rows.filter((r) => r.entityKey === '"a"').map((r) => r.values.v);
      const b = rows.filter((r) => r.entityKey === '"b"').map((r) => r.values.v);
      expect(a).toEqual([4, 5, 3, 2]);
      expect(b).toEqual([6, 1]);
      expect(order).toHaveLength(6);
      expect(await s.count("v")).toBe(6);
      expect(await s.count("none")).toBe(0);
      expect((await all(s, "none")).rows).toEqual([]);
    });

    it("scans keys in code point order, whatever the database's collation, and pages the same way", async () => {
      const s = await factory();
      const keys = CODE_POINT_NAMES.map((n) => JSON.stringify(n));
      await s.writeRows(
        "v",
        keys.map((k, i) => row(k, 1, 1, i)),
      );
      const sorted = [...keys].sort(byCodePoint);
      expect((await all(s, "v")).rows.map((r) => r.entityKey)).toEqual(sorted);
      expect((await all(s, "v", { pageSize: 3 })).rows.map((r) => r.entityKey)).toEqual(sorted);
      expect((await all(s, "v", { keys: [...keys].reverse() })).rows.map((r) => r.entityKey)).toEqual(sorted);
    });

    it("pages with cursors that continue exactly after the last row", async () => {
      const s = await factory();
      const rows: OfflineRow[] = [];
      for (let k = 0; k < 7; k++) for (let t = 0; t < 5; t++) rows.push(row(String(k), t * 10, t, k * 100 + t));
      await s.writeRows("v", rows);
      const whole = (await all(s, "v")).rows.map((r) => r.values.v);
      expect(whole).toHaveLength(35);
      const paged = await all(s, "v", { pageSize: 4 });
      expect(paged.rows.map((r) => r.values.v)).toEqual(whole);
      expect(paged.pages).toHaveLength(9);
      // Resuming from the third page's cursor gives the rest.
      const rest = await all(s, "v", { pageSize: 4, cursor: paged.pages[2] });
      expect(rest.rows.map((r) => r.values.v)).toEqual(whole.slice(12));
      await expect(all(s, "v", { cursor: "not a cursor" })).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
    });

    it("filters by event-time window and keys", async () => {
      const s = await factory();
      const rows: OfflineRow[] = [];
      for (let k = 0; k < 3; k++) for (let t = 1; t <= 5; t++) rows.push(row(String(k), t, t, `${k}-${t}`));
      await s.writeRows("v", rows);
      const win = await all(s, "v", { after: 2, until: 4 });
      expect(win.rows.map((r) => r.values.v).sort()).toEqual(["0-3", "0-4", "1-3", "1-4", "2-3", "2-4"]);
      const keyed = await all(s, "v", { keys: ["2", "0", "missing"], until: 1 });
      expect(keyed.rows.map((r) => r.values.v).sort()).toEqual(["0-1", "2-1"]);
    });

    it("writes atomically: a bad row stores nothing of its batch", async () => {
      const s = await factory();
      await expect(
        s.writeRows("v", [row("1", 1, 1, "ok"), { entityKey: "2", eventTime: Number.NaN, createdTime: 1, values: {} }]),
      ).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      expect(await s.count("v")).toBe(0);
    });

    it("keeps its rows whatever callers do with written or scanned values", async () => {
      const s = await factory();
      const values = { v: 1, list: [1, 2] };
      await s.writeRows("v", [{ entityKey: "k", eventTime: 1, createdTime: 1, values }]);
      values.list.push(3);
      const first = (await all(s, "v")).rows[0].values as { v: number; list: number[] };
      try {
        first.v = 99;
        first.list.push(4);
      } catch {
        // Frozen values refuse changes; that is allowed too.
      }
      expect((await all(s, "v")).rows[0].values).toEqual({ v: 1, list: [1, 2] });
    });

    it("keeps times at the edges of the Date range, negative ones included, in order and windowed exactly", async () => {
      const s = await factory();
      const times = [8.64e15, -1, 0, -8.64e15, 1];
      await s.writeRows(
        "v",
        times.map((t) => row("k", t, t, t)),
      );
      const { rows } = await all(s, "v");
      expect(rows.map((r) => [r.eventTime, r.createdTime, r.values.v])).toEqual(
        [-8.64e15, -1, 0, 1, 8.64e15].map((t) => [t, t, t]),
      );
      const win = await all(s, "v", { after: -8.64e15, until: 0 });
      expect(win.rows.map((r) => r.eventTime)).toEqual([-1, 0]);
      const top = await all(s, "v", { after: 1, until: 8.64e15 });
      expect(top.rows.map((r) => r.eventTime)).toEqual([8.64e15]);
    });

    it("refuses times that are not integers within the Date range, as NaN is, and keeps values as JSON does", async () => {
      const s = await factory();
      for (const bad of [1.5, 1e20, -1e20, Number.POSITIVE_INFINITY]) {
        await expect(s.writeRows("v", [row("k", bad, 1, 1)])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
        await expect(s.writeRows("v", [row("k", 1, bad, 1)])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      }
      await expect(s.writeRows("v", [row("k", 1, 1, 1n)])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      expect(await s.count("v")).toBe(0);
      await s.writeRows("v", [row("k", 1, 1, { neg: -0, list: [-0] })]);
      const v = (await all(s, "v")).rows[0].values.v as { neg: number; list: number[] };
      expect(Object.is(v.neg, 0) && Object.is(v.list[0], 0)).toBe(true);
    });

    it("round-trips values and deletes a view", async () => {
      const s = await factory();
      const values = { f: 1.5, s: "x", b: true, n: null, a: [1, 2], o: { k: "v" } };
      await s.writeRows("v", [
        { entityKey: '[1,"x"]', eventTime: 1_700_000_000_000, createdTime: 1_700_000_000_001, values },
      ]);
      const { rows } = await all(s, "v");
      expect(rows[0]).toEqual({
        entityKey: '[1,"x"]',
        eventTime: 1_700_000_000_000,
        createdTime: 1_700_000_000_001,
        values,
      });
      await s.deleteView("v");
      expect(await s.count("v")).toBe(0);
    });
  });
}

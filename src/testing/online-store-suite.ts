import { describe, expect, it } from "./vitest.js";
import { isMlcycleError } from "../core/errors.js";
import type { OnlineStore, OnlineWrite } from "../stores/online-store.js";

const rec = (entityKey: string, eventTime: number, createdTime: number, v: unknown): OnlineWrite => ({
  entityKey,
  eventTime,
  createdTime,
  values: { v },
});

/**
 * The {@link OnlineStore} conformance suite: batched reads in key order, newer-wins writes (older
 * event times never replace newer ones), isolation between views, deletion.
 *
 * @example
 * ```ts
 * onlineStoreSuite("memory", async () => new MemoryOnlineStore());
 * ```
 */
export function onlineStoreSuite(name: string, factory: () => Promise<OnlineStore>): void {
  describe(`OnlineStore conformance: ${name}`, () => {
    it("reads a batch of keys in order, undefined for absent keys", async () => {
      const s = await factory();
      expect(await s.write("v", [rec("1", 10, 10, "a"), rec("2", 20, 20, "b")])).toBe(2);
      const got = await s.read("v", ["2", "missing", "1"]);
      expect(got).toEqual([
        { eventTime: 20, createdTime: 20, values: { v: "b" } },
        undefined,
        { eventTime: 10, createdTime: 10, values: { v: "a" } },
      ]);
      expect(await s.read("other", ["1"])).toEqual([undefined]);
      expect(await s.read("v", [])).toEqual([]);
    });

    it("never lets an older write replace a newer one", async () => {
      const s = await factory();
      await s.write("v", [rec("1", 100, 100, "new")]);
      expect(await s.write("v", [rec("1", 50, 500, "old event")])).toBe(0);
      expect(await s.write("v", [rec("1", 100, 99, "same event, older created")])).toBe(0);
      expect((await s.read("v", ["1"]))[0]?.values.v).toBe("new");
      expect(await s.write("v", [rec("1", 100, 101, "same event, newer created")])).toBe(1);
      expect((await s.read("v", ["1"]))[0]?.values.v).toBe("same event, newer created");
      expect(await s.write("v", [rec("1", 200, 1, "newer event")])).toBe(1);
      expect((await s.read("v", ["1"]))[0]).toEqual({ eventTime: 200, createdTime: 1, values: { v: "newer event" } });
      // Replaying the same record is harmless.
      await s.write("v", [rec("1", 200, 1, "newer event")]);
      expect((await s.read("v", ["1"]))[0]?.values.v).toBe("newer event");
    });

    it("keeps the newest value whatever the order of concurrent writes", async () => {
      const s = await factory();
      const times = [5, 1, 9, 3, 7, 2, 8, 6, 4];
      await Promise.all(times.map((t) => s.write("v", [rec("k", t, t, t)])));
      expect((await s.read("v", ["k"]))[0]).toEqual({ eventTime: 9, createdTime: 9, values: { v: 9 } });
    });

    it("returns values that callers cannot change in the store", async () => {
      const s = await factory();
      const values = { list: [1, 2], v: 1 };
      await s.write("v", [{ entityKey: "k", eventTime: 1, createdTime: 1, values }]);
      values.list.push(3);
      expect((await s.read("v", ["k"]))[0]?.values).toEqual({ list: [1, 2], v: 1 });
    });

    it("keeps event times at the edges of the Date range, negative ones included, newer-wins", async () => {
      const s = await factory();
      await s.write("v", [rec("lo", -8.64e15, -8.64e15, "lo"), rec("hi", 8.64e15, 8.64e15, "hi")]);
      expect(await s.write("v", [rec("lo", -8.64e15 + 1, 0, "later")])).toBe(1);
      expect(await s.write("v", [rec("hi", 8.64e15 - 1, 0, "earlier")])).toBe(0);
      expect(await s.read("v", ["lo", "hi"])).toEqual([
        { eventTime: -8.64e15 + 1, createdTime: 0, values: { v: "later" } },
        { eventTime: 8.64e15, createdTime: 8.64e15, values: { v: "hi" } },
      ]);
    });

    it("refuses times that are not integers within the Date range, as NaN is, and keeps values as JSON does", async () => {
      const s = await factory();
      for (const bad of [1.5, 1e20, -1e20, Number.POSITIVE_INFINITY]) {
        await expect(s.write("v", [rec("k", bad, 1, 1)])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
        await expect(s.write("v", [rec("k", 1, bad, 1)])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      }
      await expect(s.write("v", [rec("k", 1, 1, 1n)])).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      expect(await s.read("v", ["k"])).toEqual([undefined]);
      await s.write("v", [rec("k", 1, 1, { neg: -0, list: [-0] })]);
      const v = (await s.read("v", ["k"]))[0]?.values.v as { neg: number; list: number[] };
      expect(Object.is(v.neg, 0) && Object.is(v.list[0], 0)).toBe(true);
    });

    it("rejects malformed records and deletes views", async () => {
      const s = await factory();
      await expect(
        s.write("v", [{ entityKey: "k", eventTime: Number.NaN, createdTime: 1, values: {} }]),
      ).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      await s.write("v", [rec("k", 1, 1, 1)]);
      await s.write("w", [rec("k", 1, 1, 2)]);
      await s.deleteView("v");
      expect(await s.read("v", ["k"])).toEqual([undefined]);
      expect((await s.read("w", ["k"]))[0]?.values.v).toBe(2);
    });
  });
}

import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { OfflineRow } from "../../src/stores/offline-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlOfflineStore } from "../../src/stores/sql/sql-offline-store.js";
import { openSqliteDatabase } from "../../src/adapters/sqlite/sqlite-database.js";

const CLUSTERED = "feature-registry-0002-offline-rows-clustered";

/** The store's point-in-time answers in input order. */
async function lookUp(store: SqlOfflineStore, view: string, keys: string[], times: number[], ttlMs: number) {
  const out = new Array<Record<string, unknown> | undefined>(keys.length);
  const seen = new Set<number>();
  for await (const batch of store.pointInTime!(view, keys, times, ttlMs))
    for (let j = 0; j < batch.indices.length; j++) {
      expect(seen.has(batch.indices[j])).toBe(false);
      seen.add(batch.indices[j]);
      out[batch.indices[j]] = batch.values[j];
    }
  expect(seen.size).toBe(keys.length);
  return out;
}

/** Rows as `[key, event, created, v]`, in scan order. */
async function scanned(store: SqlOfflineStore, view: string) {
  const out: Array<[string, number, number, unknown]> = [];
  for await (const page of store.scan(view, { pageSize: 2 }))
    for (const r of page.rows) out.push([r.entityKey, r.eventTime, r.createdTime, r.values.v]);
  return out;
}

describe.each([
  ["raw SQLite paths", {}],
  ["Kysely paths", { raw: false }],
] as const)("migration %s: offline rows keep their data and order", (_name, options) => {
  it("copies rows written under the first schema, then keeps numbering writes after them", async () => {
    const db = openSqliteDatabase({ path: ":memory:" });
    // A database as the first schema left it: global sequence numbers, view names in every row.
    await migrate(
      db,
      allMigrations.filter((m) => m.name !== CLUSTERED),
    );
    const old = [
      ["v", '"a"', 3, 2, 1],
      ["w", '"a"', 3, 2, 2],
      ["v", '"a"', 3, 2, 3], // same key and times as the first row, written later: wins ties
      ["v", '"b"', 1, 1, 4],
      ["v", '"a"', 1, 9, 5],
    ] as const;
    for (const [view, key, event, created, v] of old)
      await sql`insert into feature_offline_rows (view, entity_key, event_time, created_time, values_json)
        values (${view}, ${key}, ${event}, ${created}, ${JSON.stringify({ v })})`.execute(db.db);
    expect(await migrate(db, allMigrations)).toEqual([CLUSTERED]);

    const store = new SqlOfflineStore(db, options);
    expect(await store.count("v")).toBe(4);
    expect(await store.count("w")).toBe(1);
    expect(await scanned(store, "v")).toEqual([
      ['"a"', 1, 9, 5],
      ['"a"', 3, 2, 1],
      ['"a"', 3, 2, 3],
      ['"b"', 1, 1, 4],
    ]);
    expect(await scanned(store, "w")).toEqual([['"a"', 3, 2, 2]]);

    // A new write with the same key and times comes after every copied row.
    const again: OfflineRow = { entityKey: '"a"', eventTime: 3, createdTime: 2, values: { v: 6 } };
    await store.writeRows("v", [again]);
    expect((await scanned(store, "v")).map((r) => r[3])).toEqual([5, 1, 3, 6, 4]);
    if (store.pointInTime) {
      const found = await lookUp(store, "v", ['"a"', '"a"', '"b"', '"c"'], [3, 2, 10, 10], 0);
      expect(found).toEqual([{ v: 6 }, { v: 5 }, { v: 4 }, undefined]);
      const withTtl = await lookUp(store, "v", ['"a"', '"a"'], [4, 5], 1);
      expect(withTtl).toEqual([{ v: 6 }, undefined]);
    }
    if (store.pointInTime) expect(await lookUp(store, "never-written", ['"a"'], [3], 0)).toEqual([undefined]);
    // A view first written after the migration gets its own id and sequence.
    await store.writeRows("x", [{ entityKey: '"a"', eventTime: 1, createdTime: 1, values: { v: 7 } }]);
    expect(await scanned(store, "x")).toEqual([['"a"', 1, 1, 7]]);
    await store.deleteView("v");
    expect(await store.count("v")).toBe(0);
    expect(await store.count("w")).toBe(1);
    await db.close();
  });
});

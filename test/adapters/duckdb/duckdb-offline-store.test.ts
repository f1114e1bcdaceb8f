import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { duckdbOfflineStore } from "../../../src/adapters/duckdb/index.js";
import { entityKeySql } from "../../../src/adapters/duckdb/duckdb-sql.js";
import { offlineStoreSuite } from "../../../src/testing/index.js";

const instances: DuckDBInstance[] = [];
async function instance() {
  const i = await DuckDBInstance.create(":memory:");
  instances.push(i);
  return i;
}
afterAll(() => {
  for (const i of instances) i.closeSync();
});

offlineStoreSuite("duckdb (instance)", async () => duckdbOfflineStore({ instance: await instance() }));
offlineStoreSuite("duckdb (one connection)", async () =>
  duckdbOfflineStore({ connection: await (await instance()).connect() }),
);

describe("DuckDB offline store", () => {
  it("keeps its rows in the caller's database, under its table prefix", async () => {
    const db = await instance();
    const store = duckdbOfflineStore({ instance: db, tablePrefix: "feat" });
    await store.writeRows("v", [{ entityKey: "1", eventTime: 5, createdTime: 6, values: { a: 1 } }]);
    const con = await db.connect();
    const rows = (
      await con.runAndReadAll("select entity_key, event_time, created_time, values_json from feat_rows")
    ).getRowsJS();
    expect(rows).toEqual([["1", 5n, 6n, '{"a":1}']]);
    con.closeSync();
    await store.close();
  });

  it("refuses options without an instance or connection, and a prefix that is not an identifier", async () => {
    expect(() => duckdbOfflineStore({} as never)).toThrow(/instance/);
    expect(() => duckdbOfflineStore({ instance: {} as never })).toThrow(/DuckDBInstance/);
    const db = await instance();
    expect(() => duckdbOfflineStore({ instance: db, tablePrefix: "a b" })).toThrow(/identifier/);
  });

  it("answers point-in-time lookups: latest event ≤ time, then latest created, then last written, within TTL", async () => {
    const store = duckdbOfflineStore({ instance: await instance() });
    const row = (k: string, e: number, c: number, v: number) => ({
      entityKey: k,
      eventTime: e,
      createdTime: c,
      values: { v },
    });
    await store.writeRows("v", [row("a", 10, 1, 1), row("a", 20, 5, 2), row("a", 20, 9, 3), row("b", 5, 1, 4)]);
    await store.writeRows("v", [row("a", 20, 9, 5), row("a", 30, 0, 6)]);
    const keys = ["a", "a", "a", "a", "b", "c", "a"];
    const times = [9, 10, 25, 30, 100, 50, 29];
    const out = new Array(keys.length);
    for await (const b of store.pointInTime("v", keys, Float64Array.from(times), 0))
      for (let j = 0; j < b.indices.length; j++) out[b.indices[j]] = b.values[j]?.v;
    expect(out).toEqual([undefined, 1, 5, 6, 4, undefined, 5]);
    const ttl = new Array(keys.length);
    for await (const b of store.pointInTime("v", keys, Float64Array.from(times), 10))
      for (let j = 0; j < b.indices.length; j++) ttl[b.indices[j]] = b.values[j]?.v;
    expect(ttl).toEqual([undefined, 1, 5, 6, undefined, undefined, 5]);
    const none: unknown[] = [];
    for await (const b of store.pointInTime("nothing", ["a"], [1], 0)) none.push(...b.values);
    expect(none).toEqual([undefined]);
  });
});

describe("DuckDB engine", () => {
  it("joins a view read in place with ASOF JOIN under the point-in-time rule, ties to the last row read", async () => {
    const db = await instance();
    const con = await db.connect();
    const dir = mkdtempSync(join(tmpdir(), "mlcycle-duck-engine-"));
    const file = join(dir, "f.parquet");
    // Key 1: rows at 10, 20 (created 5), 20 (created 9), 20 (created 9, read later), 30.
    await con.run(`copy (select * from (values (1, 10, 1, 'a'), (1, 20, 5, 'b'), (1, 20, 9, 'c'), (1, 20, 9, 'd'), (1, 30, 0, 'e'), (2, 5, 0, 'x'))
      t(k, e, c, v)) to '${file}' (format parquet)`);
    con.closeSync();
    const store = duckdbOfflineStore({ instance: db });
    const view = {
      table: { kind: "parquet" as const, files: [file] },
      keys: [{ column: "k", kind: "integer" as const, type: "int" as const }],
      eventTime: { column: "e", kind: "integer" as const },
      createdTime: { column: "c", kind: "integer" as const },
      features: [{ name: "v", column: "v", type: "string" }],
    };
    const keys = ["1", "1", "1", "1", "2", "3"];
    const times = [9, 10, 25, 100, 100, 1];
    const out = new Array(keys.length);
    for await (const b of store.engine.pointInTime(view, keys, times, 0))
      for (let j = 0; j < b.indices.length; j++) out[b.indices[j]] = b.values[j]?.v;
    expect(out).toEqual([undefined, "a", "d", "e", "x", undefined]);
    const ttl = new Array(keys.length);
    for await (const b of store.engine.pointInTime(view, keys, times, 50))
      for (let j = 0; j < b.indices.length; j++) ttl[b.indices[j]] = b.values[j]?.v;
    expect(ttl).toEqual([undefined, "a", "d", undefined, undefined, undefined]);
    expect(await store.engine.describe(view.table)).toEqual([
      { name: "k", type: "INTEGER", kind: "integer" },
      { name: "e", type: "INTEGER", kind: "integer" },
      { name: "c", type: "INTEGER", kind: "integer" },
      { name: "v", type: "VARCHAR", kind: "string" },
    ]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("encodes entity keys in SQL exactly as the feature store does in JavaScript", async () => {
    const db = await instance();
    const con = await db.connect();
    const texts = ['a"b', "\\", "\u2028", "é", "\u0001", "\u000b", "\u001f", "/", "😀", "\t\n\r\b\f", "\u007f", ""];
    for (const t of texts) {
      const sql = `select ${entityKeySql([{ sql: "$1::varchar", type: "string" }])}, ${entityKeySql([
        { sql: "$1::varchar", type: "string" },
        { sql: "42", type: "int" },
      ])}`;
      const [[one, two]] = (await con.runAndReadAll(sql, [t])).getRowsJS();
      expect([one, two]).toEqual([JSON.stringify(t), JSON.stringify([t, 42])]);
    }
    con.closeSync();
  });
});

import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isMlcycleError } from "../../src/core/errors.js";
import type { OfflineRow } from "../../src/stores/offline-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlOfflineStore } from "../../src/stores/sql/sql-offline-store.js";
import { openSqliteDatabase } from "../../src/adapters/sqlite/sqlite-database.js";
import { tempDir } from "../helpers.js";

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function answers(store: SqlOfflineStore, keys: string[], times: number[], ttlMs: number, signal?: AbortSignal) {
  const out = new Array<Record<string, unknown> | undefined>(keys.length);
  let batches = 0;
  for await (const batch of store.pointInTime!("v", keys, times, ttlMs, signal)) {
    batches++;
    for (let j = 0; j < batch.indices.length; j++) out[batch.indices[j]] = batch.values[j];
  }
  return { out, batches };
}

describe("SQLite point-in-time lookups on a worker thread", () => {
  it("give the same answers as on the calling thread and as a direct search, over several batches", async () => {
    const db = openSqliteDatabase({ path: join(tempDir("mlcycle-pit-worker-"), "f.db") });
    await migrate(db, allMigrations);
    const onWorker = new SqlOfflineStore(db, { workerMinRows: 1 });
    const here = new SqlOfflineStore(db, { workerMinRows: Number.POSITIVE_INFINITY });
    const next = random(7);
    const rows: OfflineRow[] = [];
    for (let i = 0; i < 3000; i++) {
      // Few distinct times, so equal event times (and equal created times) are common.
      const eventTime = Math.floor(next() * 40) * 10;
      rows.push({
        entityKey: `"k${Math.floor(next() * 60)}"`,
        eventTime,
        createdTime: Math.floor(next() * 3),
        values: { i },
      });
    }
    await onWorker.writeRows("v", rows.slice(0, 1500));
    await here.writeRows("v", rows.slice(1500));
    const keys: string[] = [];
    const times: number[] = [];
    for (let i = 0; i < 120_000; i++) {
      keys.push(`"k${Math.floor(next() * 64)}"`);
      times.push(Math.floor(next() * 420) - 10);
    }
    for (const ttl of [0, 25]) {
      const a = await answers(onWorker, keys, times, ttl);
      const b = await answers(here, keys, times, ttl);
      expect(a.batches).toBeGreaterThan(2);
      expect(a.out).toEqual(b.out);
      // A direct search for a sample: the last row written among those with the greatest
      // (event time, created time) at or before the entity time, within the TTL.
      for (let p = 0; p < 2000; p++) {
        let best: { row: OfflineRow; at: number } | undefined;
        rows.forEach((row, at) => {
          if (row.entityKey !== keys[p] || row.eventTime > times[p]) return;
          if (ttl > 0 && row.eventTime < times[p] - ttl) return;
          const c = best?.row;
          if (!c || row.eventTime > c.eventTime || (row.eventTime === c.eventTime && row.createdTime >= c.createdTime))
            best = { row, at };
        });
        expect(a.out[p]).toEqual(best?.row.values);
      }
    }
    await db.close();
  });

  it("answer by feature, when asked for features, what the row objects hold", async () => {
    const db = openSqliteDatabase({ path: join(tempDir("mlcycle-pit-worker-"), "f.db") });
    await migrate(db, allMigrations);
    const store = new SqlOfflineStore(db, { workerMinRows: 1 });
    const next = random(11);
    const rows: OfflineRow[] = [];
    for (let i = 0; i < 2000; i++) {
      const kind = Math.floor(next() * 8);
      // `pure` is always a number, `n` a number in every row but one kind (null), `mixed` anything JSON
      // holds, `absent` mostly missing.
      const values: Record<string, unknown> = { pure: i / 3 - 7, n: kind === 0 ? null : i * 0.25 - 100 };
      if (kind === 1) values.mixed = "text";
      else if (kind === 2) values.mixed = { nested: [i] };
      else if (kind === 3) values.mixed = true;
      else if (kind !== 4) values.mixed = -i;
      if (kind === 5) values.absent = 1;
      rows.push({
        entityKey: String(Math.floor(next() * 40)),
        eventTime: Math.floor(next() * 300),
        createdTime: 0,
        values,
      });
    }
    await store.writeRows("v", rows);
    const keys: string[] = [];
    const times: number[] = [];
    for (let i = 0; i < 110_000; i++) {
      keys.push(String(Math.floor(next() * 44)));
      times.push(Math.floor(next() * 320) - 10);
    }
    const features = ["pure", "n", "mixed", "absent", "never"];
    const expected = (await answers(store, keys, times, 20)).out;
    let columnBatches = 0;
    let matches = 0;
    const seen = new Uint8Array(keys.length);
    let first = true;
    for await (const batch of store.pointInTime!("v", keys, times, 20, undefined, features)) {
      for (let j = 0; j < batch.indices.length; j++) seen[batch.indices[j]]++;
      // The calling thread looks up a batch itself only when it holds no answer of the worker's (at
      // least the first, before the worker has started): pausing after it leaves the rest to the worker.
      if (first) await sleep(1000);
      first = false;
      // Batches the calling thread looked up come as values.
      if (!batch.columns) {
        for (let j = 0; j < batch.indices.length; j++) expect(batch.values[j]).toEqual(expected[batch.indices[j]]);
        continue;
      }
      columnBatches++;
      const { matched, byFeature } = batch.columns;
      // A feature whose matches are all numbers crosses as numbers; the others as values.
      expect(byFeature[0]).toBeInstanceOf(Float64Array);
      expect(byFeature[2]).toBeInstanceOf(Array);
      for (let j = 0; j < batch.indices.length; j++) {
        const want = expected[batch.indices[j]];
        expect(matched[j] === 1).toBe(want !== undefined);
        if (!want) continue;
        matches++;
        for (let k = 0; k < features.length; k++) expect(byFeature[k][j]).toEqual(want[features[k]] ?? null);
      }
    }
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(columnBatches).toBeGreaterThan(0);
    expect(matches).toBeGreaterThan(1000);
    await db.close();
  });

  it("does the work on the calling thread when the worker cannot open the database", async () => {
    const file = join(tempDir("mlcycle-pit-worker-"), "f.db");
    const db = openSqliteDatabase({ path: file });
    await migrate(db, allMigrations);
    const store = new SqlOfflineStore(db, { workerMinRows: 1 });
    await store.writeRows("v", [
      { entityKey: '"a"', eventTime: 5, createdTime: 1, values: { x: 1 } },
      { entityKey: '"a"', eventTime: 9, createdTime: 1, values: { x: 2 } },
    ]);
    // The open connection keeps reading the unlinked file; a new one (the worker's) cannot open it.
    rmSync(file);
    // Several batches, the consumer pausing after each: the calling thread looks up the first while
    // the worker starts, and finds it failed (not answered) when asked for the next.
    const keys = Array.from({ length: 120_000 }, (_, i) => ['"a"', '"a"', '"a"', '"b"'][i % 4]);
    const times = keys.map((_, i) => [4, 5, 20, 20][i % 4]);
    const out = new Array<Record<string, unknown> | undefined>(keys.length);
    const seen = new Uint8Array(keys.length);
    let batches = 0;
    for await (const batch of store.pointInTime!("v", keys, times, 0)) {
      batches++;
      for (let j = 0; j < batch.indices.length; j++) {
        seen[batch.indices[j]]++;
        out[batch.indices[j]] = batch.values[j];
      }
      await sleep(500);
    }
    expect(batches).toBe(3);
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(out.slice(0, 8)).toEqual([
      undefined,
      { x: 1 },
      { x: 2 },
      undefined,
      undefined,
      { x: 1 },
      { x: 2 },
      undefined,
    ]);
    expect(out.every((v, i) => (v === undefined ? i % 4 === 0 || i % 4 === 3 : v.x === (i % 4 === 1 ? 1 : 2)))).toBe(
      true,
    );
    await db.close();
  });

  it("stops with CANCELLED when the signal fires between batches", async () => {
    const db = openSqliteDatabase({ path: join(tempDir("mlcycle-pit-worker-"), "f.db") });
    await migrate(db, allMigrations);
    const store = new SqlOfflineStore(db, { workerMinRows: 1 });
    await store.writeRows("v", [{ entityKey: '"a"', eventTime: 1, createdTime: 1, values: { x: 1 } }]);
    const keys = Array.from({ length: 120_000 }, () => '"a"');
    const times = keys.map((_, i) => i);
    const controller = new AbortController();
    let seen = 0;
    const error = await (async () => {
      for await (const batch of store.pointInTime!("v", keys, times, 0, controller.signal)) {
        seen += batch.indices.length;
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(isMlcycleError(error) && error.code).toBe("CANCELLED");
    expect(seen).toBeLessThan(keys.length);
    await db.close();
  });
});

import { spawn } from "node:child_process";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import {
  MemoryPredictionLogStore,
  memoryStore,
  openSqliteDatabase,
  type PredictionRecord,
  type SqlDatabase,
  SqlPredictionLogStore,
  sqliteBackend,
  sqliteStore,
} from "../../src/index.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { predictionLogStoreSuite } from "../../src/testing/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
const opened: SqlDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
});

let files = 0;
async function sqliteLog(): Promise<SqlPredictionLogStore> {
  const db = openSqliteDatabase({ path: join(dir, `log-${files++}.db`) });
  opened.push(db);
  await migrate(db, allMigrations);
  return new SqlPredictionLogStore(db);
}

predictionLogStoreSuite("memory", async () => new MemoryPredictionLogStore());
predictionLogStoreSuite("sqlite", sqliteLog);

const prediction = (id: string, at: number, extra: Partial<PredictionRecord> = {}): PredictionRecord => ({
  id,
  deployment: "d",
  model: "m",
  version: 1,
  versionId: "v1",
  rows: 1,
  payload: "full",
  latencyMs: 1,
  at,
  ...extra,
});

function runChild(file: string, mode: "read" | "write"): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "prediction-log-child.ts"), file, mode],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe("the SQL prediction log on SQLite", () => {
  it("is the metadata store's `predictions` in sqlStore() and memoryStore()", async () => {
    const backend = sqliteBackend({ path: join(dir, "backend.db") });
    try {
      await backend.metadata.init?.();
      expect(backend.metadata.predictions).toBeInstanceOf(SqlPredictionLogStore);
      await backend.metadata.predictions?.putPredictions([prediction("p1", 1)]);
      expect((await backend.metadata.predictions?.getPrediction("p1"))?.id).toBe("p1");
    } finally {
      await backend.metadata.close();
    }
    expect(memoryStore().predictions).toBeInstanceOf(MemoryPredictionLogStore);
  });

  it("shows one store's writes to a second store on the same file, and to another process", async () => {
    const file = join(dir, "shared.db");
    const first = sqliteStore({ path: file });
    const second = sqliteStore({ path: file });
    try {
      await first.init?.();
      await second.init?.();
      await first.predictions?.putPredictions([
        prediction("parent-1", 10, { inputs: { a: 1 } }),
        prediction("parent-2", 20, { variant: "b" }),
      ]);
      await first.predictions?.putFeedback([{ predictionId: "parent-2", outcome: 1, at: 30 }]);
      const seen = (await second.predictions?.listPredictions())?.predictions;
      expect(seen?.map((p) => p.id)).toEqual(["parent-1", "parent-2"]);
      expect(seen?.[1]?.feedback).toEqual({ predictionId: "parent-2", at: 30, outcome: 1 });
      // Another process, its own connection: reads what this one wrote, and writes what this one reads.
      expect(JSON.parse(await runChild(file, "read"))).toStrictEqual(seen);
      await runChild(file, "write");
      const after = (await first.predictions?.listPredictions())?.predictions;
      expect(after?.map((p) => p.id)).toEqual(["parent-1", "parent-2", "child-1", "child-2"]);
      expect(after?.[0]?.feedback).toEqual({ predictionId: "parent-1", at: 70, label: "from the child" });
      expect(after?.[2]?.inputs).toEqual({ x: [1, "ü"] });
      expect(await second.predictions?.deletePredictionsBefore(55, { deployment: "child" })).toBe(1);
      expect((await first.predictions?.getPrediction("child-1")) ?? null).toBeNull();
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);

  it("writes a batch needing more bound parameters than one SQLite statement takes, and removes it in several batches", async () => {
    const log = await sqliteLog();
    // 13 columns × 6,000 rows is more than SQLite's 32,766 parameters: the insert is split.
    const records = Array.from({ length: 6_000 }, (_, i) => prediction(`bulk-${String(i).padStart(5, "0")}`, i % 50));
    await log.putPredictions(records);
    await log.putFeedback(records.map((r) => ({ predictionId: r.id, outcome: 1, at: 1 })));
    expect((await log.listPredictions({ limit: 10_000 })).predictions).toHaveLength(6_000);
    // Retention removes at most a few thousand per transaction: all of them, counted once.
    expect(await log.deletePredictionsBefore(60)).toBe(6_000);
    expect((await log.listPredictions()).predictions).toEqual([]);
    const db = opened[opened.length - 1] as SqlDatabase;
    const left = await db.db
      .selectFrom("prediction_feedback")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst();
    expect(Number(left?.n)).toBe(0);
  });

  it("sizes its statements to the dialect's bound-parameter limit, all or none", async () => {
    const db = openSqliteDatabase({ path: join(dir, "small-limit.db") });
    opened.push(db);
    await migrate(db, allMigrations);
    // A dialect allowing 30 parameters a statement: two predictions (13 columns) per insert.
    const dialect = Object.create(db.dialect, { maxBoundParameters: { value: 30 } });
    const log = new SqlPredictionLogStore({ ...db, dialect });
    const records = Array.from({ length: 25 }, (_, i) => prediction(`s-${i}`, i));
    await log.putPredictions(records);
    await log.putFeedback(records.map((r, i) => ({ predictionId: r.id, label: i, at: i })));
    const all = (await log.listPredictions()).predictions;
    expect(all).toHaveLength(25);
    expect(all.map((p) => p.feedback?.label)).toEqual(records.map((_, i) => i));
    // A failure in a later statement rolls back the earlier ones of the same batch.
    const later = Array.from({ length: 9 }, (_, i) => prediction(`t-${i}`, 100 + i));
    await sql`create trigger refuse_t8 before insert on prediction_log when new.id = 't-8' begin select raise(abort, 'refused'); end`.execute(
      db.db,
    );
    await expect(log.putPredictions(later)).rejects.toThrow(/refused/);
    expect(await log.getPrediction("t-0")).toBeUndefined();
    expect((await log.listPredictions()).predictions).toHaveLength(25);
  });
});

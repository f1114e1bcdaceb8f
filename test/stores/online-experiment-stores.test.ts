import { spawn } from "node:child_process";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import {
  isMlcycleError,
  MemoryOnlineExperimentStore,
  memoryStore,
  type NewOnlineExperiment,
  openSqliteDatabase,
  type SqlDatabase,
  SqlOnlineExperimentStore,
  sqliteBackend,
  sqliteStore,
} from "../../src/index.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { onlineExperimentStoreSuite } from "../../src/testing/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
const opened: SqlDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
});

let files = 0;
async function sqliteDatabase(): Promise<SqlDatabase> {
  const db = openSqliteDatabase({ path: join(dir, `experiments-${files++}.db`) });
  opened.push(db);
  await migrate(db, allMigrations);
  return db;
}

onlineExperimentStoreSuite("memory", async () => new MemoryOnlineExperimentStore());
onlineExperimentStoreSuite("sqlite", async () => new SqlOnlineExperimentStore(await sqliteDatabase()));

const experiment = (name: string, extra: Partial<NewOnlineExperiment> = {}): NewOnlineExperiment => ({
  id: `id-${name}`,
  name,
  deployment: "d",
  kind: "split",
  status: "running",
  salt: "s",
  variants: [
    { name: "control", ref: "m@1", weight: 1 },
    { name: "treatment", ref: "m@2", weight: 1 },
  ],
  config: {},
  state: {},
  createdAt: 1,
  ...extra,
});

function runChild(file: string, mode: "aggregate" | "increment", times: number, writer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "online-experiment-child.ts"), file, mode, String(times), writer],
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

describe("the SQL online experiment store on SQLite", () => {
  it("is the metadata store's `onlineExperiments` in sqlStore() and memoryStore()", async () => {
    const backend = sqliteBackend({ path: join(dir, "backend.db") });
    try {
      await backend.metadata.init?.();
      expect(backend.metadata.onlineExperiments).toBeInstanceOf(SqlOnlineExperimentStore);
      await backend.metadata.onlineExperiments?.createExperiment(experiment("wired"));
      expect((await backend.metadata.onlineExperiments?.getExperiment("wired"))?.revision).toBe(1);
    } finally {
      await backend.metadata.close();
    }
    expect(memoryStore().onlineExperiments).toBeInstanceOf(MemoryOnlineExperimentStore);
  });

  it("ends with exact sums and one trail after two processes add to the same experiment at once", async () => {
    const file = join(dir, "aggregates.db");
    const store = sqliteStore({ path: file });
    try {
      await store.init?.();
      await store.onlineExperiments?.createExperiment(experiment("shared"));
      const calls = 500;
      const results = await Promise.all([
        runChild(file, "aggregate", calls, "writer-a"),
        runChild(file, "aggregate", calls, "writer-b"),
      ]);
      expect(results.map((r) => JSON.parse(r).writer).sort()).toEqual(["writer-a", "writer-b"]);
      // Each call adds y = i and y = 1 to control/reward (i = 1…500) and one call to its writer's row.
      const rewardSum = 2 * ((calls * (calls + 1)) / 2 + calls);
      const squares = 2 * ((calls * (calls + 1) * (2 * calls + 1)) / 6 + calls);
      const got = await store.onlineExperiments?.getAggregates("shared");
      expect(got).toStrictEqual([
        {
          variant: "control",
          metric: "reward",
          sums: {
            n: 4 * calls,
            sum: rewardSum,
            sumSquares: squares,
            covariateSum: 2 * rewardSum,
            covariateSumSquares: 4 * squares,
            productSum: 2 * squares,
          },
        },
        ...["writer-a", "writer-b"].map((variant) => ({
          variant,
          metric: "calls",
          sums: {
            n: calls,
            sum: calls,
            sumSquares: calls,
            covariateSum: 2 * calls,
            covariateSumSquares: 4 * calls,
            productSum: 2 * calls,
          },
        })),
      ]);
      // The trail entries both appended took distinct, consecutive seqs, each writer's in its order.
      const events = (await store.onlineExperiments?.listEvents("shared")) ?? [];
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      for (const writer of ["writer-a", "writer-b"])
        expect(events.filter((e) => e.actor === writer).map((e) => e.details.i)).toEqual(
          Array.from({ length: 50 }, (_, i) => (i + 1) * 10),
        );
    } finally {
      await store.close();
    }
  }, 120_000);

  it("lets exactly one of two compare-and-set updates from the same revision through, in one process and across two", async () => {
    const file = join(dir, "cas.db");
    const first = sqliteStore({ path: file });
    const second = sqliteStore({ path: file });
    try {
      await first.init?.();
      await second.init?.();
      const a = first.onlineExperiments as SqlOnlineExperimentStore;
      const b = second.onlineExperiments as SqlOnlineExperimentStore;
      await a.createExperiment(experiment("shared", { state: { count: 0 } }));
      // Two connections to the file, both writing from revision 1.
      const raced = await Promise.allSettled([
        a.updateExperiment("shared", 1, { state: { count: 0, by: "a" }, updatedAt: 2 }, event("a")),
        b.updateExperiment("shared", 1, { state: { count: 0, by: "b" }, updatedAt: 2 }, event("b")),
      ]);
      const won = raced.filter((r) => r.status === "fulfilled");
      const lost = raced.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(isMlcycleError(lost[0]?.reason, "CONFLICT")).toBe(true);
      expect(lost[0]?.reason.details).toMatchObject({ expected: 1, revision: 2 });
      const winner = ((await b.getExperiment("shared"))?.state as { by?: string } | undefined)?.by;
      expect(["a", "b"]).toContain(winner);
      expect((await a.listEvents("shared")).map((e) => e.action)).toEqual([winner]);
      // Two processes incrementing a counter by compare-and-set, reading again after a CONFLICT:
      // no increment is lost and none is applied twice.
      const times = 100;
      const results = (
        await Promise.all([
          runChild(file, "increment", times, "writer-a"),
          runChild(file, "increment", times, "writer-b"),
        ])
      ).map((r) => JSON.parse(r) as { writer: string; conflicts: number });
      const after = await a.getExperiment("shared");
      expect(after?.state).toStrictEqual({ count: 2 * times });
      expect(after?.revision).toBe(2 + 2 * times);
      const trail = await a.listEvents("shared");
      expect(trail.map((e) => e.seq)).toEqual(Array.from({ length: 1 + 2 * times }, (_, i) => i + 1));
      expect(trail.slice(1).map((e) => e.details.to)).toEqual(Array.from({ length: 2 * times }, (_, i) => i + 1));
      for (const r of results) expect(trail.filter((e) => e.actor === r.writer)).toHaveLength(times);
    } finally {
      await first.close();
      await second.close();
    }
  }, 120_000);

  it("adds a batch needing several statements on a small parameter limit, all or none", async () => {
    const db = await sqliteDatabase();
    // A dialect allowing 30 parameters a statement: three rows (9 columns) per insert.
    const dialect = Object.create(db.dialect, { maxBoundParameters: { value: 30 } });
    const s = new SqlOnlineExperimentStore({ ...db, dialect });
    await s.createExperiment(experiment("small"));
    const deltas = Array.from({ length: 20 }, (_, i) => ({
      variant: "control",
      metric: `m${String(i).padStart(2, "0")}`,
      sums: { n: i, sum: i, sumSquares: 0, covariateSum: 0, covariateSumSquares: 0, productSum: 0 },
    }));
    await s.addAggregates("small", deltas);
    await s.addAggregates("small", deltas);
    expect((await s.getAggregates("small")).map((d) => d.sums.n)).toEqual(deltas.map((d) => 2 * d.sums.n));
    // A failure in a later statement rolls back the earlier ones of the same batch.
    await sql`create trigger refuse_m19 before update on online_experiment_aggregates when new.metric = 'm19' begin select raise(abort, 'refused'); end`.execute(
      db.db,
    );
    await expect(s.addAggregates("small", deltas)).rejects.toThrow(/refused/);
    expect((await s.getAggregates("small")).map((d) => d.sums.n)).toEqual(deltas.map((d) => 2 * d.sums.n));
  });

  it("removes the experiment's rows from all three tables on delete", async () => {
    const db = await sqliteDatabase();
    const s = new SqlOnlineExperimentStore(db);
    await s.createExperiment(experiment("gone"));
    await s.createExperiment(experiment("kept"));
    for (const name of ["gone", "kept"]) {
      await s.appendEvent(name, event("x"));
      await s.addAggregates(name, [
        {
          variant: "v",
          metric: "m",
          sums: { n: 1, sum: 1, sumSquares: 1, covariateSum: 0, covariateSumSquares: 0, productSum: 0 },
        },
      ]);
    }
    expect(await s.deleteExperiment("gone")).toBe(true);
    for (const [table, column] of [
      ["online_experiments", "name"],
      ["online_experiment_events", "experiment"],
      ["online_experiment_aggregates", "experiment"],
    ] as const) {
      const rows = (await db.db.selectFrom(table).select(column).execute()) as Record<string, string>[];
      expect(
        rows.map((r) => r[column]),
        table,
      ).toEqual(["kept"]);
    }
  });
});

function event(action: string) {
  return { action, actor: "t", reason: "", details: {}, at: 2 };
}

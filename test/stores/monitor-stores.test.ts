import { spawn } from "node:child_process";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import {
  isMlcycleError,
  MemoryMonitorStore,
  type MonitorStore,
  memoryStore,
  type NewAlert,
  openSqliteDatabase,
  type SqlDatabase,
  SqlMonitorStore,
  sqliteBackend,
  sqliteStore,
  type WindowPartialRecord,
} from "../../src/index.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { monitorStoreSuite } from "../../src/testing/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
const opened: SqlDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
});

let files = 0;
async function sqliteDatabase(): Promise<SqlDatabase> {
  const db = openSqliteDatabase({ path: join(dir, `monitors-${files++}.db`) });
  opened.push(db);
  await migrate(db, allMigrations);
  return db;
}

monitorStoreSuite("memory", async () => new MemoryMonitorStore());
monitorStoreSuite("sqlite", async () => new SqlMonitorStore(await sqliteDatabase()));

const DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

async function withMonitor(s: MonitorStore, name = "shared"): Promise<void> {
  await s.createMonitor({ id: `id-${name}`, name, config: {}, createdAt: 1 });
}

const partial = (window: number, producer: string, seq: number): WindowPartialRecord => ({
  monitor: "m",
  window,
  producer,
  seq,
  rows: seq,
  data: { seq },
  at: seq,
});

const alert = (id: string, extra: Partial<NewAlert> = {}): NewAlert => ({
  id,
  monitor: "m",
  rule: "drift",
  severity: "warning",
  figure: "drift_share",
  value: 1,
  op: ">=",
  threshold: 0.5,
  window: 1,
  message: "",
  details: {},
  openedAt: 1,
  ...extra,
});

function runChild(file: string, mode: "feed" | "alert" | "reference", times: number, writer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "monitor-store-child.ts"), file, mode, String(times), writer],
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

/** A SQLite file with monitor 'shared' and what two child processes printed after `mode`-ing it at once. */
async function raceChildren<T>(name: string, mode: "feed" | "alert" | "reference", times: number) {
  const file = join(dir, `${name}.db`);
  const store = sqliteStore({ path: file });
  await store.init?.();
  await withMonitor(store.monitors as MonitorStore);
  const printed = await Promise.all([runChild(file, mode, times, "writer-a"), runChild(file, mode, times, "writer-b")]);
  return { store, results: printed.map((r) => JSON.parse(r) as T & { writer: string }) };
}

describe("the SQL monitor store on SQLite", () => {
  it("is the metadata store's `monitors` in sqlStore() and memoryStore()", async () => {
    const backend = sqliteBackend({ path: join(dir, "backend.db") });
    try {
      await backend.metadata.init?.();
      expect(backend.metadata.monitors).toBeInstanceOf(SqlMonitorStore);
      await withMonitor(backend.metadata.monitors as MonitorStore, "wired");
      expect((await backend.metadata.monitors?.getMonitor("wired"))?.revision).toBe(1);
    } finally {
      await backend.metadata.close();
    }
    expect(memoryStore().monitors).toBeInstanceOf(MemoryMonitorStore);
  });

  it("keeps one open alert per (monitor, rule) in the database itself: a second open row is a unique violation", async () => {
    const db = await sqliteDatabase();
    const s = new SqlMonitorStore(db);
    await withMonitor(s, "m");
    await s.openAlert(alert("a1"));
    const row = await db.db.selectFrom("monitor_alerts").selectAll().where("id", "=", "a1").executeTakeFirstOrThrow();
    expect(row.open_rule).toBe("drift");
    // Written past the store, a second open alert of the rule is refused by the unique index.
    const second = await db.db
      .insertInto("monitor_alerts")
      .values({ ...row, id: "a2" })
      .execute()
      .catch((e: unknown) => e);
    expect(db.dialect.isUniqueViolation(second)).toBe(true);
    // Resolved alerts hold NULL there: as many as there were.
    await s.resolveAlert("a1", { resolvedAt: 2, resolvedWindow: 2 });
    const resolved = await db.db
      .selectFrom("monitor_alerts")
      .selectAll()
      .where("id", "=", "a1")
      .executeTakeFirstOrThrow();
    expect(resolved.open_rule).toBeNull();
    await db.db
      .insertInto("monitor_alerts")
      .values({ ...resolved, id: "a0" })
      .execute();
    expect((await s.openAlert(alert("a3"))).opened).toBe(true);
    expect((await s.listAlerts({ rule: "drift" })).map((a) => [a.id, a.status])).toEqual([
      ["a3", "open"],
      ["a1", "resolved"],
      ["a0", "resolved"],
    ]);
  });

  it("shows one store's writes to another store on the same file, and lets one of two compare-and-set updates through", async () => {
    const file = join(dir, "two-connections.db");
    const first = sqliteStore({ path: file });
    const second = sqliteStore({ path: file });
    try {
      await first.init?.();
      await second.init?.();
      const a = first.monitors as MonitorStore;
      const b = second.monitors as MonitorStore;
      await withMonitor(a, "m");
      await a.appendPartials([partial(0, "p", 1)]);
      expect(await b.listPartials("m", 0)).toStrictEqual([partial(0, "p", 1)]);
      const raced = await Promise.allSettled([
        a.updateMonitor("m", 1, { config: { by: "a" }, updatedAt: 2 }),
        b.updateMonitor("m", 1, { config: { by: "b" }, updatedAt: 2 }),
      ]);
      expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const lost = raced.find((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(isMlcycleError(lost?.reason, "CONFLICT")).toBe(true);
      expect(lost?.reason.details).toMatchObject({ expected: 1, revision: 2 });
      expect((await b.getMonitor("m"))?.revision).toBe(2);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("ends with exact totals after two processes reserve rows and append partials to one monitor at once", async () => {
    const times = 200;
    const { store, results } = await raceChildren<{ firsts: number[] }>("feed", "feed", times);
    try {
      const monitors = store.monitors as MonitorStore;
      const perWriter = (times * (times + 1)) / 2;
      // Every call reserved i rows: the counter is the sum, and the ranges tile it without overlap.
      expect((await monitors.getMonitor("shared"))?.rowCount).toBe(2 * perWriter);
      const ranges = results
        .flatMap((r) => r.firsts.map((first, i) => [first, i + 1] as const))
        .sort((x, y) => x[0] - y[0]);
      let next = 0;
      for (const [first, rows] of ranges) {
        expect(first).toBe(next);
        next += rows;
      }
      expect(next).toBe(2 * perWriter);
      // Each call's partial stored once (its retry skipped), with the position it was given.
      const windows = await monitors.listPartialWindows("shared");
      expect(windows.reduce((sum, w) => sum + w.partials, 0)).toBe(2 * times);
      expect(windows.reduce((sum, w) => sum + w.rows, 0)).toBe(2 * perWriter);
      for (const r of results) {
        const mine = (await Promise.all(windows.map((w) => monitors.listPartials("shared", w.window))))
          .flat()
          .filter((p) => p.producer === r.writer)
          .sort((x, y) => x.seq - y.seq);
        expect(mine.map((p) => p.seq)).toEqual(Array.from({ length: times }, (_, i) => i + 1));
        expect(mine.map((p) => p.rows)).toEqual(Array.from({ length: times }, (_, i) => i + 1));
        expect(mine.map((p) => p.data.first)).toEqual(r.firsts);
        expect(mine.map((p) => p.window)).toEqual(mine.map((p) => p.seq % 7));
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  it("leaves exactly one alert per rule after two processes open the same alerts at once, and never two open", async () => {
    const times = 100;
    const { store, results } = await raceChildren<{ opened: number[]; flaps: number; lostResolves: number }>(
      "alerts",
      "alert",
      times,
    );
    try {
      const monitors = store.monitors as MonitorStore;
      // rule-i: one alert, opened by whichever writer reported opening it.
      const openedBy = new Map<number, string>();
      for (const r of results)
        for (const i of r.opened) {
          expect(openedBy.has(i), `rule-${i} opened twice`).toBe(false);
          openedBy.set(i, r.writer);
        }
      expect([...openedBy.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: times }, (_, i) => i + 1));
      for (let i = 1; i <= times; i++) {
        const alerts = await monitors.listAlerts({ monitor: "shared", rule: `rule-${i}` });
        expect(alerts.map((a) => [a.id, a.status])).toEqual([[`${openedBy.get(i)}-${i}`, "open"]]);
      }
      // 'flap': each alert opened was resolved exactly once (the other writer's resolve of it was
      // CONFLICT), so none is open and the resolves that went through are as many as the alerts.
      const flaps = await monitors.listAlerts({ monitor: "shared", rule: "flap", limit: 10_000 });
      const openedFlaps = results.reduce((sum, r) => sum + r.flaps, 0);
      const resolves = 2 * times - results.reduce((sum, r) => sum + r.lostResolves, 0);
      expect(flaps).toHaveLength(openedFlaps);
      expect(resolves).toBe(openedFlaps);
      expect(flaps.filter((a) => a.status === "open")).toEqual([]);
      expect(openedFlaps).toBeGreaterThanOrEqual(times);
    } finally {
      await store.close();
    }
  }, 120_000);

  it("numbers references without gaps or duplicates when two processes add them at once", async () => {
    const times = 100;
    const { store, results } = await raceChildren<{ versions: number[] }>("references", "reference", times);
    try {
      const monitors = store.monitors as MonitorStore;
      const all = results.flatMap((r) => r.versions).sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: 2 * times }, (_, i) => i + 1));
      const listed = await monitors.listReferences("shared");
      expect(listed.map((r) => r.version)).toEqual(all);
      for (const r of results) {
        // Each writer's versions rise with its calls, and each holds what that call wrote.
        expect(r.versions).toEqual([...r.versions].sort((x, y) => x - y));
        for (const [i, version] of r.versions.entries())
          expect(listed[version - 1]?.source).toStrictEqual({ writer: r.writer, i: i + 1 });
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  it("appends a batch needing several statements on a small parameter limit, all or none", async () => {
    const db = await sqliteDatabase();
    // A dialect allowing 30 parameters a statement: three partials (8 columns) per insert.
    const dialect = Object.create(db.dialect, { maxBoundParameters: { value: 30 } });
    const s = new SqlMonitorStore({ ...db, dialect });
    await withMonitor(s, "m");
    const batch = Array.from({ length: 20 }, (_, i) => partial(0, "p", i + 1));
    await s.appendPartials(batch);
    await s.appendPartials(batch);
    expect(await s.listPartials("m", 0)).toStrictEqual(batch);
    // A failure in a later statement rolls back the earlier ones of the same batch.
    await sql`create trigger refuse_seq_19 before insert on monitor_partials when new.seq = 19 and new.window_index = 1 begin select raise(abort, 'refused'); end`.execute(
      db.db,
    );
    const later = Array.from({ length: 20 }, (_, i) => partial(1, "p", i + 1));
    await expect(s.appendPartials(later)).rejects.toThrow(/refused/);
    expect(await s.listPartials("m", 1)).toEqual([]);
  });

  it("removes the monitor's rows from all five tables on delete", async () => {
    const db = await sqliteDatabase();
    const s = new SqlMonitorStore(db);
    for (const name of ["gone", "kept"]) {
      await withMonitor(s, name);
      await s.addReference({ monitor: name, source: {}, rows: 1, digest: DIGEST, profile: {}, createdAt: 1 });
      await s.appendPartials([{ ...partial(0, "p", 1), monitor: name }]);
      await s.createWindowResult({
        monitor: name,
        window: 0,
        start: 0,
        end: 1,
        rows: 1,
        figures: {},
        report: {},
        closedAt: 1,
      });
      await s.openAlert(alert(`${name}-a`, { monitor: name }));
    }
    expect(await s.deleteMonitor("gone")).toBe(true);
    for (const [table, column] of [
      ["monitors", "name"],
      ["monitor_references", "monitor"],
      ["monitor_partials", "monitor"],
      ["monitor_window_results", "monitor"],
      ["monitor_alerts", "monitor"],
    ] as const) {
      const rows = (await db.db.selectFrom(table).select(column).execute()) as Record<string, string>[];
      expect(
        rows.map((r) => r[column]),
        table,
      ).toEqual(["kept"]);
    }
  });
});

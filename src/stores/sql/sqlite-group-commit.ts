import type BetterSqlite3 from "better-sqlite3";
import { MlcycleError } from "../../core/errors.js";
import { isBusyError, type SqlDatabase } from "./sql-database.js";

interface Pending {
  work: (raw: BetterSqlite3.Database) => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

interface Group {
  pending: Pending[];
  scheduled: boolean;
  savepoint?: { open: BetterSqlite3.Statement; release: BetterSqlite3.Statement; undo: BetterSqlite3.Statement };
}

const groups = new WeakMap<SqlDatabase, Group>();

/**
 * Group commit for hot write paths on SQLite: `work` runs synchronously, with other writes queued
 * in the same turn of the event loop (from any store of the database), inside one `BEGIN IMMEDIATE`
 * transaction — one commit for all of them, which is what a write costs on SQLite. Each work runs
 * in its own savepoint, so one that throws is rolled back alone and its promise rejects; the others
 * commit. Every promise settles only once the transaction is committed (the write is durable).
 * The transaction holds Kysely's connection lock, so no Kysely query interleaves. Only for
 * databases with a raw SQLite handle (`database.sqlite`).
 *
 * @example
 * ```ts
 * const changed = await sqliteWrite(database, (raw) => stmt.run(a, b).changes);
 * ```
 */
export function sqliteWrite<T>(database: SqlDatabase, work: (raw: BetterSqlite3.Database) => T): Promise<T> {
  let group = groups.get(database);
  if (!group) groups.set(database, (group = { pending: [], scheduled: false }));
  const g = group;
  return new Promise<T>((resolve, reject) => {
    g.pending.push({ work, resolve, reject });
    if (!g.scheduled) {
      g.scheduled = true;
      // A macrotask: writes issued in this turn, including after a few awaited reads, join the group.
      setImmediate(() => void flush(database, g));
    }
  });
}

async function flush(database: SqlDatabase, g: Group): Promise<void> {
  const batch = g.pending;
  g.pending = [];
  g.scheduled = false;
  const raw = database.sqlite!;
  const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
  try {
    await database.db.connection().execute(async () => {
      // Code that drives the raw handle outside Kysely may hold a transaction across an await.
      for (let waited = 0; raw.inTransaction; waited++) {
        if (waited > 10_000)
          throw new MlcycleError("UNAVAILABLE", "another transaction stayed open on the SQLite connection");
        await new Promise((r) => setTimeout(r, 1));
      }
      for (let attempt = 0; ; attempt++) {
        try {
          raw.exec("begin immediate");
          break;
        } catch (error) {
          if (!isBusyError(error) || attempt >= 50) {
            if (isBusyError(error))
              throw new MlcycleError("UNAVAILABLE", "the SQLite database stayed locked by another writer", {
                cause: error,
              });
            throw error;
          }
          await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random())));
        }
      }
      try {
        g.savepoint ??= {
          open: raw.prepare("savepoint mlcycle_write"),
          release: raw.prepare("release mlcycle_write"),
          undo: raw.prepare("rollback to mlcycle_write"),
        };
        const sp = g.savepoint;
        for (const p of batch) {
          sp.open.run();
          try {
            results.push({ ok: true, value: p.work(raw) });
            sp.release.run();
          } catch (error) {
            sp.undo.run();
            sp.release.run();
            results.push({ ok: false, error });
          }
        }
        raw.exec("commit");
      } catch (error) {
        if (raw.inTransaction) raw.exec("rollback");
        throw error;
      }
    });
  } catch (error) {
    for (const p of batch) p.reject(error);
    return;
  }
  for (let i = 0; i < batch.length; i++) {
    const r = results[i]!;
    if (r.ok) batch[i]!.resolve(r.value);
    else batch[i]!.reject(r.error);
  }
}

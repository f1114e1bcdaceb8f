import type { Kysely } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import { runWithRetries, type SqlDialect } from "../../stores/sql/sql-dialect.js";
import type { SqliteHandle, SqliteStatementHandle } from "./sqlite-handle.js";

interface Pending {
  work: (raw: SqliteHandle) => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

/** Microtask hops a group stays open for writes to join. */
const GROUP_HOPS = 24;

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A work of a group failed on the fast path: the group was rolled back, to run again with savepoints. */
const RETRY_WITH_SAVEPOINTS = Symbol("retry with savepoints");

/**
 * Group commit on one SQLite connection: `work` runs synchronously, with the other writes queued
 * within a few dozen microtasks (from any store of the database), inside one `BEGIN IMMEDIATE`
 * transaction — one commit for all of them, which is what a write costs on SQLite. A work that
 * throws is rolled back alone and its promise rejects; the others commit: the group first runs
 * without savepoints, and when a work throws it is rolled back and run again with a savepoint per
 * work — so a work may run twice and must only act on the database. Every promise settles only once
 * the transaction is committed (the write is durable). Begin, works and commit run in one
 * synchronous stretch, so no Kysely query interleaves (a Kysely transaction open across an await is
 * waited for on its connection lock). A busy database is retried by the dialect's one retry loop.
 */
export class SqliteGroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Prepared once: BEGIN IMMEDIATE, COMMIT, ROLLBACK and the savepoint statements. */
  private statements?: Record<"begin" | "commit" | "rollback" | "open" | "release" | "undo", SqliteStatementHandle>;

  constructor(
    private readonly db: Kysely<any>,
    private readonly dialect: SqlDialect,
    private readonly raw: SqliteHandle,
  ) {}

  /** Queues `work` into the current group; resolves with its result once the group is committed. */
  write<T>(work: (raw: SqliteHandle) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Deferred by a few dozen microtask hops, not a macrotask (an event-loop turn costs more than
        // the commit saves): writes issued meanwhile — a caller's concurrent writes, each a few awaits
        // deep — join the group; a later one only starts the next group.
        let later: Promise<void> = Promise.resolve();
        for (let i = 0; i < GROUP_HOPS; i++) later = later.then();
        void later.then(() => this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    let results: Result[];
    try {
      // Kysely runs a single query synchronously, so only one of its transactions (open across an
      // await) can be in the way: then queue behind it on its connection lock; else commit now.
      if (!this.raw.inTransaction) results = await this.commitBatch(batch);
      else results = await this.db.connection().execute(() => this.commitBatch(batch));
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

  /** BEGIN IMMEDIATE (retried while another process writes), the works, COMMIT. */
  private async commitBatch(batch: Pending[]): Promise<Result[]> {
    let savepoints = false;
    for (;;) {
      const results = await runWithRetries(this.dialect, async () => {
        // After a busy wait, a Kysely transaction may have begun meanwhile: let it finish.
        for (let waited = 0; this.raw.inTransaction; waited++) {
          if (waited > 10_000)
            throw new MlcycleError("UNAVAILABLE", "another transaction stayed open on the SQLite connection");
          await new Promise((r) => setTimeout(r, 1));
        }
        // Begun and committed in one synchronous stretch: nothing else runs on the connection between.
        this.statementsOf().begin.run();
        return this.runAndCommit(batch, savepoints);
      });
      if (results !== RETRY_WITH_SAVEPOINTS) return results;
      savepoints = true;
    }
  }

  private statementsOf(): NonNullable<SqliteGroupCommit["statements"]> {
    const raw = this.raw;
    this.statements ??= {
      begin: raw.prepare("begin immediate"),
      commit: raw.prepare("commit"),
      rollback: raw.prepare("rollback"),
      open: raw.prepare("savepoint mlcycle_write"),
      release: raw.prepare("release mlcycle_write"),
      undo: raw.prepare("rollback to mlcycle_write"),
    };
    return this.statements;
  }

  private runAndCommit(batch: Pending[], savepoints: boolean): Result[] | typeof RETRY_WITH_SAVEPOINTS {
    const raw = this.raw;
    const st = this.statementsOf();
    const results: Result[] = [];
    try {
      if (batch.length > 1 && !savepoints) {
        // Works rarely fail: run them without savepoints (two statements less per work); when one
        // throws, roll the group back and run it again with a savepoint per work. Works only write
        // to the database, so running one again after a rollback is safe.
        for (const p of batch) {
          try {
            results.push({ ok: true, value: p.work(raw) });
          } catch {
            if (raw.inTransaction) st.rollback.run();
            return RETRY_WITH_SAVEPOINTS;
          }
        }
      } else if (batch.length === 1) {
        // Alone in the transaction: a failure rolls the whole of it back, no savepoint needed.
        try {
          results.push({ ok: true, value: batch[0]!.work(raw) });
        } catch (error) {
          if (raw.inTransaction) st.rollback.run();
          return [{ ok: false, error }];
        }
      } else {
        for (const p of batch) {
          st.open.run();
          try {
            results.push({ ok: true, value: p.work(raw) });
            st.release.run();
          } catch (error) {
            st.undo.run();
            st.release.run();
            results.push({ ok: false, error });
          }
        }
      }
      st.commit.run();
      return results;
    } catch (error) {
      if (raw.inTransaction) st.rollback.run();
      throw error;
    }
  }
}

/**
 * Runs `work` in the group commit of a SQLite database (see {@link SqliteGroupCommit}).
 *
 * @example
 * ```ts
 * const changed = await sqliteWrite(database, (raw) => stmt.run(a, b).changes);
 * ```
 */
export function sqliteWrite<T>(
  database: { readonly accelerator: { readonly groupCommit: SqliteGroupCommit } },
  work: (raw: SqliteHandle) => T,
): Promise<T> {
  return database.accelerator.groupCommit.write(work);
}

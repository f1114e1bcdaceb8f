import type { PointInTimeBatch } from "../offline-store.js";

/** A statement prepared by an {@link SqlAccelerator}, run synchronously with positional parameters. */
export interface SqlPreparedStatement {
  /** Runs a write; `changes` is the number of rows it inserted, updated or deleted. */
  run(params: readonly unknown[]): { changes: number };
  /** The first row (an object by column name, or an array in `"array"` shape), or undefined. */
  get(params: readonly unknown[]): unknown;
  /** Every row. */
  all(params: readonly unknown[]): unknown[];
}

/**
 * The offline store's fast point-in-time lookup: for each probe (entity key, time), the values JSON
 * of the view's latest row with event time ≤ the probe's time and within `ttlMs` (0: no limit),
 * ties broken by the latest created time then the latest write. Batches may come in any order of
 * probes (`indices` says which); `viewId` undefined means the view has no rows. Given `features`,
 * batches may carry `columns` instead of `values` (see {@link PointInTimeBatch}).
 */
export interface SqlPointInTimeAccelerator {
  pointInTime(
    viewId: number | undefined,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    options: { workerMinRows: number; signal?: AbortSignal; features?: readonly string[] },
  ): AsyncIterable<PointInTimeBatch>;
}

/**
 * What a driver with synchronous calls on the connection Kysely uses (better-sqlite3) offers the SQL
 * stores beyond Kysely: prepared statements run without a promise per statement, a group commit that
 * shares one transaction among the writes of a moment, and store-specific fast paths. It is optional
 * everywhere: a store given a database without one does the same through Kysely. The statements the
 * stores prepare are SQL that Kysely compiled for this database's dialect, so the accelerator never
 * holds a store's SQL or rules (newest-wins, claims) of its own.
 *
 * Implemented by `mlcycle`'s SQLite adapter (`src/adapters/sqlite/`).
 */
export interface SqlAccelerator {
  /**
   * True while a transaction opened through Kysely holds the connection: a statement run now would
   * join it, so a store goes through Kysely instead (which waits for it), except on purpose inside a
   * `writeTransaction` of its own.
   */
  readonly inTransaction: boolean;
  /**
   * The statement of `sql` (compiled by Kysely for this database), prepared once per text and shape:
   * rows come back as objects by column name (default) or as arrays of values (`"array"`). It runs on
   * the connection Kysely uses, so inside a Kysely transaction it is part of that transaction.
   */
  prepare(sql: string, shape?: "object" | "array"): SqlPreparedStatement;
  /**
   * Group commit: runs `work` (synchronous, statements of {@link prepare} only) in a write
   * transaction shared with the other works queued within a few microtasks, each work all-or-nothing
   * (a work that throws is rolled back alone and its promise rejects). The promise settles once the
   * transaction is committed. A work may run twice (after another work failed), so it must only act
   * on the database.
   */
  write<T>(work: () => T): Promise<T>;
  /** The offline store's point-in-time lookup, when the backend has a faster one than scans. */
  readonly offline?: SqlPointInTimeAccelerator;
}

const SLOT = "\u0000mlcycle-slot:";

/**
 * A placeholder for a value in a query built once and prepared: {@link compileWithSlots} replaces it
 * by a positional parameter bound on each run.
 */
export function slot<T = never>(name: string): T {
  return `${SLOT}${name}` as unknown as T;
}

/** A query compiled once with {@link slot}s, and how to bind values to its parameters. */
export interface SlottedQuery {
  readonly sql: string;
  /** The parameter list for these values (constants of the query stay where they were). */
  bind(values: Readonly<Record<string, unknown>>): unknown[];
  /** The positions of a slot's parameters (to rebind one value in a loop without a new list). */
  positions(name: string): number[];
}

/**
 * Compiles a Kysely query whose values are {@link slot}s, for an {@link SqlAccelerator} to prepare
 * once and run many times: the SQL text is the dialect's, the parameters are bound by slot name.
 *
 * @example
 * ```ts
 * const q = compileWithSlots(db.selectFrom("t").selectAll().where("id", "=", slot("id")));
 * accelerator.prepare(q.sql).get(q.bind({ id }));
 * ```
 */
export function compileWithSlots(query: { compile(): { sql: string; parameters: readonly unknown[] } }): SlottedQuery {
  const compiled = query.compile();
  const names = compiled.parameters.map((p) =>
    typeof p === "string" && p.startsWith(SLOT) ? p.slice(SLOT.length) : undefined,
  );
  const constants = compiled.parameters;
  return {
    sql: compiled.sql,
    bind(values) {
      const out = new Array<unknown>(names.length);
      for (let i = 0; i < names.length; i++) {
        const n = names[i];
        out[i] = n === undefined ? constants[i] : values[n];
      }
      return out;
    },
    positions(name) {
      const at: number[] = [];
      names.forEach((n, i) => {
        if (n === name) at.push(i);
      });
      return at;
    },
  };
}

/** A statement prepared on an accelerator beside the slotted query that binds its values. */
export interface SlottedStatement {
  stmt: SqlPreparedStatement;
  query: SlottedQuery;
}

/**
 * Compiles a Kysely query built with {@link slot}s and prepares it on `fast`.
 *
 * @example
 * ```ts
 * const find = prepareSlotted(accelerator, db.selectFrom("t").selectAll().where("id", "=", slot("id")));
 * find.stmt.get(find.query.bind({ id }));
 * ```
 */
export function prepareSlotted(fast: SqlAccelerator, query: Parameters<typeof compileWithSlots>[0]): SlottedStatement {
  const q = compileWithSlots(query);
  return { stmt: fast.prepare(q.sql), query: q };
}

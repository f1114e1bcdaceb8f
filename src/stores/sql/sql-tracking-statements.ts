import { type Kysely, sql } from "kysely";
import { compileWithSlots, type SqlAccelerator, type SqlPreparedStatement, slot } from "./sql-accelerator.js";
import type { SqlDatabase } from "./sql-database.js";
import { METRIC_COLUMNS, RUN_INSERT_COLUMNS } from "./sql-tracking-tables.js";

/** A prepared statement whose parameters are given in a fixed order (the order of its slots). */
export interface Positional {
  stmt: SqlPreparedStatement;
  /** Maps values in slot order to the statement's parameter list (identity when null). */
  bind: ((values: unknown[]) => unknown[]) | null;
}

/** The tracking store's prepared statements, for the accelerated paths. */
export interface FastStatements {
  insertMetric: Positional;
  upsertLatest: Positional;
  runExists: Positional;
  experimentExists: Positional;
  experimentByName: Positional;
  insertRun: Positional;
  insertParam: Positional;
  insertTag: Positional;
  /** Run updates by the patched columns. */
  updates: Map<string, Positional>;
}

/** Compiles a query built with slots named `names` into a statement taking values in that order. */
export function positional(
  fast: SqlAccelerator,
  query: Parameters<typeof compileWithSlots>[0],
  names: readonly string[],
): Positional {
  const q = compileWithSlots(query);
  const order = names.map((n) => q.positions(n));
  const identity = q.bind({}).length === names.length && order.every((at, i) => at.length === 1 && at[0] === i);
  const stmt = fast.prepare(q.sql);
  if (identity) return { stmt, bind: null };
  // The dialect placed parameters in another order (or added constants): bind by name.
  return { stmt, bind: (values) => q.bind(Object.fromEntries(names.map((n, i) => [n, values[i]]))) };
}

/** Runs a {@link Positional} statement with values in slot order. */
export function runPositional(p: Positional, values: unknown[]): { changes: number } {
  return p.stmt.run(p.bind ? p.bind(values) : values);
}

/** The first row of a {@link Positional} query with values in slot order. */
export function getPositional(p: Positional, values: unknown[]): unknown {
  return p.stmt.get(p.bind ? p.bind(values) : values);
}

/**
 * The columns a metric write binds, in order: the stored columns and `negative_zero` (1 for a `-0`
 * value, NULL otherwise; see {@link negativeZeroFlag}).
 */
export const METRIC_WRITE_COLUMNS = [...METRIC_COLUMNS, "negative_zero"] as const;

/** The `negative_zero` column of a metric value: 1 for `-0` (which SQLite would read back as `0`), else NULL. */
export const negativeZeroFlag = (v: number): 1 | null => (Object.is(v, -0) ? 1 : null);

/** The newest-wins upsert of a metric's latest value (the rule is the dialect's `upsertIfNewer`). */
export function latestMetricUpsert(
  database: SqlDatabase,
  db: Kysely<any>,
  row: Record<(typeof METRIC_WRITE_COLUMNS)[number], unknown>,
) {
  return db
    .insertInto("tracking_latest_metrics")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["run_id", "key"])
        .doUpdateSet({
          step: (eb: any) => eb.ref("excluded.step"),
          timestamp: (eb: any) => eb.ref("excluded.timestamp"),
          value: (eb: any) => eb.ref("excluded.value"),
          negative_zero: (eb: any) => eb.ref("excluded.negative_zero"),
        })
        .where(database.dialect.upsertIfNewer("tracking_latest_metrics", ["step", "timestamp"])),
    );
}

/**
 * The tracking store's prepared statements, built on first use through the accelerator and shared
 * by the experiment, run and metric writes of one store.
 */
export class SqlTrackingStatements {
  private statements?: FastStatements;

  constructor(readonly database: SqlDatabase) {}

  /** The statements, prepared through `fast` the first time. */
  prepare(fast: SqlAccelerator): FastStatements {
    if (this.statements) return this.statements;
    const db = this.database.db;
    const slots = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, slot(n)]));
    const exists = (table: string) =>
      positional(fast, db.selectFrom(table).select(sql.lit(1).as("found")).where("id", "=", slot("id")), ["id"]);
    const keyValue = (table: string) =>
      positional(fast, db.insertInto(table).values(slots(["run_id", "key", "value"])), ["run_id", "key", "value"]);
    this.statements = {
      insertMetric: positional(
        fast,
        db.insertInto("tracking_metrics").values(slots(METRIC_WRITE_COLUMNS)),
        METRIC_WRITE_COLUMNS,
      ),
      upsertLatest: positional(
        fast,
        latestMetricUpsert(this.database, db, slots(METRIC_WRITE_COLUMNS) as never),
        METRIC_WRITE_COLUMNS,
      ),
      runExists: exists("tracking_runs"),
      experimentExists: exists("tracking_experiments"),
      experimentByName: positional(
        fast,
        db.selectFrom("tracking_experiments").selectAll().where("name", "=", slot("name")),
        ["name"],
      ),
      insertRun: positional(fast, db.insertInto("tracking_runs").values(slots(RUN_INSERT_COLUMNS)), RUN_INSERT_COLUMNS),
      insertParam: keyValue("tracking_params"),
      insertTag: keyValue("tracking_tags"),
      updates: new Map(),
    };
    return this.statements;
  }
}

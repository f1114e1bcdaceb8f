import type { Kysely } from "kysely";
import { notFound } from "../../core/errors.js";
import { supersedes } from "../newest-wins.js";
import type { MetricPoint } from "../tracking-store.js";
import type { SqlAccelerator } from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import {
  getPositional,
  latestMetricUpsert,
  runPositional,
  type SqlTrackingStatements,
} from "./sql-tracking-statements.js";
import { chunks, fromDb, requireRun, toDb } from "./sql-tracking-tables.js";

/**
 * The metrics of the Kysely tracking store: the history (`tracking_metrics`) and the newest point
 * per run and key (`tracking_latest_metrics`). `SqlTrackingStore` delegates to it.
 */
export class SqlMetricStore {
  private readonly db: Kysely<any>;

  constructor(
    readonly database: SqlDatabase,
    private readonly statements: SqlTrackingStatements,
  ) {
    this.db = database.db;
  }

  /** The newest point per (run, key) of a batch: one latest-table upsert each. */
  private static newestPerKey(points: readonly MetricPoint[]): MetricPoint[] {
    const byRun = new Map<string, Map<string, MetricPoint>>();
    let runId = "";
    let newest: Map<string, MetricPoint> | undefined;
    for (const p of points) {
      // Batches come grouped by run: look the run's map up only when the run changes.
      if (p.runId !== runId || !newest) {
        runId = p.runId;
        newest = byRun.get(runId);
        if (!newest) byRun.set(runId, (newest = new Map()));
      }
      const cur = newest.get(p.key);
      if (!cur || supersedes(p.step, p.timestamp, cur.step, cur.timestamp)) newest.set(p.key, p);
    }
    const out: MetricPoint[] = [];
    for (const m of byRun.values()) for (const p of m.values()) out.push(p);
    return out;
  }

  /** See `TrackingStore.logMetrics`. */
  async logMetrics(points: readonly MetricPoint[]) {
    if (points.length === 0) return;
    const latest = SqlMetricStore.newestPerKey(points);
    const runIds = [...new Set(latest.map((p) => p.runId))];
    if (this.database.accelerator) return this.logMetricsPrepared(this.database.accelerator, points, runIds, latest);
    await writeTransaction(this.database, async (trx) => {
      for (const id of runIds) await requireRun(trx, id);
      const rows = points.map((p) => ({
        run_id: p.runId,
        key: p.key,
        step: p.step,
        timestamp: p.timestamp,
        value: toDb(p.value),
      }));
      for (const c of chunks(rows, 1000)) await trx.insertInto("tracking_metrics").values(c).execute();
      for (const p of latest)
        await latestMetricUpsert(this.database, trx, {
          run_id: p.runId,
          key: p.key,
          step: p.step,
          timestamp: p.timestamp,
          value: toDb(p.value),
        }).execute();
    });
  }

  /**
   * The accelerated path: prepared statements, committed through the accelerator's group commit
   * (one transaction shared with the writes queued beside it, retried while another process holds
   * the write lock).
   */
  private async logMetricsPrepared(
    fast: SqlAccelerator,
    points: readonly MetricPoint[],
    runIds: string[],
    latest: MetricPoint[],
  ): Promise<void> {
    const st = this.statements.prepare(fast);
    await fast.write(() => {
      for (const id of runIds) if (!getPositional(st.runExists, [id])) throw notFound("run", id);
      const ins = st.insertMetric;
      for (const p of points) runPositional(ins, [p.runId, p.key, p.step, p.timestamp, toDb(p.value)]);
      for (const p of latest) runPositional(st.upsertLatest, [p.runId, p.key, p.step, p.timestamp, toDb(p.value)]);
    });
  }

  /** See `TrackingStore.metricHistory`. */
  async metricHistory(runId: string, key: string, range: { startStep?: number; endStep?: number } = {}) {
    let q = this.db
      .selectFrom("tracking_metrics")
      .select(["value", "step", "timestamp"])
      .where("run_id", "=", runId)
      .where("key", "=", key);
    if (range.startStep !== undefined) q = q.where("step", ">=", range.startStep);
    if (range.endStep !== undefined) q = q.where("step", "<=", range.endStep);
    const rows = (await q.orderBy("step", "asc").orderBy("timestamp", "asc").execute()) as Array<{
      value: number | null;
      step: number | string;
      timestamp: number | string;
    }>;
    if (rows.length === 0) await requireRun(this.db, runId);
    return rows.map((r) => ({ value: fromDb(r.value), step: Number(r.step), timestamp: Number(r.timestamp) }));
  }
}

import { type Kysely, sql } from "kysely";
import { checkMetricHistoryPage } from "../metric-history-page.js";
import { invalid, notFound } from "../../core/errors.js";
import { downsampleBuckets } from "../metric-downsample.js";
import { supersedes } from "../newest-wins.js";
import type { MetricPoint } from "../tracking-store.js";
import type { SqlAccelerator } from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import {
  getPositional,
  latestMetricUpsert,
  negativeZeroFlag,
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
        negative_zero: negativeZeroFlag(p.value),
      }));
      for (const c of chunks(rows, 1000)) await trx.insertInto("tracking_metrics").values(c).execute();
      for (const p of latest)
        await latestMetricUpsert(this.database, trx, {
          run_id: p.runId,
          key: p.key,
          step: p.step,
          timestamp: p.timestamp,
          value: toDb(p.value),
          negative_zero: negativeZeroFlag(p.value),
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
      for (const p of points)
        runPositional(ins, [p.runId, p.key, p.step, p.timestamp, toDb(p.value), negativeZeroFlag(p.value)]);
      for (const p of latest)
        runPositional(st.upsertLatest, [p.runId, p.key, p.step, p.timestamp, toDb(p.value), negativeZeroFlag(p.value)]);
    });
  }

  /** The points of one series within a step range (a query to select from). */
  private series(runId: string, key: string, range: { startStep?: number; endStep?: number }) {
    let q = this.db.selectFrom("tracking_metrics").where("run_id", "=", runId).where("key", "=", key);
    if (range.startStep !== undefined) q = q.where("step", ">=", range.startStep);
    if (range.endStep !== undefined) q = q.where("step", "<=", range.endStep);
    return q;
  }

  /** See `TrackingStore.metricHistory`. */
  async metricHistory(runId: string, key: string, range: { startStep?: number; endStep?: number } = {}) {
    const rows = (await this.series(runId, key, range)
      .select(["value", "negative_zero", "step", "timestamp"])
      .orderBy("step", "asc")
      .orderBy("timestamp", "asc")
      .execute()) as MetricRow[];
    if (rows.length === 0) await requireRun(this.db, runId);
    return rows.map(toPoint);
  }

  /** See `TrackingStore.metricHistoryPage`: LIMIT/OFFSET on the ordered series. */
  async metricHistoryPage(runId: string, key: string, page: { offset: number; limit: number }) {
    checkMetricHistoryPage(page);
    const rows = (await this.series(runId, key, {})
      .select(["value", "negative_zero", "step", "timestamp"])
      .orderBy("step", "asc")
      .orderBy("timestamp", "asc")
      .limit(page.limit)
      .offset(page.offset)
      .execute()) as MetricRow[];
    if (rows.length === 0) await requireRun(this.db, runId);
    return rows.map(toPoint);
  }

  /**
   * See `TrackingStore.metricHistoryDownsampled`: the min/max bucketing done in SQL, so only the
   * kept points (at most `maxPoints`) leave the database. Each point's index in step order comes
   * from `ROW_NUMBER()`; its bucket from integer arithmetic on that index (the same formula as
   * `downsampleBucketOf`); per bucket, `ROW_NUMBER()` ranks the values up and down — NULL (NaN)
   * after every number, ties by index — and rank 1 of each is kept, so a bucket of NaN alone keeps
   * its first NaN, as in JavaScript.
   */
  async metricHistoryDownsampled(
    runId: string,
    key: string,
    maxPoints: number,
    range: { startStep?: number; endStep?: number } = {},
  ) {
    if (!Number.isInteger(maxPoints) || maxPoints < 2) throw invalid(["maxPoints"], "must be an integer ≥ 2");
    const counted = (await this.series(runId, key, range)
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst()) as { n: number | string | bigint } | undefined;
    const total = Number(counted?.n ?? 0);
    if (total <= maxPoints) return this.metricHistory(runId, key, range);
    const buckets = downsampleBuckets(maxPoints);
    const inner = total - 2;
    const numbered = this.series(runId, key, range).select([
      "value",
      "negative_zero",
      "step",
      "timestamp",
      sql<number>`row_number() over (order by step asc, timestamp asc) - 1`.as("idx"),
    ]);
    const nullsLast = sql`case when value is null then 1 else 0 end`;
    const rows = (await this.db
      .with("numbered", () => numbered)
      .with("ranked", (db) =>
        db
          .selectFrom("numbered")
          .where("idx", ">=", 1)
          .where("idx", "<=", total - 2)
          .select("idx")
          .select(() => [
            sql<number>`row_number() over (partition by (idx * ${sql.lit(buckets)} - 1) / ${sql.lit(inner)} order by ${nullsLast}, value asc, idx asc)`.as(
              "lo",
            ),
            sql<number>`row_number() over (partition by (idx * ${sql.lit(buckets)} - 1) / ${sql.lit(inner)} order by ${nullsLast}, value desc, idx asc)`.as(
              "hi",
            ),
          ]),
      )
      .selectFrom("numbered")
      .select(["value", "negative_zero", "step", "timestamp"])
      .where((eb) =>
        eb.or([
          eb("idx", "=", 0),
          eb("idx", "=", total - 1),
          // maxPoints 2 or 3: no bucket, first and last only.
          ...(buckets > 0
            ? [
                eb(
                  "idx",
                  "in",
                  eb
                    .selectFrom("ranked")
                    .select("ranked.idx")
                    .where((w) => w.or([w("lo", "=", 1), w("hi", "=", 1)])),
                ),
              ]
            : []),
        ]),
      )
      .orderBy("idx", "asc")
      .execute()) as MetricRow[];
    return rows.map(toPoint);
  }
}

/** A stored metric point as read back (bigint columns may come as strings). */
interface MetricRow {
  value: number | null;
  negative_zero: number | string | null;
  step: number | string;
  timestamp: number | string;
}

function toPoint(r: MetricRow) {
  return {
    value: r.negative_zero != null && Number(r.negative_zero) === 1 ? -0 : fromDb(r.value),
    step: Number(r.step),
    timestamp: Number(r.timestamp),
  };
}

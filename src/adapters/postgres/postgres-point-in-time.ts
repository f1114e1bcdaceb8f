import { type Kysely, sql } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import type { PointInTimeBatch } from "../../stores/offline-store.js";
import type { SqlPointInTimeAccelerator } from "../../stores/sql/sql-accelerator.js";
import { probeGroups } from "../../stores/sql/sql-probe-order.js";

/** Entity rows per query (two bound arrays of this length). */
const DEFAULT_BATCH = 20_000;

/**
 * Point-in-time lookups in PostgreSQL: the entity rows go to the server in batches as two bound
 * arrays (keys, times), unnested `WITH ORDINALITY`, and a `LATERAL` subquery finds each row's
 * match — the view's latest row with event time ≤ the row's time (and within the TTL), ties broken
 * by created time then write order — with one backward descent of the primary key (view, entity key,
 * event time, created time, seq). Only the matches' values cross into Node; feature rows never do.
 * The next batch's query runs while this one's answers are used.
 *
 * The SQL of one batch, in the store's schema:
 *
 * ```text
 * select p.n, m.values_json
 * from unnest($1::text[], $2::int8[]) with ordinality as p(k, t, n)
 * cross join lateral (
 *   select g.values_json from feature_offline_rows g
 *   where g.view_id = $3 and g.entity_key = p.k and g.event_time <= p.t
 *     and g.event_time >= p.t - $4          -- with a TTL only
 *   order by g.event_time desc, g.created_time desc, g.seq desc
 *   limit 1
 * ) m
 * ```
 */
export class PostgresPointInTime implements SqlPointInTimeAccelerator {
  constructor(
    private readonly db: Kysely<any>,
    private readonly batchSize = DEFAULT_BATCH,
  ) {}

  async *pointInTime(
    viewId: number | undefined,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    options: { signal?: AbortSignal },
  ): AsyncIterable<PointInTimeBatch> {
    if (keys.length === 0) return;
    const { order, keys: distinct, keyAt, timeAt } = probeGroups(keys, times);
    if (viewId === undefined) {
      yield { indices: order, values: new Array(keys.length) };
      return;
    }
    const batches: Array<[start: number, end: number]> = [];
    for (let start = 0; start < order.length; start += this.batchSize)
      batches.push([start, Math.min(order.length, start + this.batchSize)]);
    const run = ([start, end]: [number, number]) => {
      const k = new Array<string>(end - start);
      const t = new Array<number>(end - start);
      for (let j = start; j < end; j++) {
        k[j - start] = distinct[keyAt[j]];
        t[j - start] = timeAt[j];
      }
      return this.query(viewId, k, t, ttlMs);
    };
    let next = run(batches[0]);
    // A query started ahead and never awaited (the caller stopped early) must not reject unheard.
    next.catch(() => undefined);
    for (let b = 0; b < batches.length; b++) {
      if (options.signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
      const rows = await next;
      if (b + 1 < batches.length) {
        next = run(batches[b + 1]);
        next.catch(() => undefined);
      }
      const [start, end] = batches[b];
      const values = new Array<Record<string, unknown> | undefined>(end - start);
      for (const r of rows) values[Number(r.n) - 1] = JSON.parse(r.values_json) as Record<string, unknown>;
      yield { indices: order.subarray(start, end), values };
    }
  }

  private async query(
    viewId: number,
    keys: string[],
    times: number[],
    ttlMs: number,
  ): Promise<Array<{ n: number | string; values_json: string }>> {
    const within = ttlMs > 0 ? sql`and g.event_time >= p.t - ${ttlMs}::int8` : sql``;
    const { rows } = await sql<{ n: number | string; values_json: string }>`select p.n, m.values_json
      from unnest(${keys}::text[], ${times}::int8[]) with ordinality as p(k, t, n)
      cross join lateral (
        select g.values_json from ${sql.table("feature_offline_rows")} g
        where g.view_id = ${viewId} and g.entity_key = p.k and g.event_time <= p.t ${within}
        order by g.event_time desc, g.created_time desc, g.seq desc
        limit 1
      ) m`.execute(this.db);
    return rows;
  }
}

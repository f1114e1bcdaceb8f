import { type Generated, type Kysely, sql } from "kysely";
import { invalid } from "../../core/errors.js";
import {
  checkOfflineRow,
  type OfflinePage,
  type OfflineRow,
  type OfflineScanOptions,
  type OfflineStore,
  type PointInTimeBatch,
} from "../offline-store.js";
import type { SqlAccelerator, SqlPointInTimeAccelerator } from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";

interface RowTable {
  view_id: number;
  entity_key: string;
  event_time: number | string;
  created_time: number | string;
  seq: number | string;
  values_json: string;
}
interface ViewTable {
  id: Generated<number>;
  name: string;
  next_seq: number | string;
}
interface Tables {
  feature_offline_rows: RowTable;
  feature_offline_views: ViewTable;
}

type Cursor = [key: string, eventTime: number, createdTime: number, seq: number];

/**
 * A scanned row whose values are parsed only when read: a point-in-time join reads millions of rows
 * and uses the values of few.
 */
class LazyRow implements OfflineRow {
  #json: string;
  #parsed: Record<string, unknown> | undefined;
  constructor(
    readonly entityKey: string,
    readonly eventTime: number,
    readonly createdTime: number,
    json: string,
  ) {
    this.#json = json;
  }
  get values(): Record<string, unknown> {
    if (this.#parsed === undefined) {
      this.#parsed = JSON.parse(this.#json) as Record<string, unknown>;
      this.#json = "";
    }
    return this.#parsed;
  }
}

const INSERT_BATCH = 200;
/** Beyond this many keys a scan reads the whole view instead of key by key. */
const KEY_LOOKUP_LIMIT = 2_000;

/** Options of {@link sqlOfflineStore}. */
export interface SqlOfflineStoreOptions {
  /**
   * Use the database's {@link SqlAccelerator} when it has one: prepared statements for scans and
   * inserts, and its point-in-time lookup (default true; false: Kysely only).
   */
  raw?: boolean;
  /**
   * With an accelerator that can (SQLite on a file), point-in-time lookups of at least this many
   * entity rows run their SQL on a worker thread with its own connection, while this thread turns
   * the previous batch's answers into training-set rows (default 100,000; `Infinity` never).
   * Smaller lookups stay on this thread: starting a worker costs tens of milliseconds.
   */
  workerMinRows?: number;
  /**
   * The point-in-time lookup to use, for a database that answers it in SQL without an accelerator
   * (PostgreSQL: `mlcycle/postgres` passes its LATERAL join). Default: the accelerator's, if any;
   * without one the feature store merges a scan.
   */
  pointInTime?: SqlPointInTimeAccelerator;
}

/**
 * The Kysely {@link OfflineStore} (SQLite; PostgreSQL through `mlcycle/postgres`): one table of rows whose primary key is
 * the scan order (view id, entity key, event time, created time, write sequence) — clustered where
 * the dialect can (`clusterByPrimaryKey`), so rows are stored in that order — read with keyset
 * pagination so a scan holds one page at a time. With the database's accelerator, scans and inserts
 * run the same Kysely-compiled SQL as prepared statements (inserts inside the same transactions), and
 * point-in-time lookups use the accelerator's.
 */
export class SqlOfflineStore implements OfflineStore {
  private readonly db: Kysely<Tables>;
  private readonly fast?: SqlAccelerator;
  /** View ids never change once assigned (a deleted view keeps its id), so they are cached. */
  private readonly viewIds = new Map<string, number>();
  private readonly workerMinRows: number;

  constructor(
    readonly database: SqlDatabase,
    options: SqlOfflineStoreOptions = {},
  ) {
    this.db = database.db as Kysely<Tables>;
    this.workerMinRows = options.workerMinRows ?? 100_000;
    if (options.raw !== false && database.accelerator) this.fast = database.accelerator;
    const pit = options.pointInTime ?? this.fast?.offline;
    if (pit)
      this.pointInTime = (view, keys, times, ttlMs, signal, features) =>
        this.pointInTimeAccelerated(pit, view, keys, times, ttlMs, signal, features);
  }

  async writeRows(view: string, rows: readonly OfflineRow[]): Promise<void> {
    const records = rows.map((r, i) => ({
      values_json: checkOfflineRow(r, i),
      entity_key: r.entityKey,
      event_time: r.eventTime,
      created_time: r.createdTime,
    }));
    if (records.length === 0) return;
    const viewId = await writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      // The view's write sequence is reserved in the same transaction: concurrent writers of one view
      // queue on its row (PostgreSQL) or on the write lock (SQLite), so sequence numbers never repeat.
      await t
        .insertInto("feature_offline_views")
        .values({ name: view, next_seq: 1 })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      const reserve = t
        .updateTable("feature_offline_views")
        .set((eb) => ({ next_seq: eb("next_seq", "+", records.length) }))
        .where("name", "=", view);
      const reserved = this.database.dialect.supportsReturning
        ? await reserve.returning(["id", "next_seq"]).executeTakeFirstOrThrow()
        : await reserve
            .execute()
            .then(() =>
              t
                .selectFrom("feature_offline_views")
                .select(["id", "next_seq"])
                .where("name", "=", view)
                .executeTakeFirstOrThrow(),
            );
      const viewId = Number(reserved.id);
      let seq = Number(reserved.next_seq) - records.length;
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const batch = records.slice(i, i + INSERT_BATCH);
        const insert = t
          .insertInto("feature_offline_rows")
          .values(batch.map((r) => ({ view_id: viewId, ...r, seq: seq++ })));
        if (this.fast) {
          // Same connection as the transaction `trx` holds: the rows commit or roll back with it.
          const c = insert.compile();
          this.fast.prepare(c.sql).run(c.parameters);
        } else await insert.execute();
      }
      return viewId;
    });
    // Cached only once committed: a rolled-back first write may leave its id to another view.
    this.viewIds.set(view, viewId);
  }

  async *scan(view: string, options: OfflineScanOptions = {}): AsyncIterable<OfflinePage> {
    const pageSize = options.pageSize ?? 10_000;
    if (!(pageSize > 0)) throw invalid(["pageSize"], "must be positive");
    let cursor = options.cursor === undefined ? undefined : parseCursor(options.cursor);
    const viewId = await this.viewId(view);
    if (viewId === undefined) return;
    if (options.keys && options.keys.length <= KEY_LOOKUP_LIMIT) {
      const keys = [...new Set(options.keys)].sort();
      for (const key of keys) {
        if (cursor && key < cursor[0]) continue;
        let inKey = cursor && key === cursor[0] ? cursor : undefined;
        for (;;) {
          const rows = await this.page(viewId, options, inKey, pageSize, key);
          if (rows.length === 0) break;
          inKey = cursorOf(rows[rows.length - 1]);
          yield { rows: rows.map(toRow), cursor: JSON.stringify([...inKey]) };
          if (rows.length < pageSize) break;
        }
        cursor = undefined;
      }
      return;
    }
    const wanted = options.keys ? new Set(options.keys) : undefined;
    for (;;) {
      const rows = await this.page(viewId, options, cursor, pageSize);
      if (rows.length === 0) return;
      cursor = cursorOf(rows[rows.length - 1]);
      const out = wanted ? rows.filter((r) => wanted.has(r[1])) : rows;
      if (out.length > 0) yield { rows: out.map(toRow), cursor: JSON.stringify(cursor) };
      if (rows.length < pageSize) return;
    }
  }

  /** Set when the accelerator has a point-in-time lookup: the feature store then uses it instead of scans. */
  readonly pointInTime?: OfflineStore["pointInTime"];

  private async *pointInTimeAccelerated(
    pit: SqlPointInTimeAccelerator,
    view: string,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
    features?: readonly string[],
  ): AsyncIterable<PointInTimeBatch> {
    if (keys.length === 0) return;
    const viewId = await this.viewId(view);
    yield* pit.pointInTime(viewId, keys, times, ttlMs, { workerMinRows: this.workerMinRows, signal, features });
  }

  async count(view: string): Promise<number> {
    const viewId = await this.viewId(view);
    if (viewId === undefined) return 0;
    const r = await this.db
      .selectFrom("feature_offline_rows")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("view_id", "=", viewId)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async deleteView(view: string): Promise<void> {
    const viewId = await this.viewId(view);
    if (viewId === undefined) return;
    await writeTransaction(this.database, (trx) =>
      (trx as Kysely<Tables>).deleteFrom("feature_offline_rows").where("view_id", "=", viewId).execute(),
    );
  }

  /** The id of a view that has had rows, or undefined. */
  private async viewId(view: string): Promise<number | undefined> {
    const cached = this.viewIds.get(view);
    if (cached !== undefined) return cached;
    const r = await this.db
      .selectFrom("feature_offline_views")
      .select("id")
      .where("name", "=", view)
      .executeTakeFirst();
    if (r === undefined) return undefined;
    const id = Number(r.id);
    this.viewIds.set(view, id);
    return id;
  }

  /** One page as `[seq, entity_key, event_time, created_time, values_json]` tuples. */
  private async page(
    viewId: number,
    options: OfflineScanOptions,
    after: Cursor | undefined,
    limit: number,
    key?: string,
  ): Promise<Array<[number, string, number, number, string]>> {
    let q = this.db
      .selectFrom("feature_offline_rows")
      .select(["seq", "entity_key", "event_time", "created_time", "values_json"])
      .where("view_id", "=", viewId);
    if (key !== undefined) q = q.where("entity_key", "=", key);
    if (after)
      q = q.where(
        (eb) =>
          sql<boolean>`(${eb.ref("entity_key")}, ${eb.ref("event_time")}, ${eb.ref("created_time")}, ${eb.ref("seq")}) > (${after[0]}, ${after[1]}, ${after[2]}, ${after[3]})`,
      );
    if (options.after !== undefined) q = q.where("event_time", ">", options.after);
    if (options.until !== undefined) q = q.where("event_time", "<=", options.until);
    const ordered = q.orderBy("entity_key").orderBy("event_time").orderBy("created_time").orderBy("seq").limit(limit);
    if (this.fast && !this.fast.inTransaction) {
      // Every value is a parameter: the text varies only with the clauses present, one statement each.
      const c = ordered.compile();
      return this.fast.prepare(c.sql, "array").all(c.parameters) as Array<[number, string, number, number, string]>;
    }
    const rows = await ordered.execute();
    return rows.map((r) => [Number(r.seq), r.entity_key, Number(r.event_time), Number(r.created_time), r.values_json]);
  }
}

const toRow = (r: [number, string, number, number, string]): OfflineRow => new LazyRow(r[1], r[2], r[3], r[4]);
const cursorOf = (r: [number, string, number, number, string]): Cursor => [r[1], r[2], r[3], r[0]];

function parseCursor(text: string): Cursor {
  try {
    const c = JSON.parse(text) as unknown;
    if (
      Array.isArray(c) &&
      c.length === 4 &&
      typeof c[0] === "string" &&
      c.slice(1).every((n) => typeof n === "number" && Number.isFinite(n))
    )
      return c as Cursor;
  } catch {}
  throw invalid(["cursor"], "is not a cursor returned by this store");
}

/**
 * An offline store on a SQL database (the workspace's own by default).
 *
 * @example
 * ```ts
 * const db = openSqliteDatabase({ path: "features.db" }); // or any SqlDatabase
 * const ws = await createWorkspace({ metadata: sqlStore(db), offline: sqlOfflineStore(db) });
 * ```
 */
export function sqlOfflineStore(database: SqlDatabase, options?: SqlOfflineStoreOptions): OfflineStore {
  return new SqlOfflineStore(database, options);
}

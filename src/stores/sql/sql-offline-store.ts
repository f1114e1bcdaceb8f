import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";
import { type Generated, type Kysely, sql } from "kysely";
import { invalid, MlcycleError } from "../../core/errors.js";
import {
  checkOfflineRow,
  type OfflinePage,
  type OfflineRow,
  type OfflineScanOptions,
  type OfflineStore,
  type PointInTimeBatch,
} from "../offline-store.js";
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
/** Entity rows per point-in-time batch, and per insert statement into the temporary table. */
const PIT_BATCH = 50_000;
const PIT_INSERT = 500;
/** Beyond this many keys a scan reads the whole view instead of key by key. */
const KEY_LOOKUP_LIMIT = 2_000;

/** Options of {@link sqlOfflineStore}. */
export interface SqlOfflineStoreOptions {
  /** On SQLite, use prepared statements on the raw handle for scans and inserts (default true). */
  raw?: boolean;
  /**
   * On a SQLite file, point-in-time lookups of at least this many entity rows run their SQL on a
   * worker thread with its own connection, while this thread turns the previous batch's answers
   * into training-set rows (default 100,000; `Infinity` never). Smaller lookups stay on this
   * thread: starting a worker costs tens of milliseconds.
   */
  workerMinRows?: number;
}

/**
 * The worker of {@link SqlOfflineStoreOptions.workerMinRows}: plain CommonJS run with `eval`, so it
 * loads the same way from sources, tests and the built package. One message per batch of probes
 * (keys and times in probe order); the answer is the matched rows' values JSON (null: no match).
 */
const PIT_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 10000 });
db.exec("create temp table mlcycle_pit_probes (k text not null, t integer not null)");
const clear = db.prepare("delete from mlcycle_pit_probes");
const inserts = new Map();
const query = db.prepare(workerData.query).pluck();
parentPort.on("message", ({ batch, keys, times }) => {
  const values = new Array(keys.length);
  db.transaction(() => {
    clear.run();
    const params = [];
    for (let i = 0; i < keys.length; i += ${PIT_INSERT}) {
      const n = Math.min(${PIT_INSERT}, keys.length - i);
      let insert = inserts.get(n);
      if (!insert) {
        insert = db.prepare("insert into mlcycle_pit_probes (k, t) values " + Array(n).fill("(?, ?)").join(", "));
        inserts.set(n, insert);
      }
      params.length = 0;
      for (let j = i; j < i + n; j++) params.push(keys[j], times[j]);
      insert.run(params);
    }
    let r = 0;
    for (const json of query.iterate(workerData.viewId, workerData.ttl, workerData.ttl)) values[r++] = json;
    clear.run();
  })();
  parentPort.postMessage({ batch, values });
});
`;

/** The match of each probe, in rowid (= insertion) order of the probe table. */
const PIT_QUERY = `select (select g.values_json from feature_offline_rows g
  where g.view_id = ? and g.entity_key = q.k and g.event_time <= q.t
    and (? is null or g.event_time >= q.t - ?)
  order by g.event_time desc, g.created_time desc, g.seq desc limit 1)
from mlcycle_pit_probes q order by q.rowid`;

/**
 * The Kysely {@link OfflineStore} (SQLite; PostgreSQL-ready): one table of rows whose primary key is
 * the scan order (view id, entity key, event time, created time, write sequence) — on SQLite a
 * WITHOUT ROWID table, so rows are stored in that order — read with keyset pagination so a scan
 * holds one page at a time. On SQLite, hot paths use cached prepared statements on the raw
 * better-sqlite3 handle, inside the same transactions.
 */
export class SqlOfflineStore implements OfflineStore {
  private readonly db: Kysely<Tables>;
  private readonly raw?: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** View ids never change once assigned (a deleted view keeps its id), so they are cached. */
  private readonly viewIds = new Map<string, number>();
  private readonly workerMinRows: number;

  constructor(
    readonly database: SqlDatabase,
    options: SqlOfflineStoreOptions = {},
  ) {
    this.db = database.db as Kysely<Tables>;
    this.workerMinRows = options.workerMinRows ?? 100_000;
    if (options.raw !== false && database.sqlite) {
      this.raw = database.sqlite;
      this.pointInTime = (view, keys, times, ttlMs, signal) => this.pointInTimeRaw(view, keys, times, ttlMs, signal);
    }
  }

  async writeRows(view: string, rows: readonly OfflineRow[]): Promise<void> {
    rows.forEach(checkOfflineRow);
    if (rows.length === 0) return;
    const records = rows.map((r) => ({
      entity_key: r.entityKey,
      event_time: Math.trunc(r.eventTime),
      created_time: Math.trunc(r.createdTime),
      values_json: JSON.stringify(r.values),
    }));
    const viewId = await writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      // The view's write sequence is reserved in the same transaction: concurrent writers of one view
      // queue on its row (PostgreSQL) or on the write lock (SQLite), so sequence numbers never repeat.
      await t
        .insertInto("feature_offline_views")
        .values({ name: view, next_seq: 1 })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      const reserved = await t
        .updateTable("feature_offline_views")
        .set((eb) => ({ next_seq: eb("next_seq", "+", records.length) }))
        .where("name", "=", view)
        .returning(["id", "next_seq"])
        .executeTakeFirstOrThrow();
      const viewId = Number(reserved.id);
      let seq = Number(reserved.next_seq) - records.length;
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const batch = records.slice(i, i + INSERT_BATCH);
        if (this.raw) {
          // Same connection as the transaction `trx` holds: the rows commit or roll back with it.
          const stmt = this.prepare(
            `insert:${batch.length}`,
            `insert into feature_offline_rows (view_id, entity_key, event_time, created_time, seq, values_json) values ${batch
              .map(() => "(?, ?, ?, ?, ?, ?)")
              .join(", ")}`,
          );
          const params: unknown[] = [];
          for (const r of batch) params.push(viewId, r.entity_key, r.event_time, r.created_time, seq++, r.values_json);
          stmt.run(params);
        } else {
          await t
            .insertInto("feature_offline_rows")
            .values(batch.map((r) => ({ view_id: viewId, ...r, seq: seq++ })))
            .execute();
        }
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

  /**
   * On a raw SQLite handle: the entity rows go to a temporary table in batches, in key order, and
   * one query per batch finds each row's match with one descent of the clustered primary key (a
   * correlated subquery that returns the matched row's values), so only matches cross into
   * JavaScript. Each batch runs synchronously (nothing else can use the temporary table in between);
   * the event loop gets a turn between batches.
   */
  readonly pointInTime?: OfflineStore["pointInTime"];

  private async *pointInTimeRaw(
    view: string,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
  ): AsyncIterable<PointInTimeBatch> {
    const raw = this.raw!;
    if (keys.length === 0) return;
    const order = probeOrder(keys);
    const viewId = await this.viewId(view);
    if (viewId === undefined) {
      yield { indices: order, values: new Array(keys.length) };
      return;
    }
    const ttl = ttlMs > 0 ? ttlMs : null;
    this.prepare(
      "pit:create",
      "create temp table if not exists mlcycle_pit_probes (k text not null, t integer not null)",
    ).run();
    const clear = this.prepare("pit:clear", "delete from mlcycle_pit_probes");
    const insertSql = (n: number) =>
      `insert into mlcycle_pit_probes (k, t) values ${Array(n).fill("(?, ?)").join(", ")}`;
    // The worker's connection sees committed rows only: inside a transaction, stay on this one. A
    // worker that fails before its first answer (it could not open the file…) leaves the work here.
    if (keys.length >= this.workerMinRows && !raw.memory && !raw.inTransaction) {
      if (yield* this.pointInTimeOnWorker(viewId, keys, times, ttl, order, signal)) return;
    }
    const query = this.prepare("pit:query", PIT_QUERY).pluck();
    const params: unknown[] = [];
    for (let start = 0; start < order.length; start += PIT_BATCH) {
      if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
      const end = Math.min(order.length, start + PIT_BATCH);
      const values = new Array<Record<string, unknown> | undefined>(end - start);
      raw.transaction(() => {
        clear.run();
        for (let i = start; i < end; i += PIT_INSERT) {
          const n = Math.min(PIT_INSERT, end - i);
          params.length = 0;
          for (let j = i; j < i + n; j++) params.push(keys[order[j]], Math.floor(times[order[j]]));
          this.prepare(`pit:insert:${n}`, insertSql(n)).run(params);
        }
        // Rowids grow in insertion order, so the r-th result belongs to probe start + r.
        let r = 0;
        for (const json of query.iterate(viewId, ttl, ttl) as Iterable<string | null>) {
          if (json !== null) values[r] = JSON.parse(json) as Record<string, unknown>;
          r++;
        }
        clear.run();
      })();
      yield { indices: order.subarray(start, end), values };
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async *pointInTimeOnWorker(
    viewId: number,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttl: number | null,
    order: Int32Array,
    signal?: AbortSignal,
  ): AsyncGenerator<PointInTimeBatch, boolean> {
    const raw = this.raw!;
    const worker = new Worker(PIT_WORKER, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file: raw.name,
        query: PIT_QUERY,
        viewId,
        ttl,
      },
    });
    const batches = Math.ceil(order.length / PIT_BATCH);
    const answers: Array<{
      promise: Promise<Array<string | null>>;
      resolve: (v: Array<string | null>) => void;
    }> = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    for (let b = 0; b < batches; b++) {
      let resolve!: (v: Array<string | null>) => void;
      const promise = new Promise<Array<string | null>>((r) => {
        resolve = r;
      });
      answers.push({ promise, resolve });
    }
    const fail = (error: Error) => {
      failure ??= error;
      wake?.();
    };
    worker.on("message", (m: { batch: number; values: Array<string | null> }) => answers[m.batch].resolve(m.values));
    worker.on("error", (error: unknown) => {
      // Errors thrown in a worker arrive cloned, not always as Error instances.
      const message = (error as { message?: unknown })?.message ?? error;
      fail(new MlcycleError("INTERNAL", `point-in-time worker failed: ${String(message)}`, { cause: error }));
    });
    worker.on("exit", (code) => fail(new MlcycleError("INTERNAL", `point-in-time worker exited (code ${code})`)));
    try {
      // Every batch is sent at once: the worker then runs without waiting while this thread uses the answers.
      for (let b = 0; b < batches; b++) {
        const start = b * PIT_BATCH;
        const end = Math.min(order.length, start + PIT_BATCH);
        const k = new Array<string>(end - start);
        const t = new Float64Array(end - start);
        for (let j = start; j < end; j++) {
          k[j - start] = keys[order[j]];
          t[j - start] = Math.floor(times[order[j]]);
        }
        worker.postMessage({ batch: b, keys: k, times: t });
      }
      for (let b = 0; b < batches; b++) {
        const json = await Promise.race([
          answers[b].promise,
          new Promise<undefined>((r) => {
            wake = () => r(undefined);
            if (failure) r(undefined);
          }),
        ]);
        if (json === undefined) {
          if (b === 0) return false;
          throw failure;
        }
        if (signal?.aborted) throw new MlcycleError("CANCELLED", "historical retrieval was cancelled");
        const values = new Array<Record<string, unknown> | undefined>(json.length);
        for (let r = 0; r < json.length; r++) {
          const text = json[r];
          if (text !== null) values[r] = JSON.parse(text) as Record<string, unknown>;
        }
        const start = b * PIT_BATCH;
        yield { indices: order.subarray(start, start + json.length), values };
      }
      return true;
    } finally {
      worker.removeAllListeners("exit");
      await worker.terminate();
    }
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
    if (this.raw) {
      const where = ["view_id = ?"];
      const params: unknown[] = [viewId];
      if (key !== undefined) {
        where.push("entity_key = ?");
        params.push(key);
      }
      if (after) {
        where.push("(entity_key, event_time, created_time, seq) > (?, ?, ?, ?)");
        params.push(...after);
      }
      if (options.after !== undefined) {
        where.push("event_time > ?");
        params.push(options.after);
      }
      if (options.until !== undefined) {
        where.push("event_time <= ?");
        params.push(options.until);
      }
      params.push(limit);
      const text = `select seq, entity_key, event_time, created_time, values_json from feature_offline_rows where ${where.join(
        " and ",
      )} order by entity_key, event_time, created_time, seq limit ?`;
      // Only the fixed clause shapes above vary the text; every value is a parameter.
      return this.prepare(`scan:${where.join("|")}`, text, true).all(params) as Array<
        [number, string, number, number, string]
      >;
    }
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
    const rows = await q
      .orderBy("entity_key")
      .orderBy("event_time")
      .orderBy("created_time")
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map((r) => [Number(r.seq), r.entity_key, Number(r.event_time), Number(r.created_time), r.values_json]);
  }

  private prepare(name: string, text: string, raw = false): BetterSqlite3.Statement {
    let stmt = this.statements.get(name);
    if (!stmt) {
      stmt = this.raw!.prepare(text);
      if (raw) stmt.raw(true);
      this.statements.set(name, stmt);
    }
    return stmt;
  }
}

/**
 * Indices of the probes grouped by key, keys in ascending order: consecutive probes then walk the
 * clustered table forward, each descent landing on pages the previous one just read (sorting only
 * the distinct keys; the order is a locality choice, any order gives the same answer).
 */
function probeOrder(keys: readonly string[]): Int32Array {
  const ids = new Map<string, number>();
  const idOf = new Int32Array(keys.length);
  const distinct: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    let id = ids.get(keys[i]);
    if (id === undefined) {
      id = distinct.length;
      ids.set(keys[i], id);
      distinct.push(keys[i]);
    }
    idOf[i] = id;
  }
  // Counting sort by the rank of each key: stable, so a key's probes keep their input order.
  const byKey = distinct.map((_, id) => id).sort((a, b) => (distinct[a] < distinct[b] ? -1 : 1));
  const rank = new Int32Array(distinct.length);
  for (let r = 0; r < byKey.length; r++) rank[byKey[r]] = r;
  const next = new Int32Array(distinct.length + 1);
  for (let i = 0; i < keys.length; i++) next[rank[idOf[i]] + 1]++;
  for (let r = 1; r <= distinct.length; r++) next[r] += next[r - 1];
  const order = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) order[next[rank[idOf[i]]]++] = i;
  return order;
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
 * const db = openSqliteDatabase({ path: "features.db" });
 * const ws = await createWorkspace({ metadata: sqlStore(db), offline: sqlOfflineStore(db) });
 * ```
 */
export function sqlOfflineStore(database: SqlDatabase, options?: SqlOfflineStoreOptions): OfflineStore {
  return new SqlOfflineStore(database, options);
}

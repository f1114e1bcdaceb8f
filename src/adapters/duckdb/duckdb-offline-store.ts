import { invalid } from "../../core/errors.js";
import {
  checkOfflineRow,
  type OfflinePage,
  type OfflineRow,
  type OfflineScanOptions,
  type OfflineStore,
  type PointInTimeBatch,
} from "../../stores/offline-store.js";
import { type DuckDBConnectionLike, type DuckDBParam, duckdbError } from "./duckdb-client.js";
import { DuckDBEngine } from "./duckdb-engine.js";
import { storedPointInTime } from "./duckdb-point-in-time.js";
import { DuckDBSession, type DuckDBTarget, TaskQueue } from "./duckdb-session.js";
import { checkTablePrefix } from "./duckdb-sql.js";

/** Options of {@link duckdbOfflineStore}. */
export interface DuckDBOfflineStoreOptions extends DuckDBTarget {
  /**
   * What the store's two tables are named after: `<prefix>_rows` and `<prefix>_views` (default
   * `mlcycle_offline`), created when missing. A plain identifier.
   */
  tablePrefix?: string;
}

type Cursor = [key: string, eventTime: number, createdTime: number, seq: number];

/**
 * A scanned row whose values are parsed only when read: a materialisation reads every row, a
 * statistics pass perhaps a few features of each.
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

/**
 * The {@link OfflineStore} on DuckDB, through the caller's `@duckdb/node-api` instance (typed
 * structurally; the driver is an optional peer and this module never imports it).
 *
 * Rows live in one table (`<prefix>_rows`: view id, entity key, event time, created time, write
 * sequence, values as JSON text); a view's write sequence is reserved in the same transaction as
 * its rows, which go in through DuckDB's appender, so a batch is stored whole or not at all. Scans
 * stream one ordered query (on a connection of their own) and page it. `pointInTime` sends the
 * entity rows to a temporary table and answers with one `ASOF LEFT JOIN` whose inequality compares
 * (event time, created time, write sequence) as a struct: the match is the row with the latest of
 * the three among rows with event time ≤ the entity row's time — ties broken by created time, then
 * write order, exactly as every offline store — then dropped when older than the TTL.
 *
 * Its `engine` ({@link DuckDBEngine}) reads Parquet, CSV and SQL sources in place, joins them
 * point in time and writes training sets to Parquet.
 *
 * @example
 * ```ts
 * import { DuckDBInstance } from "@duckdb/node-api";
 * const instance = await DuckDBInstance.create("features.duckdb");
 * const ws = await createWorkspace({ offline: duckdbOfflineStore({ instance }) });
 * ```
 */
export class DuckDBOfflineStore implements OfflineStore {
  readonly session: DuckDBSession;
  /** Reads Parquet, CSV and SQL sources in place, joins them point in time and writes training sets to Parquet. */
  readonly engine: DuckDBEngine;
  private readonly rowsTable: string;
  private readonly viewsTable: string;
  private readonly writes = new TaskQueue();
  private ready?: Promise<void>;
  /** View ids never change once assigned (a deleted view keeps its id), so they are cached. */
  private readonly viewIds = new Map<string, number>();

  constructor(options: DuckDBOfflineStoreOptions) {
    this.session = new DuckDBSession(options, "duckdbOfflineStore");
    const prefix = checkTablePrefix(options.tablePrefix ?? "mlcycle_offline");
    this.rowsTable = `${prefix}_rows`;
    this.viewsTable = `${prefix}_views`;
    this.engine = new DuckDBEngine(this.session, { rowsTable: this.rowsTable, viewId: (view) => this.viewId(view) });
  }

  /** Creates the tables when missing (once per store). */
  prepare(): Promise<void> {
    this.ready ??= this.session
      .use(async (con) => {
        await con.run(`CREATE TABLE IF NOT EXISTS ${this.viewsTable} (
          id INTEGER NOT NULL, name VARCHAR NOT NULL, next_seq BIGINT NOT NULL)`);
        await con.run(`CREATE TABLE IF NOT EXISTS ${this.rowsTable} (
          view_id INTEGER NOT NULL, entity_key VARCHAR NOT NULL, event_time BIGINT NOT NULL,
          created_time BIGINT NOT NULL, seq BIGINT NOT NULL, values_json VARCHAR NOT NULL)`);
      })
      .catch((error: unknown) => {
        this.ready = undefined;
        throw duckdbError("creating the offline tables", error);
      });
    return this.ready;
  }

  async writeRows(view: string, rows: readonly OfflineRow[]): Promise<void> {
    if (typeof view !== "string" || view === "") throw invalid(["view"], "must be a view name");
    // Every row is checked before any is sent: a bad row stores nothing of its batch.
    const texts = rows.map(checkOfflineRow);
    if (rows.length === 0) return;
    await this.prepare();
    // Writes take turns: the view's sequence is reserved and its rows appended as one transaction.
    const viewId = await this.writes.run(() =>
      this.session.use(async (con) => {
        await run(con, "BEGIN TRANSACTION", [], "starting a write");
        try {
          await run(
            con,
            `INSERT INTO ${this.viewsTable} (id, name, next_seq)
             SELECT coalesce(max(id), 0) + 1, $1, 1 FROM ${this.viewsTable}
             WHERE NOT EXISTS (SELECT 1 FROM ${this.viewsTable} WHERE name = $1)`,
            [view],
            "registering the view",
          );
          const reserved = await readAll(
            con,
            `UPDATE ${this.viewsTable} SET next_seq = next_seq + $2 WHERE name = $1 RETURNING id, next_seq`,
            [view, BigInt(rows.length)],
            "reserving write positions",
          );
          const id = Number(reserved[0][0]);
          let seq = BigInt(reserved[0][1] as bigint) - BigInt(rows.length);
          const appender = await con.createAppender(this.rowsTable).catch((e: unknown) => {
            throw duckdbError("opening the appender", e);
          });
          try {
            for (let i = 0; i < rows.length; i++) {
              const r = rows[i];
              appender.appendInteger(id);
              appender.appendVarchar(r.entityKey);
              appender.appendBigInt(BigInt(r.eventTime));
              appender.appendBigInt(BigInt(r.createdTime));
              appender.appendBigInt(seq++);
              appender.appendVarchar(texts[i]);
              appender.endRow();
            }
            appender.closeSync();
          } catch (error) {
            throw duckdbError("appending rows", error);
          }
          await run(con, "COMMIT", [], "committing the rows");
          return id;
        } catch (error) {
          await con.run("ROLLBACK").catch(() => undefined);
          throw error;
        }
      }),
    );
    this.viewIds.set(view, viewId);
  }

  async *scan(view: string, options: OfflineScanOptions = {}): AsyncIterable<OfflinePage> {
    const pageSize = options.pageSize ?? 10_000;
    if (!(pageSize > 0)) throw invalid(["pageSize"], "must be positive");
    const cursor = options.cursor === undefined ? undefined : parseCursor(options.cursor);
    const viewId = await this.viewId(view);
    if (viewId === undefined) return;
    const where: string[] = ["view_id = $1"];
    const params: DuckDBParam[] = [viewId];
    const param = (value: DuckDBParam) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (options.after !== undefined) where.push(`event_time > ${param(BigInt(Math.floor(options.after)))}`);
    if (options.until !== undefined) where.push(`event_time <= ${param(BigInt(Math.floor(options.until)))}`);
    if (options.keys)
      where.push(`entity_key IN (SELECT unnest(from_json(${param(JSON.stringify(options.keys))}, '["VARCHAR"]')))`);
    const base = `SELECT entity_key, event_time, created_time, seq, values_json FROM ${this.rowsTable}`;
    const order = "ORDER BY entity_key, event_time, created_time, seq";
    const after = (c: Cursor) =>
      `(entity_key, event_time, created_time, seq) > (${param(c[0])}, ${param(BigInt(c[1]))}, ${param(BigInt(c[2]))}, ${param(BigInt(c[3]))})`;
    if (this.session.pooled) {
      // One ordered query on a connection of its own, paged as its chunks arrive.
      const { connection, release } = await this.session.acquire();
      try {
        const clauses = cursor ? [...where, after(cursor)] : where;
        const result = await connection
          .stream(`${base} WHERE ${clauses.join(" AND ")} ${order}`, params)
          .catch((e: unknown) => {
            throw duckdbError("scanning rows", e);
          });
        let page: OfflineRow[] = [];
        let last: LazyRow | undefined;
        let lastSeq = 0;
        for (;;) {
          const chunk = await result.fetchChunk().catch((e: unknown) => {
            throw duckdbError("scanning rows", e);
          });
          if (!chunk || chunk.rowCount === 0) break;
          const [k, e, c, s, v] = [0, 1, 2, 3, 4].map((i) => chunk.getColumnVector(i));
          for (let i = 0; i < chunk.rowCount; i++) {
            last = new LazyRow(
              k.getItem(i) as string,
              Number(e.getItem(i)),
              Number(c.getItem(i)),
              v.getItem(i) as string,
            );
            lastSeq = Number(s.getItem(i));
            page.push(last);
            if (page.length >= pageSize) {
              yield { rows: page, cursor: cursorText(last, lastSeq) };
              page = [];
            }
          }
        }
        if (page.length > 0 && last) yield { rows: page, cursor: cursorText(last, lastSeq) };
      } finally {
        release();
      }
      return;
    }
    // On the caller's one connection: a query per page, continuing after the last row (keyset).
    let position = cursor;
    for (;;) {
      const paramsBefore = params.length;
      const clauses = position ? [...where, after(position)] : where;
      const rows = await this.session.use((con) =>
        readAll(
          con,
          `${base} WHERE ${clauses.join(" AND ")} ${order} LIMIT ${Math.floor(pageSize)}`,
          params,
          "scanning rows",
        ),
      );
      params.length = paramsBefore;
      if (rows.length === 0) return;
      const out = rows.map((r) => new LazyRow(r[0] as string, Number(r[1]), Number(r[2]), r[4] as string));
      const lastRow = rows[rows.length - 1];
      position = [lastRow[0] as string, Number(lastRow[1]), Number(lastRow[2]), Number(lastRow[3])];
      yield { rows: out, cursor: JSON.stringify(position) };
      if (rows.length < pageSize) return;
    }
  }

  pointInTime(
    view: string,
    keys: readonly string[],
    times: ArrayLike<number>,
    ttlMs: number,
    signal?: AbortSignal,
  ): AsyncIterable<PointInTimeBatch> {
    return storedPointInTime(
      this.session,
      { rowsTable: this.rowsTable, viewId: () => this.viewId(view) },
      keys,
      times,
      ttlMs,
      signal,
    );
  }

  async count(view: string): Promise<number> {
    const viewId = await this.viewId(view);
    if (viewId === undefined) return 0;
    const rows = await this.session.use((con) =>
      readAll(con, `SELECT count(*) FROM ${this.rowsTable} WHERE view_id = $1`, [viewId], "counting rows"),
    );
    return Number(rows[0][0]);
  }

  async deleteView(view: string): Promise<void> {
    const viewId = await this.viewId(view);
    if (viewId === undefined) return;
    await this.writes.run(() =>
      this.session.use((con) =>
        run(con, `DELETE FROM ${this.rowsTable} WHERE view_id = $1`, [viewId], "deleting a view's rows"),
      ),
    );
  }

  /** Closes the connections the store opened; the caller's instance or connection stays open. */
  async close(): Promise<void> {
    this.session.close();
  }

  /** The id of a view that has had rows, or undefined. */
  private async viewId(view: string): Promise<number | undefined> {
    const cached = this.viewIds.get(view);
    if (cached !== undefined) return cached;
    await this.prepare();
    const rows = await this.session.use((con) =>
      readAll(con, `SELECT id FROM ${this.viewsTable} WHERE name = $1`, [view], "looking up a view"),
    );
    if (rows.length === 0) return undefined;
    const id = Number(rows[0][0]);
    this.viewIds.set(view, id);
    return id;
  }
}

async function run(con: DuckDBConnectionLike, sql: string, params: DuckDBParam[], what: string): Promise<void> {
  try {
    await con.run(sql, params);
  } catch (error) {
    throw duckdbError(what, error);
  }
}

async function readAll(
  con: DuckDBConnectionLike,
  sql: string,
  params: DuckDBParam[],
  what: string,
): Promise<unknown[][]> {
  try {
    return (await con.runAndReadAll(sql, params)).getRowsJS();
  } catch (error) {
    throw duckdbError(what, error);
  }
}

const cursorText = (row: OfflineRow, seq: number) =>
  JSON.stringify([row.entityKey, row.eventTime, row.createdTime, seq] satisfies Cursor);

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
 * An offline store on DuckDB (`mlcycle/duckdb`), on the caller's instance (preferred) or
 * connection. The store opens connections of its own on an instance and closes them on `close()`;
 * it never closes the instance.
 *
 * @example
 * ```ts
 * import { DuckDBInstance } from "@duckdb/node-api";
 * import { duckdbOfflineStore } from "mlcycle/duckdb";
 * const instance = await DuckDBInstance.create(":memory:");
 * const ws = await createWorkspace({ offline: duckdbOfflineStore({ instance }) });
 * ```
 */
export function duckdbOfflineStore(options: DuckDBOfflineStoreOptions): DuckDBOfflineStore {
  return new DuckDBOfflineStore(options);
}

import type BetterSqlite3 from "better-sqlite3";
import type { Kysely } from "kysely";
import { checkOnlineWrite, type OnlineRecord, type OnlineStore, type OnlineWrite } from "../online-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";

interface Tables {
  feature_online_values: {
    view: string;
    entity_key: string;
    event_time: number | string;
    created_time: number | string;
    values_json: string;
  };
}

const UPSERT = `insert into feature_online_values (view, entity_key, event_time, created_time, values_json)
values (?, ?, ?, ?, ?)
on conflict (view, entity_key) do update set
  event_time = excluded.event_time, created_time = excluded.created_time, values_json = excluded.values_json
where excluded.event_time > feature_online_values.event_time
   or (excluded.event_time = feature_online_values.event_time
       and excluded.created_time >= feature_online_values.created_time)`;

const READ =
  "select event_time, created_time, values_json from feature_online_values where view = ? and entity_key = ?";

/**
 * The SQLite {@link OnlineStore}: one row per (view, entity key) in the workspace's database. Reads
 * and writes use cached prepared statements on the raw better-sqlite3 handle (a read of one entity
 * is one index lookup); on a database without that handle it falls back to Kysely.
 */
export class SqliteOnlineStore implements OnlineStore {
  private readonly db: Kysely<Tables>;
  private readonly raw?: BetterSqlite3.Database;
  private readStmt?: BetterSqlite3.Statement<[string, string], [number, number, string]>;
  private upsertStmt?: BetterSqlite3.Statement;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
    this.raw = database.sqlite;
    if (this.raw) this.readSync = (view, keys) => this.readRaw(view, keys);
  }

  async write(view: string, records: readonly OnlineWrite[]): Promise<number> {
    records.forEach(checkOnlineWrite);
    if (records.length === 0) return 0;
    return writeTransaction(this.database, async (trx) => {
      let applied = 0;
      if (this.raw) {
        this.upsertStmt ??= this.raw.prepare(UPSERT);
        // Runs on the connection the transaction holds, so it commits with it.
        for (const r of records) {
          applied += this.upsertStmt.run(
            view,
            r.entityKey,
            Math.trunc(r.eventTime),
            Math.trunc(r.createdTime),
            JSON.stringify(r.values),
          ).changes;
        }
        return applied;
      }
      for (const r of records) {
        const row = {
          view,
          entity_key: r.entityKey,
          event_time: Math.trunc(r.eventTime),
          created_time: Math.trunc(r.createdTime),
          values_json: JSON.stringify(r.values),
        };
        const res = await (trx as Kysely<Tables>)
          .insertInto("feature_online_values")
          .values(row)
          .onConflict((oc) =>
            oc
              .columns(["view", "entity_key"])
              .doUpdateSet({
                event_time: (eb) => eb.ref("excluded.event_time"),
                created_time: (eb) => eb.ref("excluded.created_time"),
                values_json: (eb) => eb.ref("excluded.values_json"),
              })
              .where((eb) =>
                eb.or([
                  eb("excluded.event_time", ">", eb.ref("feature_online_values.event_time")),
                  eb.and([
                    eb("excluded.event_time", "=", eb.ref("feature_online_values.event_time")),
                    eb("excluded.created_time", ">=", eb.ref("feature_online_values.created_time")),
                  ]),
                ]),
              ),
          )
          .executeTakeFirst();
        applied += Number(res.numInsertedOrUpdatedRows ?? 0n) > 0 ? 1 : 0;
      }
      return applied;
    });
  }

  async read(view: string, entityKeys: readonly string[]): Promise<Array<OnlineRecord | undefined>> {
    if (this.raw) return this.readRaw(view, entityKeys);
    const rows = await this.db
      .selectFrom("feature_online_values")
      .select(["entity_key", "event_time", "created_time", "values_json"])
      .where("view", "=", view)
      .where("entity_key", "in", entityKeys.length ? [...entityKeys] : [""])
      .execute();
    const byKey = new Map(rows.map((r) => [r.entity_key, r]));
    return entityKeys.map((k) => {
      const r = byKey.get(k);
      return r
        ? { eventTime: Number(r.event_time), createdTime: Number(r.created_time), values: JSON.parse(r.values_json) }
        : undefined;
    });
  }

  /** Present on a raw SQLite handle: one prepared lookup per key, no promise. */
  readonly readSync?: (view: string, entityKeys: readonly string[]) => Array<OnlineRecord | undefined>;

  private readRaw(view: string, entityKeys: readonly string[]): Array<OnlineRecord | undefined> {
    if (!this.readStmt) {
      this.readStmt = this.raw!.prepare(READ) as unknown as BetterSqlite3.Statement<
        [string, string],
        [number, number, string]
      >;
      this.readStmt.raw(true);
    }
    const out: Array<OnlineRecord | undefined> = new Array(entityKeys.length);
    for (let i = 0; i < entityKeys.length; i++) {
      const r = this.readStmt.get(view, entityKeys[i]);
      out[i] = r ? { eventTime: r[0], createdTime: r[1], values: JSON.parse(r[2]) } : undefined;
    }
    return out;
  }

  async deleteView(view: string): Promise<void> {
    await writeTransaction(this.database, (trx) =>
      (trx as Kysely<Tables>).deleteFrom("feature_online_values").where("view", "=", view).execute(),
    );
  }
}

/**
 * An online store in a SQLite database (the workspace's own by default).
 *
 * @example
 * ```ts
 * const db = openSqliteDatabase({ path: "online.db" });
 * await sqlStore(db).init(); // creates the tables (migrations)
 * const ws = await createWorkspace({ online: sqliteOnlineStore(db) });
 * ```
 */
export function sqliteOnlineStore(database: SqlDatabase): OnlineStore {
  return new SqliteOnlineStore(database);
}

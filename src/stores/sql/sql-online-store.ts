import type { Kysely } from "kysely";
import { checkOnlineWrite, type OnlineRecord, type OnlineStore, type OnlineWrite } from "../online-store.js";
import { compileWithSlots, type SlottedQuery, slot } from "./sql-accelerator.js";
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

interface Row {
  view: string;
  entity_key: string;
  event_time: number;
  created_time: number;
  values_json: string;
}

/** The newest-wins upsert of one record (the rule is the dialect's `upsertIfNewer`). */
function upsert(database: SqlDatabase, db: Kysely<Tables>, row: Row) {
  return db
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
        .where(database.dialect.upsertIfNewer("feature_online_values", ["event_time", "created_time"])),
    );
}

/**
 * The SQL {@link OnlineStore}: one row per (view, entity key) in the workspace's database, written
 * newest-wins. With the database's accelerator, reads and writes run prepared statements (a read of
 * one entity is one index lookup, and {@link OnlineStore.readSync} is offered); without, Kysely.
 */
export class SqlOnlineStore implements OnlineStore {
  private readonly db: Kysely<Tables>;
  private upsertQuery?: SlottedQuery;
  private readQuery?: SlottedQuery;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
    if (database.accelerator) this.readSync = (view, keys) => this.readPrepared(view, keys);
  }

  async write(view: string, records: readonly OnlineWrite[]): Promise<number> {
    const texts = records.map(checkOnlineWrite);
    if (records.length === 0) return 0;
    const fast = this.database.accelerator;
    return writeTransaction(this.database, async (trx) => {
      let applied = 0;
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const row: Row = {
          view,
          entity_key: r.entityKey,
          event_time: r.eventTime,
          created_time: r.createdTime,
          values_json: texts[i],
        };
        if (fast) {
          this.upsertQuery ??= compileWithSlots(
            upsert(this.database, this.db, {
              view: slot("view"),
              entity_key: slot("entity_key"),
              event_time: slot("event_time"),
              created_time: slot("created_time"),
              values_json: slot("values_json"),
            }),
          );
          // Runs on the connection the transaction holds, so it commits with it.
          applied += fast.prepare(this.upsertQuery.sql).run(this.upsertQuery.bind(row as never)).changes;
          continue;
        }
        const res = await upsert(this.database, trx as Kysely<Tables>, row).executeTakeFirst();
        applied += Number(res.numInsertedOrUpdatedRows ?? 0n) > 0 ? 1 : 0;
      }
      return applied;
    });
  }

  async read(view: string, entityKeys: readonly string[]): Promise<Array<OnlineRecord | undefined>> {
    if (this.database.accelerator) return this.readPrepared(view, entityKeys);
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

  /** Present with an accelerator: one prepared lookup per key, no promise. */
  readonly readSync?: (view: string, entityKeys: readonly string[]) => Array<OnlineRecord | undefined>;

  private readPrepared(view: string, entityKeys: readonly string[]): Array<OnlineRecord | undefined> {
    this.readQuery ??= compileWithSlots(
      this.db
        .selectFrom("feature_online_values")
        .select(["event_time", "created_time", "values_json"])
        .where("view", "=", slot("view"))
        .where("entity_key", "=", slot("key")),
    );
    const q = this.readQuery;
    const stmt = this.database.accelerator!.prepare(q.sql, "array");
    const out: Array<OnlineRecord | undefined> = new Array(entityKeys.length);
    const params = q.bind({ view });
    const keyAt = q.positions("key");
    for (let i = 0; i < entityKeys.length; i++) {
      for (const at of keyAt) params[at] = entityKeys[i];
      const r = stmt.get(params) as [number | string, number | string, string] | undefined;
      out[i] = r ? { eventTime: Number(r[0]), createdTime: Number(r[1]), values: JSON.parse(r[2]) } : undefined;
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
 * An online store in a SQL database (the workspace's own by default).
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ online: sqlOnlineStore(database) });
 * ```
 */
export function sqlOnlineStore(database: SqlDatabase): OnlineStore {
  return new SqlOnlineStore(database);
}

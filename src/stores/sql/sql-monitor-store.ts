import type { Kysely } from "kysely";
import { notFound } from "../../core/errors.js";
import { checkName } from "../../core/validation.js";
import {
  alertIdTaken,
  alertResolved,
  checkAlertQuery,
  checkAlertResolution,
  checkAlertUpdate,
  checkMonitorPatch,
  checkNewAlert,
  checkNewMonitor,
  checkNewReference,
  checkPartialBatch,
  checkReferenceVersion,
  checkReservedRows,
  checkWindowIndex,
  checkWindowResult,
  checkWindowResultQuery,
  monitorNameTaken,
  openedAlert,
  partialKey,
  staleMonitorRevision,
  storedMonitor,
  storedPartial,
  storedReference,
  storedWindowResult,
} from "../monitor-rules.js";
import type {
  AlertQuery,
  AlertRecord,
  AlertResolution,
  AlertUpdate,
  MonitorPatch,
  MonitorRecord,
  MonitorStore,
  NewAlert,
  NewMonitor,
  NewReferenceProfile,
  PartialWindowSummary,
  ReferenceProfileInfo,
  ReferenceProfileRecord,
  WindowPartialRecord,
  WindowResultQuery,
  WindowResultRecord,
} from "../monitor-store.js";
import { compareCodePoints } from "../prediction-log-rules.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import {
  type AlertRow,
  fromAlertRow,
  fromMonitorRow,
  fromPartialRow,
  fromReferenceRow,
  fromResultRow,
  type MonitorTables,
  PARTIAL_COLUMNS,
  type PartialRow,
  REFERENCE_INFO_COLUMNS,
  modelColumns,
  toAlertRow,
  toPartialRow,
  toResultRow,
} from "./sql-monitor-tables.js";

/**
 * The Kysely {@link MonitorStore} on any {@link SqlDatabase}: monitors in `monitors`, reference
 * profiles in `monitor_references`, window partials in `monitor_partials`, window results in
 * `monitor_window_results`, alerts in `monitor_alerts` (JSON members as text), all checked by the
 * shared rules so they refuse what the memory store refuses and read back what it gives.
 *
 * - `updateMonitor` is a compare-and-set: `UPDATE … WHERE name = ? AND revision = ?`, judged by the
 *   rows it changed.
 * - `reserveRows` is `UPDATE … SET row_count = row_count + ?`: the database does the addition, so
 *   processes feeding one monitor's count windows never take the same positions.
 * - A write that adds to a monitor (a reference, partials, a window result, an alert) first touches
 *   the monitor's row, which on a backend with row locks (PostgreSQL) queues it behind any other
 *   writer of the same monitor: two references never take the same version, and a delete cannot
 *   slip between the existence check and the write (SQLite's write transaction locks the whole
 *   database already).
 * - Partials are inserted with `ON CONFLICT DO NOTHING` on their (monitor, window, producer, seq)
 *   key, a window result on its (monitor, window) key: a retried write stores nothing twice, and the
 *   second writer of a window's result learns it stored nothing.
 * - One open alert per (monitor, rule) is a unique index on (monitor, open_rule), the column holding
 *   the rule while the alert is open and NULL once it resolves.
 *
 * @example
 * ```ts
 * const monitors = new SqlMonitorStore(openSqliteDatabase({ path: "meta.db" }));
 * ```
 */
export class SqlMonitorStore implements MonitorStore {
  private readonly db: Kysely<MonitorTables>;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<MonitorTables>;
  }

  async createMonitor(monitor: NewMonitor): Promise<MonitorRecord> {
    checkNewMonitor(monitor);
    const record = storedMonitor({ ...monitor, revision: 1, rowCount: 0, updatedAt: monitor.createdAt });
    const inserted = await this.write(async (t) => {
      const result = await t
        .insertInto("monitors")
        .values({
          name: record.name,
          id: record.id,
          config: JSON.stringify(record.config),
          revision: record.revision,
          row_count: record.rowCount,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
        })
        .onConflict((oc) => oc.column("name").doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0);
    });
    if (inserted === 0) throw monitorNameTaken(record.name);
    return record;
  }

  async getMonitor(name: string): Promise<MonitorRecord | undefined> {
    checkName("name", name);
    const row = await this.db.selectFrom("monitors").selectAll().where("name", "=", name).executeTakeFirst();
    return row ? fromMonitorRow(row) : undefined;
  }

  async listMonitors(): Promise<MonitorRecord[]> {
    const rows = await this.db
      .selectFrom("monitors")
      .selectAll()
      .orderBy("created_at")
      .orderBy("id")
      .orderBy("name")
      .execute();
    return rows.map(fromMonitorRow);
  }

  async updateMonitor(name: string, expectedRevision: number, patch: MonitorPatch): Promise<MonitorRecord> {
    checkName("name", name);
    checkMonitorPatch(expectedRevision, patch);
    const config = JSON.stringify(patch.config);
    return this.write(async (t) => {
      const result = await t
        .updateTable("monitors")
        .set({ config, revision: expectedRevision + 1, updated_at: patch.updatedAt + 0 })
        .where("name", "=", name)
        .where("revision", "=", expectedRevision)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        const stored = await t.selectFrom("monitors").select("revision").where("name", "=", name).executeTakeFirst();
        if (!stored) throw notFound("monitor", name);
        throw staleMonitorRevision(name, expectedRevision, Number(stored.revision));
      }
      return fromMonitorRow(
        await t.selectFrom("monitors").selectAll().where("name", "=", name).executeTakeFirstOrThrow(),
      );
    });
  }

  async deleteMonitor(name: string): Promise<boolean> {
    checkName("name", name);
    return this.write(async (t) => {
      // The monitor's row first: a writer holding it (see `touch`) finishes before the rest goes.
      const result = await t.deleteFrom("monitors").where("name", "=", name).executeTakeFirst();
      await t.deleteFrom("monitor_references").where("monitor", "=", name).execute();
      await t.deleteFrom("monitor_partials").where("monitor", "=", name).execute();
      await t.deleteFrom("monitor_window_results").where("monitor", "=", name).execute();
      await t.deleteFrom("monitor_alerts").where("monitor", "=", name).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async reserveRows(name: string, rows: number): Promise<number> {
    checkName("name", name);
    checkReservedRows(rows);
    return this.write(async (t) => {
      const result = await t
        .updateTable("monitors")
        .set((eb) => ({ row_count: eb("row_count", "+", rows) }))
        .where("name", "=", name)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw notFound("monitor", name);
      // Read inside the transaction that added: the counter as this addition left it.
      const row = await t.selectFrom("monitors").select("row_count").where("name", "=", name).executeTakeFirstOrThrow();
      return Number(row.row_count) - rows;
    });
  }

  async addReference(reference: NewReferenceProfile): Promise<ReferenceProfileRecord> {
    checkNewReference(reference);
    return this.write(async (t) => {
      if (!(await touch(t, reference.monitor))) throw notFound("monitor", reference.monitor);
      const last = await t
        .selectFrom("monitor_references")
        .select((eb) => eb.fn.max("version").as("version"))
        .where("monitor", "=", reference.monitor)
        .executeTakeFirst();
      const record = storedReference({ ...reference, version: Number(last?.version ?? 0) + 1 });
      await t
        .insertInto("monitor_references")
        .values({
          monitor: record.monitor,
          version: record.version,
          ...modelColumns(record.model),
          source: JSON.stringify(record.source),
          row_count: record.rows,
          digest: record.digest,
          profile: JSON.stringify(record.profile),
          created_at: record.createdAt,
        })
        .execute();
      return record;
    });
  }

  async getReference(monitor: string, version?: number): Promise<ReferenceProfileRecord | undefined> {
    checkName("monitor", monitor);
    if (version !== undefined) checkReferenceVersion(version);
    let q = this.db.selectFrom("monitor_references").selectAll().where("monitor", "=", monitor);
    q = version === undefined ? q.orderBy("version", "desc").limit(1) : q.where("version", "=", version);
    const row = await q.executeTakeFirst();
    return row ? fromReferenceRow(row) : undefined;
  }

  async listReferences(monitor: string): Promise<ReferenceProfileInfo[]> {
    checkName("monitor", monitor);
    const rows = await this.db
      .selectFrom("monitor_references")
      .select(REFERENCE_INFO_COLUMNS)
      .where("monitor", "=", monitor)
      .orderBy("version")
      .execute();
    return rows.map(fromReferenceRow);
  }

  async appendPartials(partials: readonly WindowPartialRecord[]): Promise<void> {
    checkPartialBatch(partials);
    if (partials.length === 0) return;
    const rows: PartialRow[] = [];
    const seen = new Set<string>();
    for (const p of partials) {
      const key = partialKey(p);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(toPartialRow(storedPartial(p)));
    }
    const monitors = [...new Set(partials.map((p) => p.monitor))];
    const perStatement = Math.max(1, Math.floor(this.database.dialect.maxBoundParameters / PARTIAL_COLUMNS));
    await this.write(async (t) => {
      // Monitors touched in one order by every writer (no lock cycle); the error names the first
      // unknown one in the batch's order, as the memory store does.
      const missing = new Set<string>();
      for (const m of [...monitors].sort(compareCodePoints)) if (!(await touch(t, m))) missing.add(m);
      const unknown = monitors.find((m) => missing.has(m));
      if (unknown !== undefined) throw notFound("monitor", unknown);
      for (let i = 0; i < rows.length; i += perStatement)
        await t
          .insertInto("monitor_partials")
          .values(rows.slice(i, i + perStatement))
          .onConflict((oc) => oc.columns(["monitor", "window_index", "producer", "seq"]).doNothing())
          .execute();
    });
  }

  async listPartials(monitor: string, window: number): Promise<WindowPartialRecord[]> {
    checkName("monitor", monitor);
    checkWindowIndex("window", window);
    const rows = await this.db
      .selectFrom("monitor_partials")
      .selectAll()
      .where("monitor", "=", monitor)
      .where("window_index", "=", window)
      .orderBy("producer")
      .orderBy("seq")
      .execute();
    return rows.map(fromPartialRow);
  }

  async listPartialWindows(monitor: string): Promise<PartialWindowSummary[]> {
    checkName("monitor", monitor);
    const rows = await this.db
      .selectFrom("monitor_partials")
      .select((eb) => [
        "window_index",
        eb.fn.countAll().as("partials"),
        eb.fn.sum("row_count").as("rows"),
        eb.fn.min("at").as("first_at"),
        eb.fn.max("at").as("last_at"),
      ])
      .where("monitor", "=", monitor)
      .groupBy("window_index")
      .orderBy("window_index")
      .execute();
    return rows.map((r) => ({
      window: Number(r.window_index),
      partials: Number(r.partials),
      rows: Number(r.rows),
      firstAt: Number(r.first_at),
      lastAt: Number(r.last_at),
    }));
  }

  async deletePartials(monitor: string, window: number): Promise<number> {
    checkName("monitor", monitor);
    checkWindowIndex("window", window);
    return this.write(async (t) => {
      const result = await t
        .deleteFrom("monitor_partials")
        .where("monitor", "=", monitor)
        .where("window_index", "=", window)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async createWindowResult(result: WindowResultRecord): Promise<boolean> {
    checkWindowResult(result);
    const row = toResultRow(storedWindowResult(result));
    return this.write(async (t) => {
      if (!(await touch(t, result.monitor))) throw notFound("monitor", result.monitor);
      const inserted = await t
        .insertInto("monitor_window_results")
        .values(row)
        .onConflict((oc) => oc.columns(["monitor", "window_index"]).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    });
  }

  async replaceWindowResult(result: WindowResultRecord): Promise<void> {
    checkWindowResult(result);
    const { monitor, window_index, ...rest } = toResultRow(storedWindowResult(result));
    await this.write(async (t) => {
      if (!(await touch(t, monitor))) throw notFound("monitor", monitor);
      const updated = await t
        .updateTable("monitor_window_results")
        .set(rest)
        .where("monitor", "=", monitor)
        .where("window_index", "=", window_index)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw notFound("window result", `${monitor}/${result.window}`);
    });
  }

  async getWindowResult(monitor: string, window: number): Promise<WindowResultRecord | undefined> {
    checkName("monitor", monitor);
    checkWindowIndex("window", window);
    const row = await this.db
      .selectFrom("monitor_window_results")
      .selectAll()
      .where("monitor", "=", monitor)
      .where("window_index", "=", window)
      .executeTakeFirst();
    return row ? fromResultRow(row) : undefined;
  }

  async listWindowResults(monitor: string, query: WindowResultQuery = {}): Promise<WindowResultRecord[]> {
    checkName("monitor", monitor);
    const q = checkWindowResultQuery(query);
    let select = this.db.selectFrom("monitor_window_results").selectAll().where("monitor", "=", monitor);
    if (q.from !== undefined) select = select.where("window_index", ">=", q.from);
    if (q.to !== undefined) select = select.where("window_index", "<", q.to);
    const rows = await select.orderBy("window_index", q.order).limit(q.limit).execute();
    return rows.map(fromResultRow);
  }

  async openAlert(alert: NewAlert): Promise<{ alert: AlertRecord; opened: boolean }> {
    checkNewAlert(alert);
    const record = openedAlert(alert);
    return this.write(async (t) => {
      if (!(await touch(t, alert.monitor))) throw notFound("monitor", alert.monitor);
      const open = () =>
        t
          .selectFrom("monitor_alerts")
          .selectAll()
          .where("monitor", "=", alert.monitor)
          .where("open_rule", "=", alert.rule)
          .executeTakeFirst();
      const already = await open();
      if (already) return { alert: fromAlertRow(already), opened: false };
      // The unique index on (monitor, open_rule) is what keeps one open per rule; `DO NOTHING`
      // (no target) also leaves a taken id alone, told apart below.
      const inserted = await t
        .insertInto("monitor_alerts")
        .values(toAlertRow(record))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { alert: record, opened: true };
      const other = await open();
      if (other) return { alert: fromAlertRow(other), opened: false };
      throw alertIdTaken(alert.id);
    });
  }

  async updateAlert(id: string, update: AlertUpdate): Promise<AlertRecord> {
    checkAlertUpdate(id, update);
    const set: Partial<AlertRow> = {
      value: update.value + 0,
      last_window: update.lastWindow,
      breaches: update.breaches,
      updated_at: update.updatedAt + 0,
    };
    if (update.message !== undefined) set.message = update.message;
    if (update.details !== undefined) set.details = JSON.stringify(update.details);
    return this.changeOpenAlert(id, set);
  }

  async resolveAlert(id: string, resolution: AlertResolution): Promise<AlertRecord> {
    checkAlertResolution(id, resolution);
    const set: Partial<AlertRow> = {
      status: "resolved",
      open_rule: null,
      updated_at: resolution.resolvedAt + 0,
      resolved_at: resolution.resolvedAt + 0,
      resolved_window: resolution.resolvedWindow,
    };
    if (resolution.message !== undefined) set.message = resolution.message;
    return this.changeOpenAlert(id, set);
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    checkName("id", id);
    const row = await this.db.selectFrom("monitor_alerts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? fromAlertRow(row) : undefined;
  }

  async listAlerts(query: AlertQuery = {}): Promise<AlertRecord[]> {
    const q = checkAlertQuery(query);
    let select = this.db.selectFrom("monitor_alerts").selectAll();
    if (q.monitor !== undefined) select = select.where("monitor", "=", q.monitor);
    if (q.rule !== undefined) select = select.where("rule", "=", q.rule);
    if (q.status !== undefined) select = select.where("status", "=", q.status);
    const rows = await select.orderBy("opened_at", "desc").orderBy("id", "desc").limit(q.limit).execute();
    return rows.map(fromAlertRow);
  }

  /**
   * Applies `set` to an open alert — `UPDATE … WHERE id = ? AND status = 'open'`, judged by the rows
   * it changed — and reads it back; `NOT_FOUND` for an unknown id, `CONFLICT` for a resolved alert.
   */
  private changeOpenAlert(id: string, set: Partial<AlertRow>): Promise<AlertRecord> {
    return this.write(async (t) => {
      const result = await t
        .updateTable("monitor_alerts")
        .set(set)
        .where("id", "=", id)
        .where("status", "=", "open")
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        const stored = await t.selectFrom("monitor_alerts").select("id").where("id", "=", id).executeTakeFirst();
        if (!stored) throw notFound("alert", id);
        throw alertResolved(id);
      }
      return fromAlertRow(
        await t.selectFrom("monitor_alerts").selectAll().where("id", "=", id).executeTakeFirstOrThrow(),
      );
    });
  }

  private write<T>(fn: (t: Kysely<MonitorTables>) => Promise<T>): Promise<T> {
    return writeTransaction(this.database, (trx) => fn(trx as Kysely<MonitorTables>));
  }
}

/**
 * Writes the monitor's row without changing it, and says whether it exists. Inside a write
 * transaction this takes the row's lock on a backend with row locks, so writers adding to one
 * monitor, and its delete, run one after the other (SQLite's write transaction already locks the
 * whole database).
 */
async function touch(t: Kysely<MonitorTables>, name: string): Promise<boolean> {
  const result = await t
    .updateTable("monitors")
    .set((eb) => ({ revision: eb.ref("revision") }))
    .where("name", "=", name)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

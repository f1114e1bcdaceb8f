import { type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { MlcycleError, notFound } from "../../core/errors.js";
import type {
  DatasetInputRecord,
  ExperimentLifecycle,
  ExperimentPatch,
  ExperimentRecord,
  MetricPoint,
  RunArtifactRecord,
  RunPatch,
  RunQuery,
  RunRecord,
  StoredRun,
  StoredRunStatus,
  TrackingStore,
} from "../tracking-store.js";
import { supersedes } from "../newest-wins.js";
import { compileWithSlots, type SqlAccelerator, type SqlPreparedStatement, slot } from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import { compileRunFilter, compileRunOrder } from "./sql-run-filter.js";

/** A row of `tracking_experiments`. */
export interface ExperimentRow {
  id: string;
  name: string;
  description: string | null;
  tags: string;
  lifecycle: string;
  created_at: number | string;
  updated_at: number | string;
}

interface RunRow {
  id: string;
  experiment_id: string;
  name: string;
  status: string;
  parent_run_id: string | null;
  start_time: number | string;
  end_time: number | string | null;
  heartbeat_at: number | string;
  error: string | null;
  lifecycle: string;
}

const toExperiment = (r: ExperimentRow): ExperimentRecord => {
  const e: ExperimentRecord = {
    id: r.id,
    name: r.name,
    tags: JSON.parse(r.tags),
    lifecycle: r.lifecycle as ExperimentLifecycle,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  if (r.description !== null) e.description = r.description;
  return e;
};

const toRun = (r: RunRow): RunRecord => {
  const run: RunRecord = {
    id: r.id,
    experimentId: r.experiment_id,
    name: r.name,
    status: r.status as StoredRunStatus,
    startTime: Number(r.start_time),
    heartbeatAt: Number(r.heartbeat_at),
  };
  if (r.parent_run_id !== null) run.parentRunId = r.parent_run_id;
  if (r.end_time !== null) run.endTime = Number(r.end_time);
  if (r.error !== null) run.error = r.error;
  if (r.lifecycle === "deleted") run.lifecycle = "deleted";
  return run;
};

/** The `tracking_runs` columns a {@link RunPatch} sets. */
function runColumns(patch: RunPatch): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.endTime !== undefined) set.end_time = patch.endTime;
  if (patch.error !== undefined) set.error = patch.error;
  if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.lifecycle !== undefined) set.lifecycle = patch.lifecycle;
  return set;
}

/** NaN is stored as NULL (SQLite REAL cannot hold it); ±Infinity round-trip natively. */
const toDb = (v: number) => (Number.isNaN(v) ? null : v);
const fromDb = (v: number | string | null) => (v === null ? Number.NaN : Number(v));

/** A JSON object aggregated by the database (text on SQLite, parsed already by some drivers). */
const parseJsonObject = (v: unknown): Record<string, unknown> =>
  v === null || v === undefined ? {} : typeof v === "string" ? JSON.parse(v) : (v as Record<string, unknown>);

/** A metric value from aggregated JSON: null is NaN; SQLite writes ±Infinity as ±9e999, PostgreSQL as text. */
const jsonMetric = (v: unknown): number => (v === null ? Number.NaN : typeof v === "number" ? v : Number(v));

const RUN_COLUMNS = [
  "r.id",
  "r.experiment_id",
  "r.name",
  "r.status",
  "r.parent_run_id",
  "r.start_time",
  "r.end_time",
  "r.heartbeat_at",
  "r.error",
  "r.lifecycle",
] as const;

/**
 * Maps a unique-constraint violation on the experiment name (two writers passing the name check at
 * once, possible on PostgreSQL) to the same `CONFLICT` the check raises.
 */
async function nameConflict<T>(database: SqlDatabase, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (database.dialect.isUniqueViolation(error) && !(error instanceof MlcycleError))
      throw new MlcycleError("CONFLICT", `an experiment named '${name}' already exists`, {
        details: { name },
        cause: error,
      });
    throw error;
  }
}

const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A prepared statement whose parameters are given in a fixed order (the order of its slots). */
interface Positional {
  stmt: SqlPreparedStatement;
  /** Maps values in slot order to the statement's parameter list (identity when null). */
  bind: ((values: unknown[]) => unknown[]) | null;
}

interface FastStatements {
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

const RUN_INSERT_COLUMNS = [
  "id",
  "experiment_id",
  "name",
  "status",
  "parent_run_id",
  "start_time",
  "end_time",
  "heartbeat_at",
  "error",
  "lifecycle",
] as const;
const METRIC_COLUMNS = ["run_id", "key", "step", "timestamp", "value"] as const;

/** Compiles a query built with slots named `names` into a statement taking values in that order. */
function positional(
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

function runPositional(p: Positional, values: unknown[]): { changes: number } {
  return p.stmt.run(p.bind ? p.bind(values) : values);
}

function getPositional(p: Positional, values: unknown[]): unknown {
  return p.stmt.get(p.bind ? p.bind(values) : values);
}

/**
 * The Kysely {@link TrackingStore}. Everything goes through Kysely with bound parameters; with the
 * database's accelerator, run starts and ends and metric batches run the same Kysely-compiled SQL as
 * prepared statements in the accelerator's group commit (one transaction shared with the writes
 * queued beside them).
 */
export class SqlTrackingStore implements TrackingStore {
  private readonly db: Kysely<any>;
  private statements?: FastStatements;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db;
  }

  // -- experiments ------------------------------------------------------------------------------

  async createExperiment(e: ExperimentRecord): Promise<void> {
    await nameConflict(this.database, e.name, () => this.insertExperiment(e));
  }

  private async insertExperiment(e: ExperimentRecord): Promise<void> {
    await writeTransaction(this.database, async (trx) => {
      const taken = await trx
        .selectFrom("tracking_experiments")
        .select("id")
        .where("name", "=", e.name)
        .executeTakeFirst();
      if (taken)
        throw new MlcycleError("CONFLICT", `an experiment named '${e.name}' already exists`, {
          details: { name: e.name },
        });
      await trx
        .insertInto("tracking_experiments")
        .values({
          id: e.id,
          name: e.name,
          description: e.description ?? null,
          tags: JSON.stringify(e.tags),
          lifecycle: e.lifecycle,
          created_at: e.createdAt,
          updated_at: e.updatedAt,
        })
        .execute();
    });
  }

  async getExperiment(id: string) {
    const r = await this.db.selectFrom("tracking_experiments").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toExperiment(r as ExperimentRow) : undefined;
  }

  async getExperimentByName(name: string) {
    const fast = this.database.accelerator;
    // Every run start looks its experiment up by name: a prepared statement when there can be one.
    if (fast && !fast.inTransaction) {
      const row = getPositional(this.prepare(fast).experimentByName, [name]) as ExperimentRow | undefined;
      return row ? toExperiment(row) : undefined;
    }
    const r = await this.db.selectFrom("tracking_experiments").selectAll().where("name", "=", name).executeTakeFirst();
    return r ? toExperiment(r as ExperimentRow) : undefined;
  }

  async listExperiments(options: { lifecycle?: ExperimentLifecycle | "all"; limit?: number }) {
    let q = this.db.selectFrom("tracking_experiments").selectAll();
    const lifecycle = options.lifecycle ?? "active";
    if (lifecycle !== "all") q = q.where("lifecycle", "=", lifecycle);
    const rows = await q
      .orderBy("created_at", "asc")
      .orderBy("id", "asc")
      .limit(options.limit ?? 1000)
      .execute();
    return (rows as ExperimentRow[]).map(toExperiment);
  }

  async updateExperiment(id: string, patch: ExperimentPatch) {
    return nameConflict(this.database, patch.name ?? "", () => this.patchExperiment(id, patch));
  }

  private async patchExperiment(id: string, patch: ExperimentPatch) {
    return writeTransaction(this.database, async (trx) => {
      const cur = (await trx.selectFrom("tracking_experiments").selectAll().where("id", "=", id).executeTakeFirst()) as
        | ExperimentRow
        | undefined;
      if (!cur) throw notFound("experiment", id);
      if (patch.name !== undefined && patch.name !== cur.name) {
        const taken = await trx
          .selectFrom("tracking_experiments")
          .select("id")
          .where("name", "=", patch.name)
          .executeTakeFirst();
        if (taken)
          throw new MlcycleError("CONFLICT", `an experiment named '${patch.name}' already exists`, {
            details: { name: patch.name },
          });
      }
      const next: ExperimentRow = {
        ...cur,
        name: patch.name ?? cur.name,
        description: patch.description ?? cur.description,
        lifecycle: patch.lifecycle ?? cur.lifecycle,
        tags: patch.tags ? JSON.stringify({ ...JSON.parse(cur.tags), ...patch.tags }) : cur.tags,
        updated_at: patch.updatedAt,
      };
      await trx
        .updateTable("tracking_experiments")
        .set({
          name: next.name,
          description: next.description,
          lifecycle: next.lifecycle,
          tags: next.tags,
          updated_at: next.updated_at,
        })
        .where("id", "=", id)
        .execute();
      return toExperiment(next);
    });
  }

  // -- runs -------------------------------------------------------------------------------------

  async createRun(run: RunRecord, params: Record<string, string>, tags: Record<string, string>) {
    const fast = this.database.accelerator;
    if (fast) {
      // The same checks and rows through prepared statements, in the write group of this turn.
      const st = this.prepare(fast);
      await fast.write(() => {
        if (!getPositional(st.experimentExists, [run.experimentId])) throw notFound("experiment", run.experimentId);
        runPositional(st.insertRun, [
          run.id,
          run.experimentId,
          run.name,
          run.status,
          run.parentRunId ?? null,
          run.startTime,
          run.endTime ?? null,
          run.heartbeatAt,
          run.error ?? null,
          run.lifecycle ?? "active",
        ]);
        for (const [k, v] of Object.entries(params)) runPositional(st.insertParam, [run.id, k, v]);
        for (const [k, v] of Object.entries(tags)) runPositional(st.insertTag, [run.id, k, v]);
      });
      return;
    }
    await writeTransaction(this.database, async (trx) => {
      const exp = await trx
        .selectFrom("tracking_experiments")
        .select("id")
        .where("id", "=", run.experimentId)
        .executeTakeFirst();
      if (!exp) throw notFound("experiment", run.experimentId);
      await trx
        .insertInto("tracking_runs")
        .values({
          id: run.id,
          experiment_id: run.experimentId,
          name: run.name,
          status: run.status,
          parent_run_id: run.parentRunId ?? null,
          start_time: run.startTime,
          end_time: run.endTime ?? null,
          heartbeat_at: run.heartbeatAt,
          error: run.error ?? null,
          lifecycle: run.lifecycle ?? "active",
        })
        .execute();
      for (const [table, rec] of [
        ["tracking_params", params],
        ["tracking_tags", tags],
      ] as const) {
        const rows = Object.entries(rec).map(([key, value]) => ({ run_id: run.id, key, value }));
        for (const c of chunks(rows, 200)) await trx.insertInto(table).values(c).execute();
      }
    });
  }

  async getRun(id: string) {
    const [run] = await this.withDetails(this.db.selectFrom("tracking_runs as r").where("r.id", "=", id));
    return run;
  }

  private async requireRun(trx: Kysely<any>, id: string): Promise<void> {
    const r = await trx.selectFrom("tracking_runs").select("id").where("id", "=", id).executeTakeFirst();
    if (!r) throw notFound("run", id);
  }

  async updateRun(id: string, patch: RunPatch) {
    const fast = this.database.accelerator;
    if (fast) {
      const update = this.updateRunPrepared(fast, id, patch);
      await fast.write(update);
      return;
    }
    await writeTransaction(this.database, (trx) => this.updateRunIn(trx, id, patch));
  }

  /**
   * A run update as a synchronous work for the accelerator's group commit (`NOT_FOUND` when the run
   * is missing): how a pipeline step's commit ends its tracking run in the step's transaction.
   */
  updateRunPrepared(fast: SqlAccelerator, id: string, patch: RunPatch): () => void {
    const set = runColumns(patch);
    const keys = Object.keys(set);
    const st = this.prepare(fast);
    let update: Positional | undefined;
    if (keys.length) {
      // One statement per set of patched columns (run ends always patch the same ones); the
      // column names come from the fixed list of `runColumns`, never from input.
      const sig = keys.join(",");
      update = st.updates.get(sig);
      if (!update) {
        const query = this.db
          .updateTable("tracking_runs")
          .set(Object.fromEntries(keys.map((k) => [k, slot(k)])))
          .where("id", "=", slot("$id"));
        st.updates.set(sig, (update = positional(fast, query, [...keys, "$id"])));
      }
    }
    const values = [...keys.map((k) => set[k]), id];
    return () => {
      if (!getPositional(st.runExists, [id])) throw notFound("run", id);
      if (update) runPositional(update, values);
    };
  }

  /** A run update inside the caller's transaction (`NOT_FOUND` when the run is missing). */
  async updateRunIn(trx: Kysely<any>, id: string, patch: RunPatch): Promise<void> {
    const set = runColumns(patch);
    await this.requireRun(trx, id);
    if (Object.keys(set).length) await trx.updateTable("tracking_runs").set(set).where("id", "=", id).execute();
  }

  async heartbeat(runIds: readonly string[], at: number) {
    if (runIds.length === 0) return;
    await writeTransaction(this.database, async (trx) => {
      for (const c of chunks(runIds))
        await trx
          .updateTable("tracking_runs")
          .set({ heartbeat_at: at })
          .where("id", "in", c)
          .where("status", "=", "running")
          .execute();
    });
  }

  async childRunIds(parentRunId: string) {
    const rows = await this.db
      .selectFrom("tracking_runs")
      .select("id")
      .where("parent_run_id", "=", parentRunId)
      .orderBy("start_time", "asc")
      .orderBy("id", "asc")
      .execute();
    return rows.map((r: { id: string }) => r.id);
  }

  // -- params and tags --------------------------------------------------------------------------

  async logParams(runId: string, params: Record<string, string>) {
    const entries = Object.entries(params);
    await writeTransaction(this.database, async (trx) => {
      await this.requireRun(trx, runId);
      if (entries.length === 0) return;
      const stored = new Map<string, string>();
      for (const c of chunks(entries.map(([k]) => k))) {
        const rows = await trx
          .selectFrom("tracking_params")
          .select(["key", "value"])
          .where("run_id", "=", runId)
          .where("key", "in", c)
          .execute();
        for (const r of rows as Array<{ key: string; value: string }>) stored.set(r.key, r.value);
      }
      for (const [k, v] of entries) {
        const cur = stored.get(k);
        if (cur !== undefined && cur !== v)
          throw new MlcycleError(
            "CONFLICT",
            `param '${k}' of run ${runId} is '${cur.slice(0, 100)}'; params are immutable, cannot set '${v.slice(0, 100)}'`,
            { details: { runId, key: k, stored: cur, value: v } },
          );
      }
      const fresh = entries.filter(([k]) => !stored.has(k)).map(([key, value]) => ({ run_id: runId, key, value }));
      for (const c of chunks(fresh, 200)) await trx.insertInto("tracking_params").values(c).execute();
    });
  }

  async setTags(runId: string, tags: Record<string, string>) {
    const rows = Object.entries(tags).map(([key, value]) => ({ run_id: runId, key, value }));
    await writeTransaction(this.database, async (trx) => {
      await this.requireRun(trx, runId);
      for (const c of chunks(rows, 200))
        await trx
          .insertInto("tracking_tags")
          .values(c)
          .onConflict((oc) =>
            oc.columns(["run_id", "key"]).doUpdateSet({ value: (eb: any) => eb.ref("excluded.value") }),
          )
          .execute();
    });
  }

  async deleteTag(runId: string, key: string) {
    await writeTransaction(this.database, async (trx) => {
      await this.requireRun(trx, runId);
      await trx.deleteFrom("tracking_tags").where("run_id", "=", runId).where("key", "=", key).execute();
    });
  }

  // -- metrics ----------------------------------------------------------------------------------

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

  async logMetrics(points: readonly MetricPoint[]) {
    if (points.length === 0) return;
    const latest = SqlTrackingStore.newestPerKey(points);
    const runIds = [...new Set(latest.map((p) => p.runId))];
    if (this.database.accelerator) return this.logMetricsPrepared(this.database.accelerator, points, runIds, latest);
    await writeTransaction(this.database, async (trx) => {
      for (const id of runIds) await this.requireRun(trx, id);
      const rows = points.map((p) => ({
        run_id: p.runId,
        key: p.key,
        step: p.step,
        timestamp: p.timestamp,
        value: toDb(p.value),
      }));
      for (const c of chunks(rows, 1000)) await trx.insertInto("tracking_metrics").values(c).execute();
      for (const p of latest)
        await this.latestUpsert(trx, {
          run_id: p.runId,
          key: p.key,
          step: p.step,
          timestamp: p.timestamp,
          value: toDb(p.value),
        }).execute();
    });
  }

  /** The newest-wins upsert of a metric's latest value (the rule is the dialect's `upsertIfNewer`). */
  private latestUpsert(db: Kysely<any>, row: Record<(typeof METRIC_COLUMNS)[number], unknown>) {
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
          })
          .where(this.database.dialect.upsertIfNewer("tracking_latest_metrics", ["step", "timestamp"])),
      );
  }

  private prepare(fast: SqlAccelerator): FastStatements {
    if (this.statements) return this.statements;
    const slots = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, slot(n)]));
    const exists = (table: string) =>
      positional(fast, this.db.selectFrom(table).select(sql.lit(1).as("found")).where("id", "=", slot("id")), ["id"]);
    const keyValue = (table: string) =>
      positional(fast, this.db.insertInto(table).values(slots(["run_id", "key", "value"])), ["run_id", "key", "value"]);
    this.statements = {
      insertMetric: positional(
        fast,
        this.db.insertInto("tracking_metrics").values(slots(METRIC_COLUMNS)),
        METRIC_COLUMNS,
      ),
      upsertLatest: positional(fast, this.latestUpsert(this.db, slots(METRIC_COLUMNS) as never), METRIC_COLUMNS),
      runExists: exists("tracking_runs"),
      experimentExists: exists("tracking_experiments"),
      experimentByName: positional(
        fast,
        this.db.selectFrom("tracking_experiments").selectAll().where("name", "=", slot("name")),
        ["name"],
      ),
      insertRun: positional(
        fast,
        this.db.insertInto("tracking_runs").values(slots(RUN_INSERT_COLUMNS)),
        RUN_INSERT_COLUMNS,
      ),
      insertParam: keyValue("tracking_params"),
      insertTag: keyValue("tracking_tags"),
      updates: new Map(),
    };
    return this.statements;
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
    const st = this.prepare(fast);
    await fast.write(() => {
      for (const id of runIds) if (!getPositional(st.runExists, [id])) throw notFound("run", id);
      const ins = st.insertMetric;
      for (const p of points) runPositional(ins, [p.runId, p.key, p.step, p.timestamp, toDb(p.value)]);
      for (const p of latest) runPositional(st.upsertLatest, [p.runId, p.key, p.step, p.timestamp, toDb(p.value)]);
    });
  }

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
    if (rows.length === 0) await this.requireRun(this.db, runId);
    return rows.map((r) => ({ value: fromDb(r.value), step: Number(r.step), timestamp: Number(r.timestamp) }));
  }

  // -- artifacts and inputs ---------------------------------------------------------------------

  async putArtifact(runId: string, a: RunArtifactRecord) {
    await writeTransaction(this.database, async (trx) => {
      await this.requireRun(trx, runId);
      await trx
        .insertInto("tracking_artifacts")
        .values({ run_id: runId, path: a.path, digest: a.digest, size: a.size, created_at: a.createdAt })
        .onConflict((oc) =>
          oc.columns(["run_id", "path"]).doUpdateSet({
            digest: (eb: any) => eb.ref("excluded.digest"),
            size: (eb: any) => eb.ref("excluded.size"),
            created_at: (eb: any) => eb.ref("excluded.created_at"),
          }),
        )
        .execute();
    });
  }

  async listArtifacts(runId: string) {
    await this.requireRun(this.db, runId);
    const rows = await this.db
      .selectFrom("tracking_artifacts")
      .select(["path", "digest", "size", "created_at"])
      .where("run_id", "=", runId)
      .orderBy("path", "asc")
      .execute();
    return rows.map((r: any) => ({
      path: r.path,
      digest: r.digest,
      size: Number(r.size),
      createdAt: Number(r.created_at),
    }));
  }

  async getArtifact(runId: string, path: string) {
    await this.requireRun(this.db, runId);
    const r: any = await this.db
      .selectFrom("tracking_artifacts")
      .select(["path", "digest", "size", "created_at"])
      .where("run_id", "=", runId)
      .where("path", "=", path)
      .executeTakeFirst();
    return r ? { path: r.path, digest: r.digest, size: Number(r.size), createdAt: Number(r.created_at) } : undefined;
  }

  async logInput(runId: string, input: DatasetInputRecord) {
    await writeTransaction(this.database, async (trx) => {
      await this.requireRun(trx, runId);
      await trx
        .insertInto("tracking_inputs")
        .values({
          run_id: runId,
          digest: input.digest,
          context: input.context ?? "",
          name: input.name,
          schema: input.schema === undefined ? null : JSON.stringify(input.schema),
          source: input.source ?? null,
          created_at: input.createdAt,
        })
        .onConflict((oc) => oc.columns(["run_id", "digest", "context"]).doNothing())
        .execute();
    });
  }

  async listInputs(runId: string) {
    await this.requireRun(this.db, runId);
    const rows = await this.db
      .selectFrom("tracking_inputs")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("created_at", "asc")
      .orderBy("name", "asc")
      .execute();
    return rows.map((r: any) => {
      const d: DatasetInputRecord = { name: r.name, digest: r.digest, createdAt: Number(r.created_at) };
      if (r.context !== "") d.context = r.context;
      if (r.schema !== null) d.schema = JSON.parse(r.schema);
      if (r.source !== null) d.source = r.source;
      return d;
    });
  }

  // -- search -----------------------------------------------------------------------------------

  async searchRuns(query: RunQuery): Promise<StoredRun[]> {
    const { joins, keys } = compileRunOrder(query.orderBy, query.crashedBefore);
    const dir = (k: { descending: boolean }) => sql.raw(k.descending ? "desc" : "asc");
    // The page is chosen on ids and sort keys alone; params, tags and latest metrics are then
    // aggregated for the page's runs only, in the same statement, re-sorted on the page's keys.
    let page = this.db.selectFrom("tracking_runs as r").select(["r.id", ...keys.map((k, i) => k.expr.as(`k${i}`))]);
    for (const j of joins)
      page = page.leftJoin(`${j.table} as ${j.alias}`, (join) =>
        join.onRef(`${j.alias}.run_id`, "=", "r.id").on(`${j.alias}.key`, "=", j.key),
      );
    if (query.experimentIds.length) page = page.where("r.experiment_id", "in", query.experimentIds);
    const lifecycle = query.lifecycle ?? "active";
    if (lifecycle !== "all") page = page.where("r.lifecycle", "=", lifecycle);
    if (query.filter) page = page.where(compileRunFilter(query.filter, this.database.dialect, query.crashedBefore));
    for (const k of keys) page = page.orderBy(sql`${k.expr} ${dir(k)}`);
    let from = this.db
      .selectFrom(page.limit(query.limit).offset(query.offset).as("page"))
      .innerJoin("tracking_runs as r", "r.id", "page.id");
    keys.forEach((k, i) => {
      from = from.orderBy(sql`${sql.ref(`page.k${i}`)} ${dir(k)}`);
    });
    return this.withDetails(from);
  }

  /**
   * Selects the run columns of `r` with its params, tags and latest metrics aggregated to JSON in
   * the database (far fewer rows to materialise than one per key), and maps the rows.
   */
  private async withDetails(from: SelectQueryBuilder<any, any, any>): Promise<StoredRun[]> {
    const agg = (table: string) =>
      sql<
        string | null
      >`(select ${this.database.dialect.jsonObjectAgg(sql.ref("x.key"), sql.ref("x.value"))} from ${sql.table(table)} as x where x.run_id = ${sql.ref("r.id")})`;
    const rows = (await from
      .select([
        ...RUN_COLUMNS,
        agg("tracking_params").as("params_json"),
        agg("tracking_tags").as("tags_json"),
        agg("tracking_latest_metrics").as("metrics_json"),
      ])
      .execute()) as Array<RunRow & { params_json: unknown; tags_json: unknown; metrics_json: unknown }>;
    return rows.map((r) => {
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(parseJsonObject(r.metrics_json))) metrics[k] = jsonMetric(v);
      return {
        ...toRun(r),
        params: parseJsonObject(r.params_json) as Record<string, string>,
        tags: parseJsonObject(r.tags_json) as Record<string, string>,
        metrics,
      };
    });
  }
}

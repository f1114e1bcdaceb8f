import type { Kysely } from "kysely";
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
  TrackingStore,
} from "../tracking-store.js";
import { type SqlAccelerator, slot } from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import { SqlExperimentStore } from "./sql-experiment-store.js";
import { SqlMetricStore } from "./sql-metric-store.js";
import { runsWithDetails, searchRuns } from "./sql-run-search.js";
import {
  getPositional,
  type Positional,
  positional,
  runPositional,
  SqlTrackingStatements,
} from "./sql-tracking-statements.js";
import { chunks, requireRun, runColumns } from "./sql-tracking-tables.js";

export type { ExperimentRow } from "./sql-tracking-tables.js";

/**
 * The Kysely {@link TrackingStore}. Everything goes through Kysely with bound parameters; with the
 * database's accelerator, run starts and ends and metric batches run the same Kysely-compiled SQL as
 * prepared statements in the accelerator's group commit (one transaction shared with the writes
 * queued beside them).
 *
 * Runs, their params, tags, artifacts and inputs are written here; experiments
 * (`sql-experiment-store.ts`), metrics (`sql-metric-store.ts`) and the run search
 * (`sql-run-search.ts`) each have their own file, and this class delegates to them.
 */
export class SqlTrackingStore implements TrackingStore {
  private readonly db: Kysely<any>;
  private readonly statements: SqlTrackingStatements;
  private readonly experiments: SqlExperimentStore;
  private readonly metrics: SqlMetricStore;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db;
    this.statements = new SqlTrackingStatements(database);
    this.experiments = new SqlExperimentStore(database, this.statements);
    this.metrics = new SqlMetricStore(database, this.statements);
  }

  // -- experiments ------------------------------------------------------------------------------

  createExperiment(e: ExperimentRecord): Promise<void> {
    return this.experiments.createExperiment(e);
  }

  getExperiment(id: string) {
    return this.experiments.getExperiment(id);
  }

  getExperimentByName(name: string) {
    return this.experiments.getExperimentByName(name);
  }

  listExperiments(options: { lifecycle?: ExperimentLifecycle | "all"; limit?: number }) {
    return this.experiments.listExperiments(options);
  }

  updateExperiment(id: string, patch: ExperimentPatch) {
    return this.experiments.updateExperiment(id, patch);
  }

  // -- runs -------------------------------------------------------------------------------------

  async createRun(run: RunRecord, params: Record<string, string>, tags: Record<string, string>) {
    try {
      await this.insertRun(run, params, tags);
    } catch (error) {
      // Param and tag keys are unique within their records, so a unique violation here is the run id.
      if (this.database.dialect.isUniqueViolation(error))
        throw new MlcycleError("CONFLICT", `a run with id ${run.id} already exists; run ids must be unique`, {
          cause: error,
          details: { runId: run.id },
        });
      throw error;
    }
  }

  private async insertRun(run: RunRecord, params: Record<string, string>, tags: Record<string, string>) {
    const fast = this.database.accelerator;
    if (fast) {
      // The same checks and rows through prepared statements, in the write group of this turn.
      const st = this.statements.prepare(fast);
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
    const [run] = await runsWithDetails(this.database, this.db.selectFrom("tracking_runs as r").where("r.id", "=", id));
    return run;
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
    const st = this.statements.prepare(fast);
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
    await requireRun(trx, id);
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
      await requireRun(trx, runId);
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
      await requireRun(trx, runId);
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
      await requireRun(trx, runId);
      await trx.deleteFrom("tracking_tags").where("run_id", "=", runId).where("key", "=", key).execute();
    });
  }

  // -- artifacts and inputs ---------------------------------------------------------------------

  async putArtifact(runId: string, a: RunArtifactRecord) {
    await writeTransaction(this.database, async (trx) => {
      await requireRun(trx, runId);
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
    await requireRun(this.db, runId);
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
    await requireRun(this.db, runId);
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
      await requireRun(trx, runId);
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
    await requireRun(this.db, runId);
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

  // -- metrics ----------------------------------------------------------------------------------

  logMetrics(points: readonly MetricPoint[]) {
    return this.metrics.logMetrics(points);
  }

  metricHistory(runId: string, key: string, range: { startStep?: number; endStep?: number } = {}) {
    return this.metrics.metricHistory(runId, key, range);
  }

  metricHistoryDownsampled(
    runId: string,
    key: string,
    maxPoints: number,
    range: { startStep?: number; endStep?: number } = {},
  ) {
    return this.metrics.metricHistoryDownsampled(runId, key, maxPoints, range);
  }

  metricHistoryPage(runId: string, key: string, page: { offset: number; limit: number }) {
    return this.metrics.metricHistoryPage(runId, key, page);
  }

  // -- search -----------------------------------------------------------------------------------

  searchRuns(query: RunQuery): Promise<StoredRun[]> {
    return searchRuns(this.database, query);
  }
}

import type { Kysely } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import {
  COMPLETED_STEP_STATUSES,
  type CacheEntry,
  type PipelineRunFilter,
  type PipelineRunRecord,
  type PipelineRunStatus,
  type PipelineStore,
  type RunLease,
  type RunLeaseOutcome,
  type StepClaim,
  type StepCommit,
  type StepRunRecord,
  type StepRunStatus,
  claimedStep,
} from "../pipeline-store.js";
import type { LineageNode } from "../lineage-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import { SqlLineageStore } from "./sql-lineage-store.js";
import { type CacheTexts, SqlPipelineCacheStore } from "./sql-pipeline-cache-store.js";
import { type Hot, SqlPipelineHotStatements, v } from "./sql-pipeline-hot-statements.js";
import { json, type RunRow, type StepRow, type Tables } from "./sql-pipeline-tables.js";
import { acquireRunRow, type LeaseDb, leaseColumns, leaseOf, renewLeaseRow } from "./sql-run-lease.js";
import { SqlTrackingStore } from "./sql-tracking-store.js";

const num = (v: number | string | null) => (v === null ? undefined : Number(v));

function toRun(r: RunRow): PipelineRunRecord {
  const run: PipelineRunRecord = {
    id: r.id,
    pipeline: r.pipeline,
    version: r.version,
    status: r.status as PipelineRunStatus,
    params: JSON.parse(r.params),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  if (r.tracking_run_id !== null) run.trackingRunId = r.tracking_run_id;
  if (r.trigger_name !== null) run.trigger = r.trigger_name;
  if (r.options !== null) run.options = JSON.parse(r.options);
  if (r.finished_at !== null) run.finishedAt = Number(r.finished_at);
  if (r.error !== null) run.error = JSON.parse(r.error);
  const lease = leaseOf(r);
  if (lease) run.lease = lease;
  return run;
}

function toStep(r: StepRow): StepRunRecord {
  const s: StepRunRecord = {
    runId: r.run_id,
    step: r.step,
    status: r.status as StepRunStatus,
    attempts: Number(r.attempts),
    cacheHit: Boolean(Number(r.cache_hit)),
    updatedAt: Number(r.updated_at),
  };
  if (r.claim_token !== null) s.claimToken = r.claim_token;
  if (r.started_at !== null) s.startedAt = num(r.started_at);
  if (r.finished_at !== null) s.finishedAt = num(r.finished_at);
  if (r.error !== null) s.error = JSON.parse(r.error);
  if (r.cache_key !== null) s.cacheKey = r.cache_key;
  if (r.cache_components !== null) s.cacheComponents = JSON.parse(r.cache_components);
  if (r.output !== null) s.output = JSON.parse(r.output);
  if (r.tracking_run_id !== null) s.trackingRunId = r.tracking_run_id;
  if (r.reason !== null) s.reason = r.reason;
  if (r.items !== null) s.items = Number(r.items);
  if (r.logs !== null) s.logs = JSON.parse(r.logs);
  return s;
}

function stepColumns(r: Omit<StepRunRecord, "runId" | "step" | "claimToken">) {
  return {
    status: r.status,
    attempts: r.attempts,
    started_at: r.startedAt ?? null,
    finished_at: r.finishedAt ?? null,
    error: json(r.error),
    cache_key: r.cacheKey ?? null,
    cache_components: json(r.cacheComponents),
    cache_hit: r.cacheHit ? 1 : 0,
    output: json(r.output),
    tracking_run_id: r.trackingRunId ?? null,
    reason: r.reason ?? null,
    items: r.items ?? null,
    logs: r.logs?.length ? JSON.stringify(r.logs) : null,
    updated_at: r.updatedAt,
  };
}

/**
 * The JSON a step's cache entry shares with its step record: the engine hands both the same
 * components and output objects, so each is encoded once per commit, not once per row.
 */
function sharedTexts(
  record: Omit<StepRunRecord, "runId" | "step" | "claimToken">,
  cols: ReturnType<typeof stepColumns>,
  entry: CacheEntry,
): CacheTexts {
  const texts: CacheTexts = {};
  if (record.cacheComponents === entry.components && cols.cache_components !== null)
    texts.components = cols.cache_components;
  if (record.output === entry.output && cols.output !== null) texts.output = cols.output;
  return texts;
}

/** Options of {@link SqlPipelineStore}. */
export interface SqlPipelineStoreOptions {
  /** The tracking store {@link SqlPipelineStore.commitStep} ends step runs through (default: one on the same database). */
  tracking?: SqlTrackingStore;
  /** The lineage store {@link SqlPipelineStore.commitStep} writes through (default: one on the same database). */
  lineage?: SqlLineageStore;
}

/**
 * The Kysely {@link PipelineStore}. Claims are one conditional upsert (`INSERT … SELECT … WHERE run
 * is running ON CONFLICT DO UPDATE … WHERE status = 'queued'`), so they are atomic without an
 * explicit transaction on any dialect. With the database's accelerator, the per-step statements run
 * prepared, in its group commit.
 *
 * Runs, steps and step commits are written here; the step cache lives in
 * `sql-pipeline-cache-store.ts`, which this class delegates to.
 */
export class SqlPipelineStore implements PipelineStore {
  private readonly db: Kysely<Tables>;
  private readonly tracking: SqlTrackingStore;
  private readonly lineage: SqlLineageStore;

  private readonly hot: SqlPipelineHotStatements;
  private readonly cache: SqlPipelineCacheStore;

  constructor(
    readonly database: SqlDatabase,
    options: SqlPipelineStoreOptions = {},
  ) {
    this.db = database.db as Kysely<Tables>;
    this.tracking = options.tracking ?? new SqlTrackingStore(database);
    this.lineage = options.lineage ?? new SqlLineageStore(database);
    this.hot = new SqlPipelineHotStatements(database);
    this.cache = new SqlPipelineCacheStore(database, this.hot);
  }

  async createRun(run: PipelineRunRecord): Promise<void> {
    try {
      await this.db
        .insertInto("pipeline_runs")
        .values({
          id: run.id,
          pipeline: run.pipeline,
          version: run.version,
          status: run.status,
          params: JSON.stringify(run.params ?? null),
          tracking_run_id: run.trackingRunId ?? null,
          trigger_name: run.trigger ?? null,
          options: json(run.options),
          created_at: run.createdAt,
          updated_at: run.updatedAt,
          finished_at: run.finishedAt ?? null,
          error: json(run.error),
          ...leaseColumns(run.lease),
        })
        .execute();
    } catch (error) {
      if (await this.getRun(run.id))
        throw new MlcycleError("CONFLICT", `pipeline run '${run.id}' exists already`, { cause: error });
      throw error;
    }
  }

  async getRun(id: string) {
    const r = await this.db.selectFrom("pipeline_runs").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toRun(r) : undefined;
  }

  async updateRun(id: string, patch: Partial<PipelineRunRecord>): Promise<void> {
    const set: Partial<RunRow> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (patch.error !== undefined) set.error = json(patch.error);
    if (patch.trackingRunId !== undefined) set.tracking_run_id = patch.trackingRunId;
    if (patch.updatedAt !== undefined) set.updated_at = patch.updatedAt;
    if (Object.keys(set).length === 0) return;
    const res = await this.db.updateTable("pipeline_runs").set(set).where("id", "=", id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new MlcycleError("NOT_FOUND", `pipeline run '${id}' not found`);
  }

  async acquireRun(runId: string, lease: RunLease, now: number): Promise<RunLeaseOutcome> {
    const acquired = await acquireRunRow(this.db as unknown as LeaseDb, runId, lease, now);
    const run = await this.getRun(runId);
    return acquired && run ? { acquired: true, run } : { acquired: false, run };
  }

  renewLease(runId: string, lease: RunLease): Promise<boolean> {
    return renewLeaseRow(this.db as unknown as LeaseDb, runId, lease);
  }

  async listRuns(filter: PipelineRunFilter = {}) {
    let q = this.db.selectFrom("pipeline_runs").selectAll();
    if (filter.pipeline !== undefined) q = q.where("pipeline", "=", filter.pipeline);
    if (filter.status !== undefined) q = q.where("status", "=", filter.status);
    const rows = await q
      .orderBy("id", "desc")
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRun);
  }

  /** The claim's upsert; with `replaces`, it also takes a `running` step held under that token. */
  private claimQuery(values: { runId: string; step: string; token: string; now: number }, replaces?: string) {
    return this.db
      .insertInto("pipeline_steps")
      .columns(["run_id", "step", "status", "attempts", "claim_token", "started_at", "cache_hit", "updated_at"])
      .expression((eb) =>
        eb
          .selectFrom("pipeline_runs")
          .select([
            eb.val(values.runId).as("run_id"),
            eb.val(values.step).as("step"),
            eb.val("running").as("status"),
            eb.val(0).as("attempts"),
            eb.val(values.token).as("claim_token"),
            eb.val(values.now).as("started_at"),
            eb.val(0).as("cache_hit"),
            eb.val(values.now).as("updated_at"),
          ])
          .where("id", "=", values.runId)
          .where("status", "=", "running"),
      )
      .onConflict((oc) =>
        oc
          .columns(["run_id", "step"])
          .doUpdateSet({
            status: "running",
            attempts: 0,
            claim_token: values.token,
            started_at: values.now,
            updated_at: values.now,
          })
          .where((eb) =>
            replaces === undefined
              ? eb("pipeline_steps.status", "=", "queued")
              : eb.or([
                  eb("pipeline_steps.status", "=", "queued"),
                  eb.and([
                    eb("pipeline_steps.status", "=", "running"),
                    eb("pipeline_steps.claim_token", "=", replaces),
                  ]),
                ]),
          ),
      );
  }

  async claimStep(runId: string, step: string, claim: StepClaim) {
    const values = { runId, step, token: claim.token, now: claim.now };
    if (claim.replaces !== undefined) {
      // A take-over is rare (a redelivery after a worker died): the plain query, not a prepared one.
      const result = await this.claimQuery(values, claim.replaces).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 0 ? undefined : claimedStep(runId, step, claim);
    }
    const hot = this.hot.get("claim", () =>
      this.claimQuery({ runId: v("runId"), step: v("step"), token: v("token"), now: v("now") as never }),
    );
    const fast = this.database.accelerator;
    const changed =
      hot && fast
        ? await fast.write(() => hot.stmt.run(hot.query.bind(values)).changes)
        : Number((await this.claimQuery(values).executeTakeFirst()).numInsertedOrUpdatedRows ?? 0);
    if (changed === 0) return undefined;
    return claimedStep(runId, step, claim);
  }

  async completeStep(
    runId: string,
    step: string,
    token: string,
    record: Omit<StepRunRecord, "runId" | "step" | "claimToken">,
    cache?: CacheEntry,
  ) {
    const cols = stepColumns(record);
    const fast = this.database.accelerator;
    const hot = this.completeHot();
    const cacheHot = cache ? this.cache.hotCache(cache, sharedTexts(record, cols, cache)) : undefined;
    if (fast && hot && (!cache || cacheHot)) {
      const args = hot.query.bind({ $runId: runId, $step: step, $token: token, ...cols });
      // The cache entry and the step's outcome in one transaction, shared with the other writes
      // of this turn: one commit per step.
      return fast.write(() => {
        if (cacheHot) cacheHot.run();
        return hot.stmt.run(args).changes > 0;
      });
    }
    // A cache entry is true whoever commits the step (it maps an input to the output it gave), so
    // it need not share the step's transaction.
    if (cache) await this.putCache(cache);
    return this.completeIn(this.db, runId, step, token, cols);
  }

  private completeHot(): Hot | undefined {
    return this.hot.get("complete", () =>
      this.db
        .updateTable("pipeline_steps")
        .set(
          Object.fromEntries(
            Object.keys(stepColumns({ status: "running", attempts: 0, cacheHit: false, updatedAt: 0 })).map((k) => [
              k,
              v(k),
            ]),
          ) as never,
        )
        .where("run_id", "=", v("$runId"))
        .where("step", "=", v("$step"))
        .where("status", "=", "running")
        .where("claim_token", "=", v("$token")),
    );
  }

  private async completeIn(
    db: Kysely<Tables>,
    runId: string,
    step: string,
    token: string,
    cols: ReturnType<typeof stepColumns>,
  ): Promise<boolean> {
    const res = await db
      .updateTable("pipeline_steps")
      .set(cols)
      .where("run_id", "=", runId)
      .where("step", "=", step)
      .where("status", "=", "running")
      .where("claim_token", "=", token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * The step's outcome, cache entry, tracking-run end and lineage in one transaction, written only
   * when `token` still holds the claim. With an accelerator: ONE work of its group commit (prepared
   * statements; the work is all-or-nothing even when other writes share the transaction). Without:
   * one write transaction of the dialect.
   */
  async commitStep(commit: StepCommit): Promise<{ committed: boolean; lineage: LineageNode[] }> {
    const cols = stepColumns(commit.record);
    const fast = this.database.accelerator;
    const hot = this.completeHot();
    const cacheHot = commit.cache
      ? this.cache.hotCache(commit.cache, sharedTexts(commit.record, cols, commit.cache))
      : undefined;
    if (fast && hot && (!commit.cache || cacheHot)) {
      const args = hot.query.bind({ $runId: commit.runId, $step: commit.step, $token: commit.token, ...cols });
      const endRun = commit.trackingRun
        ? this.tracking.updateRunPrepared(fast, commit.trackingRun.id, commit.trackingRun.patch)
        : undefined;
      const putLineage = commit.lineage
        ? this.lineage.putBatchPrepared(fast, commit.lineage.nodes, commit.lineage.edges)
        : undefined;
      return fast.write(() => {
        if (hot.stmt.run(args).changes === 0) return { committed: false, lineage: [] };
        cacheHot?.run();
        endRun?.();
        return { committed: true, lineage: putLineage ? putLineage() : [] };
      });
    }
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      if (!(await this.completeIn(db, commit.runId, commit.step, commit.token, cols)))
        return { committed: false, lineage: [] };
      if (commit.cache)
        await this.cache
          .cacheQuery(db, this.cache.cacheRow(commit.cache, sharedTexts(commit.record, cols, commit.cache)))
          .execute();
      if (commit.trackingRun) await this.tracking.updateRunIn(trx, commit.trackingRun.id, commit.trackingRun.patch);
      const lineage = commit.lineage
        ? await this.lineage.putBatchIn(trx, commit.lineage.nodes, commit.lineage.edges)
        : [];
      return { committed: true, lineage };
    });
  }

  async putStep(record: StepRunRecord): Promise<void> {
    await this.db
      .insertInto("pipeline_steps")
      .values({
        run_id: record.runId,
        step: record.step,
        claim_token: record.claimToken ?? null,
        ...stepColumns(record),
      })
      .onConflict((oc) =>
        oc
          .columns(["run_id", "step"])
          .doUpdateSet({ claim_token: record.claimToken ?? null, ...stepColumns(record) })
          .where("pipeline_steps.status", "not in", [...COMPLETED_STEP_STATUSES]),
      )
      .execute();
  }

  async getStep(runId: string, step: string) {
    const r = await this.db
      .selectFrom("pipeline_steps")
      .selectAll()
      .where("run_id", "=", runId)
      .where("step", "=", step)
      .executeTakeFirst();
    return r ? toStep(r) : undefined;
  }

  async listSteps(runId: string) {
    const rows = await this.db.selectFrom("pipeline_steps").selectAll().where("run_id", "=", runId).execute();
    return rows.map(toStep);
  }

  async resetIncomplete(runId: string, now: number) {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      const run = await db.selectFrom("pipeline_runs").select("id").where("id", "=", runId).executeTakeFirst();
      if (!run) throw new MlcycleError("NOT_FOUND", `pipeline run '${runId}' not found`);
      const rows = await db
        .selectFrom("pipeline_steps")
        .select("step")
        .where("run_id", "=", runId)
        .where("status", "not in", [...COMPLETED_STEP_STATUSES])
        .execute();
      await db
        .deleteFrom("pipeline_steps")
        .where("run_id", "=", runId)
        .where("status", "not in", [...COMPLETED_STEP_STATUSES])
        .execute();
      await db
        .updateTable("pipeline_runs")
        .set({ status: "running", updated_at: now, finished_at: null, error: null })
        .where("id", "=", runId)
        .execute();
      return rows.map((r) => r.step);
    });
  }

  findCache(baseKey: string) {
    return this.cache.findCache(baseKey);
  }

  listCache(step: string, limit = 50) {
    return this.cache.listCache(step, limit);
  }

  putCache(entry: CacheEntry): Promise<void> {
    return this.cache.putCache(entry);
  }

  clearCache(step?: string) {
    return this.cache.clearCache(step);
  }
}

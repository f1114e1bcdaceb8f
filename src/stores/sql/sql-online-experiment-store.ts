import { type Kysely, sql } from "kysely";
import { notFound } from "../../core/errors.js";
import { checkName } from "../../core/validation.js";
import {
  checkAggregateDeltas,
  checkEvent,
  checkExperimentFilter,
  checkNewExperiment,
  checkPatch,
  mergeAggregateDeltas,
  nameTaken,
  staleRevision,
  storedEvent,
  storedExperiment,
  storedVariant,
} from "../online-experiment-rules.js";
import type {
  NewOnlineExperiment,
  OnlineExperimentEventRecord,
  OnlineExperimentKind,
  OnlineExperimentPatch,
  OnlineExperimentRecord,
  OnlineExperimentStatus,
  OnlineExperimentStore,
  VariantAggregateRecord,
} from "../online-experiment-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";

interface ExperimentRow {
  name: string;
  id: string;
  deployment: string;
  kind: string;
  status: string;
  salt: string;
  variants: string;
  config: string;
  state: string;
  revision: number | string;
  created_at: number | string;
  updated_at: number | string;
}
interface EventRow {
  experiment: string;
  seq: number | string;
  action: string;
  actor: string;
  reason: string;
  details: string;
  at: number | string;
}
interface AggregateRow {
  experiment: string;
  variant: string;
  metric: string;
  n: number | string;
  sum: number | string;
  sum_squares: number | string;
  covariate_sum: number | string;
  covariate_sum_squares: number | string;
  product_sum: number | string;
}
interface Tables {
  online_experiments: ExperimentRow;
  online_experiment_events: EventRow;
  online_experiment_aggregates: AggregateRow;
}

const AGGREGATE_COLUMNS = 9;
/** The sum columns, each added to by `addAggregates`. */
const SUM_COLUMNS = ["n", "sum", "sum_squares", "covariate_sum", "covariate_sum_squares", "product_sum"] as const;

/** The row of a record `storedExperiment` gave: JSON members as the text they read back from. */
function toRow(r: OnlineExperimentRecord): ExperimentRow {
  return {
    name: r.name,
    id: r.id,
    deployment: r.deployment,
    kind: r.kind,
    status: r.status,
    salt: r.salt,
    variants: JSON.stringify(r.variants),
    config: JSON.stringify(r.config),
    state: JSON.stringify(r.state),
    revision: r.revision,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** A row read back as `storedExperiment` gives the record (same members, same order). */
function fromRow(r: ExperimentRow): OnlineExperimentRecord {
  return {
    id: r.id,
    name: r.name,
    deployment: r.deployment,
    kind: r.kind as OnlineExperimentKind,
    status: r.status as OnlineExperimentStatus,
    salt: r.salt,
    variants: JSON.parse(r.variants),
    config: JSON.parse(r.config),
    state: JSON.parse(r.state),
    revision: Number(r.revision),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A trail row read back as `storedEvent` gives the entry. */
function fromEventRow(r: EventRow): OnlineExperimentEventRecord {
  return {
    seq: Number(r.seq),
    experiment: r.experiment,
    action: r.action,
    actor: r.actor,
    reason: r.reason,
    details: JSON.parse(r.details),
    at: Number(r.at),
  };
}

function fromAggregateRow(r: AggregateRow): VariantAggregateRecord {
  return {
    variant: r.variant,
    metric: r.metric,
    sums: {
      n: Number(r.n),
      sum: Number(r.sum),
      sumSquares: Number(r.sum_squares),
      covariateSum: Number(r.covariate_sum),
      covariateSumSquares: Number(r.covariate_sum_squares),
      productSum: Number(r.product_sum),
    },
  };
}

function toAggregateRow(experiment: string, d: VariantAggregateRecord): AggregateRow {
  return {
    experiment,
    variant: d.variant,
    metric: d.metric,
    n: d.sums.n,
    sum: d.sums.sum,
    sum_squares: d.sums.sumSquares,
    covariate_sum: d.sums.covariateSum,
    covariate_sum_squares: d.sums.covariateSumSquares,
    product_sum: d.sums.productSum,
  };
}

/**
 * The Kysely {@link OnlineExperimentStore} on any {@link SqlDatabase}: experiments in
 * `online_experiments` (variants, config and state as JSON text), their trail in
 * `online_experiment_events`, their sums in `online_experiment_aggregates`, all checked by the shared
 * rules so they refuse what the memory store refuses and read back what it gives.
 *
 * - `updateExperiment` is a compare-and-set: `UPDATE … WHERE name = ? AND revision = ?`, judged by
 *   the rows it changed, with the trail entry appended in the same write transaction.
 * - `addAggregates` merges the batch per (variant, metric) and adds it with
 *   `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n, …`: the database does the addition, so
 *   writers in several processes never lose one another's deltas.
 * - A write that appends to an experiment first touches its row, which on a backend with row locks
 *   (PostgreSQL) queues it behind any other writer of the same experiment: two trail entries never
 *   take the same `seq`, and a delete cannot slip between the existence check and the write.
 *
 * @example
 * ```ts
 * const experiments = new SqlOnlineExperimentStore(openSqliteDatabase({ path: "meta.db" }));
 * ```
 */
export class SqlOnlineExperimentStore implements OnlineExperimentStore {
  private readonly db: Kysely<Tables>;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
  }

  async createExperiment(experiment: NewOnlineExperiment): Promise<OnlineExperimentRecord> {
    checkNewExperiment(experiment);
    const record = storedExperiment({ ...experiment, revision: 1, updatedAt: experiment.createdAt });
    const inserted = await writeTransaction(this.database, async (trx) => {
      const result = await (trx as Kysely<Tables>)
        .insertInto("online_experiments")
        .values(toRow(record))
        .onConflict((oc) => oc.column("name").doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0);
    });
    if (inserted === 0) throw nameTaken(record.name);
    return record;
  }

  async getExperiment(name: string): Promise<OnlineExperimentRecord | undefined> {
    checkName("name", name);
    const row = await this.db.selectFrom("online_experiments").selectAll().where("name", "=", name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async listExperiments(
    filter: { deployment?: string; status?: OnlineExperimentStatus } = {},
  ): Promise<OnlineExperimentRecord[]> {
    checkExperimentFilter(filter);
    let q = this.db.selectFrom("online_experiments").selectAll();
    if (filter.deployment !== undefined) q = q.where("deployment", "=", filter.deployment);
    if (filter.status !== undefined) q = q.where("status", "=", filter.status);
    const rows = await q.orderBy("created_at").orderBy("id").orderBy("name").execute();
    return rows.map(fromRow);
  }

  async updateExperiment(
    name: string,
    expectedRevision: number,
    patch: OnlineExperimentPatch,
    event?: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentRecord> {
    checkPatch(expectedRevision, patch, event);
    checkName("name", name);
    const set: Partial<ExperimentRow> = { revision: expectedRevision + 1, updated_at: patch.updatedAt + 0 };
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.variants !== undefined) set.variants = JSON.stringify(patch.variants.map(storedVariant));
    if (patch.config !== undefined) set.config = JSON.stringify(patch.config);
    if (patch.state !== undefined) set.state = JSON.stringify(patch.state);
    return writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      const result = await t
        .updateTable("online_experiments")
        .set(set)
        .where("name", "=", name)
        .where("revision", "=", expectedRevision)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        const stored = await t
          .selectFrom("online_experiments")
          .select("revision")
          .where("name", "=", name)
          .executeTakeFirst();
        if (!stored) throw notFound("online experiment", name);
        throw staleRevision(name, expectedRevision, Number(stored.revision));
      }
      if (event) await this.insertEvent(t, name, event);
      const row = await t
        .selectFrom("online_experiments")
        .selectAll()
        .where("name", "=", name)
        .executeTakeFirstOrThrow();
      return fromRow(row);
    });
  }

  async appendEvent(
    name: string,
    event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentEventRecord> {
    checkEvent(event);
    checkName("name", name);
    return writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      if (!(await touch(t, name))) throw notFound("online experiment", name);
      return this.insertEvent(t, name, event);
    });
  }

  async listEvents(name: string): Promise<OnlineExperimentEventRecord[]> {
    await this.existing(name);
    const rows = await this.db
      .selectFrom("online_experiment_events")
      .selectAll()
      .where("experiment", "=", name)
      .orderBy("seq")
      .execute();
    return rows.map(fromEventRow);
  }

  async addAggregates(name: string, deltas: readonly VariantAggregateRecord[]): Promise<void> {
    checkAggregateDeltas(deltas);
    checkName("name", name);
    const rows = mergeAggregateDeltas(deltas).map((d) => toAggregateRow(name, d));
    if (rows.length === 0) {
      await this.existing(name);
      return;
    }
    const perStatement = Math.max(1, Math.floor(this.database.dialect.maxBoundParameters / AGGREGATE_COLUMNS));
    const stored = (c: string) => sql.ref(`online_experiment_aggregates.${c}`);
    const incoming = (c: string) => sql.ref(`excluded.${c}`);
    const added = Object.fromEntries(SUM_COLUMNS.map((c) => [c, sql`${stored(c)} + ${incoming(c)}`]));
    await writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      if (!(await touch(t, name))) throw notFound("online experiment", name);
      for (let i = 0; i < rows.length; i += perStatement)
        await t
          .insertInto("online_experiment_aggregates")
          .values(rows.slice(i, i + perStatement))
          .onConflict((oc) => oc.columns(["experiment", "variant", "metric"]).doUpdateSet(added))
          .execute();
    });
  }

  async getAggregates(name: string): Promise<VariantAggregateRecord[]> {
    await this.existing(name);
    const rows = await this.db
      .selectFrom("online_experiment_aggregates")
      .selectAll()
      .where("experiment", "=", name)
      .orderBy("variant")
      .orderBy("metric")
      .execute();
    return rows.map(fromAggregateRow);
  }

  async deleteExperiment(name: string): Promise<boolean> {
    checkName("name", name);
    return writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      // The experiment's row first: a writer holding it (see `touch`) finishes before the rest goes.
      const result = await t.deleteFrom("online_experiments").where("name", "=", name).executeTakeFirst();
      await t.deleteFrom("online_experiment_events").where("experiment", "=", name).execute();
      await t.deleteFrom("online_experiment_aggregates").where("experiment", "=", name).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /** Appends a trail entry numbered after the last one; the experiment's row is already written to. */
  private async insertEvent(
    t: Kysely<Tables>,
    name: string,
    event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentEventRecord> {
    const last = await t
      .selectFrom("online_experiment_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("experiment", "=", name)
      .executeTakeFirst();
    const stored = storedEvent(name, Number(last?.seq ?? 0) + 1, event);
    await t
      .insertInto("online_experiment_events")
      .values({
        experiment: name,
        seq: stored.seq,
        action: stored.action,
        actor: stored.actor,
        reason: stored.reason,
        details: JSON.stringify(stored.details),
        at: stored.at,
      })
      .execute();
    return stored;
  }

  /** `NOT_FOUND` unless the experiment exists (a bad name is `VALIDATION`). */
  private async existing(name: string): Promise<void> {
    checkName("name", name);
    const row = await this.db
      .selectFrom("online_experiments")
      .select("name")
      .where("name", "=", name)
      .executeTakeFirst();
    if (!row) throw notFound("online experiment", name);
  }
}

/**
 * Writes the experiment's row without changing it, and says whether it exists. Inside a write
 * transaction this takes the row's lock on a backend with row locks, so appends and deletes of one
 * experiment run one after the other (SQLite's write transaction already locks the whole database).
 */
async function touch(t: Kysely<Tables>, name: string): Promise<boolean> {
  const result = await t
    .updateTable("online_experiments")
    .set((eb) => ({ revision: eb.ref("revision") }))
    .where("name", "=", name)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

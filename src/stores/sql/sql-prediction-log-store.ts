import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { notFound } from "../../core/errors.js";
import {
  type CheckedPredictionQuery,
  checkFeedbackBatch,
  checkPredictionBatch,
  checkPredictionQuery,
  encodePredictionPageToken,
  mergeFeedback,
  storedFeedback,
  storedModelRef,
} from "../prediction-log-rules.js";
import type {
  FeedbackRecord,
  LoggedPrediction,
  PredictionLogStore,
  PredictionPage,
  PredictionPayloadState,
  PredictionQuery,
  PredictionRecord,
} from "../prediction-log-store.js";
import { prepareSlotted, type SlottedStatement, slot } from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";

interface PredictionRow {
  id: string;
  deployment: string;
  model: string;
  version: number | string;
  version_id: string;
  variant: string | null;
  models: string | null;
  row_count: number | string;
  inputs: string | null;
  outputs: string | null;
  payload: string;
  latency_ms: number | string;
  answered_at: number | string;
}
interface FeedbackRow {
  prediction_id: string;
  label: string | null;
  outcome: number | string | null;
  recorded_at: number | string;
}
interface Tables {
  prediction_log: PredictionRow;
  prediction_feedback: FeedbackRow;
}

/** A prediction row read with its feedback's columns (NULL when it has none). */
interface JoinedRow extends PredictionRow {
  f_id: string | null;
  f_label: string | null;
  f_outcome: number | string | null;
  f_at: number | string | null;
}

const PREDICTION_COLUMN_NAMES = [
  "id",
  "deployment",
  "model",
  "version",
  "version_id",
  "variant",
  "models",
  "row_count",
  "inputs",
  "outputs",
  "payload",
  "latency_ms",
  "answered_at",
] as const satisfies ReadonlyArray<keyof PredictionRow>;
const PREDICTION_COLUMNS = PREDICTION_COLUMN_NAMES.length;
const FEEDBACK_COLUMNS = 4;
/** The most rows one retention statement removes; each batch is its own short write transaction. */
const DELETE_BATCH = 5_000;

// `-0` reads back as `0` from a numeric column: the row keeps `0`, as `storedPrediction` does.
const num = (v: number): number => v + 0;

/**
 * The row of a checked prediction: the columns of `storedPrediction(r)`, its JSON members as the
 * JSON text they read back from (the same value `storedJson` gives).
 */
function toRow(r: PredictionRecord): PredictionRow {
  return {
    id: r.id,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    version_id: r.versionId,
    variant: r.variant ?? null,
    models: r.models === undefined ? null : JSON.stringify(r.models.map(storedModelRef)),
    row_count: num(r.rows),
    inputs: r.inputs === undefined ? null : JSON.stringify(r.inputs),
    outputs: r.outputs === undefined ? null : JSON.stringify(r.outputs),
    payload: r.payload,
    latency_ms: num(r.latencyMs),
    answered_at: num(r.at),
  };
}

/** A row read back as `storedPrediction` gives the record (same members, same order). */
function fromRow(r: JoinedRow): LoggedPrediction {
  const out: LoggedPrediction = {
    id: r.id,
    deployment: r.deployment,
    model: r.model,
    version: Number(r.version),
    versionId: r.version_id,
    rows: Number(r.row_count),
    payload: r.payload as PredictionPayloadState,
    latencyMs: Number(r.latency_ms),
    at: Number(r.answered_at),
  };
  if (r.variant !== null) out.variant = r.variant;
  if (r.models !== null) out.models = JSON.parse(r.models);
  if (r.inputs !== null) out.inputs = JSON.parse(r.inputs);
  if (r.outputs !== null) out.outputs = JSON.parse(r.outputs);
  if (r.f_id !== null)
    out.feedback = fromFeedbackRow({
      prediction_id: r.f_id,
      label: r.f_label,
      outcome: r.f_outcome,
      recorded_at: r.f_at as number | string,
    });
  return out;
}

/** A feedback row read back as `storedFeedback` and `mergeFeedback` give it. */
function fromFeedbackRow(r: FeedbackRow): FeedbackRecord {
  const out: FeedbackRecord = { predictionId: r.prediction_id, at: Number(r.recorded_at) };
  if (r.label !== null) out.label = JSON.parse(r.label);
  if (r.outcome !== null) out.outcome = Number(r.outcome);
  return out;
}

function toFeedbackRow(f: FeedbackRecord): FeedbackRow {
  return {
    prediction_id: f.predictionId,
    label: f.label === undefined ? null : JSON.stringify(f.label),
    outcome: f.outcome ?? null,
    recorded_at: f.at,
  };
}

/**
 * The Kysely {@link PredictionLogStore} on any {@link SqlDatabase}: predictions in `prediction_log`
 * (JSON members as text), feedback in `prediction_feedback`, both checked by the shared rules so
 * they refuse what the memory store refuses and read back what it gives.
 *
 * - `putPredictions` is one write transaction of multi-row inserts, each sized to the dialect's
 *   `maxBoundParameters`; an id already stored is left as it is (`ON CONFLICT DO NOTHING`), so a
 *   retried batch writes nothing twice.
 * - `listPredictions` is a keyset page on (time, id) over the index of the filter (the time, the
 *   deployment, its variant, or the model version), feedback joined in.
 * - `putFeedback` checks the predictions exist and upserts the feedback merged as `mergeFeedback`
 *   merges (in SQL: `coalesce` keeps a stored member the new record lacks), in one write transaction.
 * - `deletePredictionsBefore` removes the oldest predictions and their feedback a few thousand at a
 *   time, each batch its own transaction, so serving's writes never wait behind a long delete.
 *
 * @example
 * ```ts
 * const log = new SqlPredictionLogStore(openSqliteDatabase({ path: "meta.db" }));
 * ```
 */
export class SqlPredictionLogStore implements PredictionLogStore {
  private readonly db: Kysely<Tables>;
  /** The one-row insert prepared on the database's accelerator, when it has one. */
  private insertOne?: SlottedStatement;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
  }

  async putPredictions(records: readonly PredictionRecord[]): Promise<void> {
    checkPredictionBatch(records);
    const rows: PredictionRow[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      rows.push(toRow(r));
    }
    if (rows.length === 0) return;
    const fast = this.database.accelerator;
    if (fast && !fast.inTransaction) {
      // Serving's hot path: the same insert, prepared once and run per row in the write group of this turn.
      this.insertOne ??= prepareSlotted(
        fast,
        this.db
          .insertInto("prediction_log")
          .values(Object.fromEntries(PREDICTION_COLUMN_NAMES.map((c) => [c, slot(c)])) as unknown as PredictionRow)
          .onConflict((oc) => oc.column("id").doNothing()),
      );
      const { stmt, query } = this.insertOne;
      await fast.write(() => {
        for (const row of rows) stmt.run(query.bind(row as unknown as Record<string, unknown>));
      });
      return;
    }
    const perStatement = this.rowsPerStatement(PREDICTION_COLUMNS);
    await writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      for (let i = 0; i < rows.length; i += perStatement)
        await t
          .insertInto("prediction_log")
          .values(rows.slice(i, i + perStatement))
          .onConflict((oc) => oc.column("id").doNothing())
          .execute();
    });
  }

  async getPrediction(id: string): Promise<LoggedPrediction | undefined> {
    const row = await this.selectJoined(this.db).where("p.id", "=", id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async listPredictions(query: PredictionQuery = {}): Promise<PredictionPage> {
    const q = checkPredictionQuery(query);
    const rows = await this.selectJoined(this.db)
      .where((eb) => eb.and(conditions(eb, q)))
      .orderBy("p.answered_at")
      .orderBy("p.id")
      .limit(q.limit + 1)
      .execute();
    const more = rows.length > q.limit;
    const predictions = (more ? rows.slice(0, q.limit) : rows).map(fromRow);
    const last = predictions[predictions.length - 1];
    return more && last ? { predictions, nextPageToken: encodePredictionPageToken(last.at, last.id) } : { predictions };
  }

  async putFeedback(records: readonly FeedbackRecord[]): Promise<void> {
    checkFeedbackBatch(records);
    if (records.length === 0) return;
    const ids = [...new Set(records.map((f) => f.predictionId))];
    // An IN list takes one parameter per value on the default dialect: keep room for the rest.
    const perList = Math.max(1, this.database.dialect.maxBoundParameters - 8);
    const perStatement = this.rowsPerStatement(FEEDBACK_COLUMNS);
    await writeTransaction(this.database, async (trx) => {
      const t = trx as Kysely<Tables>;
      const known = new Set<string>();
      for (let i = 0; i < ids.length; i += perList) {
        const found = await t
          .selectFrom("prediction_log")
          .select("id")
          .where(this.database.dialect.inList(sql.ref("id"), ids.slice(i, i + perList), false))
          .execute();
        for (const r of found) known.add(r.id);
      }
      for (const f of records) if (!known.has(f.predictionId)) throw notFound("prediction", f.predictionId);
      // The batch's records for one prediction merged in order, then merged into the stored row by
      // the upsert itself — mergeFeedback's rule in SQL (a given label or outcome replaces the stored
      // one, an absent one is NULL and keeps it; the newest time wins), so two writers at once on a
      // backend without a database-wide write lock never lose each other's label or outcome.
      const merged = new Map<string, FeedbackRecord>();
      for (const f of records) merged.set(f.predictionId, mergeFeedback(merged.get(f.predictionId), storedFeedback(f)));
      const rows = [...merged.values()].map(toFeedbackRow);
      const stored = (c: string) => sql.ref(`prediction_feedback.${c}`);
      const incoming = (c: string) => sql.ref(`excluded.${c}`);
      for (let i = 0; i < rows.length; i += perStatement)
        await t
          .insertInto("prediction_feedback")
          .values(rows.slice(i, i + perStatement))
          .onConflict((oc) =>
            oc.column("prediction_id").doUpdateSet({
              label: sql`coalesce(${incoming("label")}, ${stored("label")})`,
              outcome: sql`coalesce(${incoming("outcome")}, ${stored("outcome")})`,
              recorded_at: sql`case when ${incoming("recorded_at")} > ${stored("recorded_at")} then ${incoming("recorded_at")} else ${stored("recorded_at")} end`,
            }),
          )
          .execute();
    });
  }

  async deletePredictionsBefore(before: number, options: { deployment?: string } = {}): Promise<number> {
    checkPredictionQuery({
      to: before,
      ...(options.deployment !== undefined ? { deployment: options.deployment } : {}),
    });
    const deployment = options.deployment;
    // The same oldest batch, chosen the same way by both statements of one transaction.
    const batch = (t: Kysely<Tables>) => {
      let q = t.selectFrom("prediction_log").select("id").where("answered_at", "<", before);
      if (deployment !== undefined) q = q.where("deployment", "=", deployment);
      return q.orderBy("answered_at").orderBy("id").limit(DELETE_BATCH);
    };
    let removed = 0;
    for (;;) {
      const n = await writeTransaction(this.database, async (trx) => {
        const t = trx as Kysely<Tables>;
        await t.deleteFrom("prediction_feedback").where("prediction_id", "in", batch(t)).execute();
        const result = await t.deleteFrom("prediction_log").where("id", "in", batch(t)).executeTakeFirst();
        return Number(result.numDeletedRows);
      });
      removed += n;
      if (n < DELETE_BATCH) return removed;
    }
  }

  /** Rows of `columns` parameters each that fit one statement's bound-parameter budget. */
  private rowsPerStatement(columns: number): number {
    return Math.max(1, Math.floor(this.database.dialect.maxBoundParameters / columns));
  }

  private selectJoined(db: Kysely<Tables>): SelectQueryBuilder<any, any, JoinedRow> {
    return db
      .selectFrom("prediction_log as p")
      .leftJoin("prediction_feedback as f", "f.prediction_id", "p.id")
      .selectAll("p")
      .select(["f.prediction_id as f_id", "f.label as f_label", "f.outcome as f_outcome", "f.recorded_at as f_at"]);
  }
}

/** The WHERE conditions of a checked query, every value a bound parameter. */
function conditions(eb: ExpressionBuilder<any, any>, q: CheckedPredictionQuery) {
  const where = [];
  if (q.deployment !== undefined) where.push(eb("p.deployment", "=", q.deployment));
  if (q.model !== undefined) where.push(eb("p.model", "=", q.model));
  if (q.version !== undefined) where.push(eb("p.version", "=", q.version));
  if (q.variant !== undefined) where.push(eb("p.variant", "=", q.variant));
  if (q.from !== undefined) where.push(eb("p.answered_at", ">=", q.from));
  if (q.to !== undefined) where.push(eb("p.answered_at", "<", q.to));
  if (q.withFeedback !== undefined) where.push(eb("f.prediction_id", q.withFeedback ? "is not" : "is", null));
  if (q.after) where.push(eb(eb.refTuple("p.answered_at", "p.id"), ">", eb.tuple(q.after.at, q.after.id)));
  return where;
}

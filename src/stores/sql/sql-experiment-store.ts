import type { Kysely } from "kysely";
import { MlcycleError, notFound } from "../../core/errors.js";
import type { ExperimentLifecycle, ExperimentPatch, ExperimentRecord } from "../tracking-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import { getPositional, type SqlTrackingStatements } from "./sql-tracking-statements.js";
import { type ExperimentRow, toExperiment } from "./sql-tracking-tables.js";

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

/** The experiments of the Kysely tracking store (`tracking_experiments`); `SqlTrackingStore` delegates to it. */
export class SqlExperimentStore {
  private readonly db: Kysely<any>;

  constructor(
    readonly database: SqlDatabase,
    private readonly statements: SqlTrackingStatements,
  ) {
    this.db = database.db;
  }

  /** See `TrackingStore.createExperiment`. */
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

  /** See `TrackingStore.getExperiment`. */
  async getExperiment(id: string) {
    const r = await this.db.selectFrom("tracking_experiments").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toExperiment(r as ExperimentRow) : undefined;
  }

  /** See `TrackingStore.getExperimentByName`. */
  async getExperimentByName(name: string) {
    const fast = this.database.accelerator;
    // Every run start looks its experiment up by name: a prepared statement when there can be one.
    if (fast && !fast.inTransaction) {
      const row = getPositional(this.statements.prepare(fast).experimentByName, [name]) as ExperimentRow | undefined;
      return row ? toExperiment(row) : undefined;
    }
    const r = await this.db.selectFrom("tracking_experiments").selectAll().where("name", "=", name).executeTakeFirst();
    return r ? toExperiment(r as ExperimentRow) : undefined;
  }

  /** See `TrackingStore.listExperiments`. */
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

  /** See `TrackingStore.updateExperiment`. */
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
}

import { type Kysely, sql } from "kysely";
import { MlcycleError, notFound } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import {
  foldModelName,
  type AliasEventRecord,
  type AliasMoveInput,
  type AliasMoveNotice,
  type AliasPolicyRecord,
  type ApprovalRecord,
  type EvaluationRecord,
  type ModelFilter,
  type ModelPatch,
  type ModelVersionInput,
  type ModelVersionRecord,
  type RegisteredModelRecord,
  type RegistryStore,
  type VersionLineageBuilder,
  type VersionPatch,
} from "../registry-store.js";
import type { LineageNode } from "../lineage-store.js";
import { SqlAliasStore } from "./sql-alias-store.js";
import { SqlPipelineHotStatements, v } from "./sql-pipeline-hot-statements.js";
import type { SqlLineageStore } from "./sql-lineage-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import type { EvaluationRow, ModelRow, Tables, VersionRow } from "./sql-registry-tables.js";
import { SqlVersionWriter } from "./sql-version-writer.js";

const toVersion = (r: VersionRow): ModelVersionRecord => {
  const v: ModelVersionRecord = {
    id: r.id,
    modelId: r.model_id,
    version: Number(r.version),
    flavor: r.flavor,
    flavorMeta: JSON.parse(r.flavor_meta),
    digest: r.digest,
    size: Number(r.size),
    metrics: JSON.parse(r.metrics),
    tags: JSON.parse(r.tags),
    modelCard: r.model_card,
    description: r.description,
    createdAt: Number(r.created_at),
  };
  if (r.signature !== null) v.signature = JSON.parse(r.signature);
  if (r.run_id !== null) v.runId = r.run_id;
  if (r.pipeline_run_id !== null) v.pipelineRunId = r.pipeline_run_id;
  if (r.step !== null) v.step = r.step;
  if (r.feature_service !== null) v.featureService = r.feature_service;
  if (r.created_by !== null) v.createdBy = r.created_by;
  if (r.deleted_at !== null && r.deleted_at !== undefined) v.deletedAt = Number(r.deleted_at);
  return v;
};

const toModel = (r: ModelRow, tags: Record<string, string>): RegisteredModelRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  tags,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const toEvaluation = (r: EvaluationRow): EvaluationRecord => {
  const e: EvaluationRecord = {
    id: r.id,
    versionId: r.version_id,
    result: JSON.parse(r.result),
    at: Number(r.at),
  };
  if (r.gate !== null) e.gate = r.gate;
  if (r.passed !== null) e.passed = Boolean(r.passed);
  if (r.run_id !== null) e.runId = r.run_id;
  return e;
};

const duplicateName = (name: string) =>
  new MlcycleError("CONFLICT", `registered model '${name}' already exists`, { details: { name } });

/** Escape-free LIKE (`%` and `_` keep their meaning, `\` is a literal) in the dialect's `\`-escape form. */
const escapeFree = (pattern: string) => pattern.replace(/\\/g, "\\\\");

/** Options of {@link SqlRegistryStore}. */
export interface SqlRegistryStoreOptions {
  /**
   * The lineage store on the same database, where a version's lineage is written in the version's
   * own transaction (`sqlStore()` passes its own). Without it the store has no
   * `createVersionWithLineage` and the registry writes lineage separately.
   */
  lineage?: SqlLineageStore;
}

/**
 * The Kysely {@link RegistryStore} (SQLite; PostgreSQL through `mlcycle/postgres`). Models, versions, approvals and
 * evaluations are written here; versions are numbered and inserted by `sql-version-writer.ts`, and
 * aliases, their audit trail and policies live in `sql-alias-store.ts`, both of which this class
 * delegates to.
 */
export class SqlRegistryStore implements RegistryStore {
  private readonly db: Kysely<Tables>;
  private readonly aliases: SqlAliasStore;
  private readonly versions: SqlVersionWriter;
  /** With the database's accelerator: the reads of a model and a version by key, prepared once. */
  private readonly hot: SqlPipelineHotStatements;

  /** Present when the store was built with a lineage store (see {@link RegistryStore.createVersionWithLineage}). */
  readonly createVersionWithLineage?: (
    input: ModelVersionInput,
    lineage: VersionLineageBuilder,
  ) => Promise<{ version: ModelVersionRecord; lineage: LineageNode[] }>;

  constructor(
    readonly database: SqlDatabase,
    options: SqlRegistryStoreOptions = {},
  ) {
    this.db = database.db as Kysely<Tables>;
    this.aliases = new SqlAliasStore(database);
    this.versions = new SqlVersionWriter(database);
    this.hot = new SqlPipelineHotStatements(database);
    const { lineage } = options;
    if (lineage)
      this.createVersionWithLineage = (input, build) => this.versions.createWithLineage(lineage, input, build);
    const listen = database.listen?.bind(database);
    if (listen) this.subscribeAliasMoves = (listener) => this.aliases.subscribeAliasMoves(listen, listener);
  }

  /**
   * Present when the database can listen to other processes (PostgreSQL): see
   * {@link RegistryStore.subscribeAliasMoves}. Every store announces its moves (`SqlDialect.notify`).
   */
  readonly subscribeAliasMoves?: (listener: (move: AliasMoveNotice) => void) => Promise<() => Promise<void>>;

  async createModel(input: Omit<RegisteredModelRecord, "id">): Promise<RegisteredModelRecord> {
    const id = newId();
    try {
      await writeTransaction(this.database, async (trx) => {
        const db = trx as Kysely<Tables>;
        const taken = await db
          .selectFrom("registry_models")
          .select("id")
          .where("name", "=", input.name)
          .executeTakeFirst();
        if (taken) throw duplicateName(input.name);
        await db
          .insertInto("registry_models")
          .values({
            id,
            name: input.name,
            name_folded: foldModelName(input.name),
            description: input.description,
            created_at: input.createdAt,
            updated_at: input.updatedAt,
          })
          .execute();
        const tags = Object.entries(input.tags);
        if (tags.length)
          await db
            .insertInto("registry_model_tags")
            .values(tags.map(([key, value]) => ({ model_id: id, key, value })))
            .execute();
      });
    } catch (error) {
      if (this.database.dialect.isUniqueViolation(error)) throw duplicateName(input.name);
      throw error;
    }
    return { ...structuredClone(input), id };
  }

  async getModel(name: string) {
    // The model and its tags in one statement (the tags aggregated into a JSON object).
    const byName = this.hot.get("getModel", () =>
      this.db
        .selectFrom("registry_models as m")
        .selectAll("m")
        .select((eb) =>
          eb
            .selectFrom("registry_model_tags as t")
            .select(this.database.dialect.jsonObjectAgg(sql.ref("t.key"), sql.ref("t.value")).as("tags_json"))
            .whereRef("t.model_id", "=", "m.id")
            .as("tags_json"),
        )
        .where("m.name", "=", v("name")),
    );
    if (byName) {
      const r = byName.stmt.get(byName.query.bind({ name })) as (ModelRow & { tags_json: unknown }) | undefined;
      if (!r) return undefined;
      const t = r.tags_json;
      // An aggregate over no rows is `{}` on some backends and null on others.
      const tags = (typeof t === "string" ? JSON.parse(t) : (t ?? {})) as Record<string, string>;
      return toModel(r, tags);
    }
    const r = await this.db.selectFrom("registry_models").selectAll().where("name", "=", name).executeTakeFirst();
    return r ? (await this.withTags([r]))[0] : undefined;
  }

  async getModelById(id: string) {
    const r = await this.db.selectFrom("registry_models").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? (await this.withTags([r]))[0] : undefined;
  }

  async listModels(filter: ModelFilter = {}) {
    let q = this.db.selectFrom("registry_models").selectAll();
    if (filter.nameLike !== undefined) {
      // Both sides folded in JavaScript, then compared case-sensitively: the same answer as memory.
      const like = this.database.dialect.like(
        sql.ref("name_folded"),
        escapeFree(foldModelName(filter.nameLike)),
        false,
      );
      q = q.where(() => like);
    }
    if (filter.after !== undefined) q = q.where("name", ">", filter.after);
    for (const [key, value] of Object.entries(filter.tags ?? {})) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("registry_model_tags as t")
            .select("t.key")
            .whereRef("t.model_id", "=", "registry_models.id")
            .where("t.key", "=", key)
            .where("t.value", "=", value),
        ),
      );
    }
    const rows = await q
      .orderBy("name")
      .limit(filter.limit ?? 100)
      .execute();
    return this.withTags(rows);
  }

  async updateModel(id: string, patch: ModelPatch) {
    try {
      await writeTransaction(this.database, async (trx) => {
        const db = trx as Kysely<Tables>;
        const row = await db.selectFrom("registry_models").selectAll().where("id", "=", id).executeTakeFirst();
        if (!row) throw notFound("registered model", id);
        if (patch.name !== undefined && patch.name !== row.name) {
          const taken = await db
            .selectFrom("registry_models")
            .select("id")
            .where("name", "=", patch.name)
            .executeTakeFirst();
          if (taken) throw duplicateName(patch.name);
        }
        await db
          .updateTable("registry_models")
          .set({
            name: patch.name ?? row.name,
            name_folded: foldModelName(patch.name ?? row.name),
            description: patch.description ?? row.description,
            updated_at: patch.updatedAt,
          })
          .where("id", "=", id)
          .execute();
        for (const [key, value] of Object.entries(patch.tags ?? {})) {
          await db.deleteFrom("registry_model_tags").where("model_id", "=", id).where("key", "=", key).execute();
          if (value !== null) await db.insertInto("registry_model_tags").values({ model_id: id, key, value }).execute();
        }
      });
    } catch (error) {
      if (this.database.dialect.isUniqueViolation(error) && patch.name !== undefined) throw duplicateName(patch.name);
      throw error;
    }
    return (await this.getModelById(id))!;
  }

  async createVersion(input: ModelVersionInput): Promise<ModelVersionRecord> {
    return this.versions.create(input);
  }

  async getVersion(modelId: string, version: number) {
    const query = (m: string, n: number) =>
      this.db.selectFrom("registry_versions").selectAll().where("model_id", "=", m).where("version", "=", n);
    const h = this.hot.get("getVersion", () => query(v("modelId"), v("version") as never));
    const r = h
      ? (h.stmt.get(h.query.bind({ modelId, version })) as VersionRow | undefined)
      : await query(modelId, version).executeTakeFirst();
    return r ? toVersion(r) : undefined;
  }

  async getVersionById(id: string) {
    const r = await this.db.selectFrom("registry_versions").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toVersion(r) : undefined;
  }

  async latestVersion(modelId: string) {
    const r = await this.db
      .selectFrom("registry_versions")
      .selectAll()
      .where("model_id", "=", modelId)
      .where("deleted_at", "is", null)
      .orderBy("version", "desc")
      .limit(1)
      .executeTakeFirst();
    return r ? toVersion(r) : undefined;
  }

  async listVersions(modelId: string) {
    const rows = await this.db
      .selectFrom("registry_versions")
      .selectAll()
      .where("model_id", "=", modelId)
      .orderBy("version")
      .execute();
    return rows.map(toVersion);
  }

  async updateVersion(id: string, patch: VersionPatch) {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      const row = await db.selectFrom("registry_versions").selectAll().where("id", "=", id).executeTakeFirst();
      if (!row) throw notFound("model version", id);
      const v = toVersion(row);
      if (patch.description !== undefined) v.description = patch.description;
      if (patch.modelCard !== undefined) v.modelCard = patch.modelCard;
      for (const [k, val] of Object.entries(patch.tags ?? {})) {
        if (val === null) delete v.tags[k];
        else v.tags[k] = val;
      }
      if (patch.metrics) Object.assign(v.metrics, patch.metrics);
      if (patch.deletedAt !== undefined) v.deletedAt = patch.deletedAt;
      await db
        .updateTable("registry_versions")
        .set({
          description: v.description,
          model_card: v.modelCard,
          tags: JSON.stringify(v.tags),
          metrics: JSON.stringify(v.metrics),
          deleted_at: v.deletedAt ?? null,
        })
        .where("id", "=", id)
        .execute();
      return v;
    });
  }

  getAlias(modelId: string, alias: string) {
    return this.aliases.getAlias(modelId, alias);
  }

  listAliases(modelId: string) {
    return this.aliases.listAliases(modelId);
  }

  moveAlias(modelId: string, alias: string, move: AliasMoveInput): Promise<AliasEventRecord> {
    return this.aliases.moveAlias(modelId, alias, move);
  }

  aliasEvents(modelId: string, alias?: string, limit = 1000) {
    return this.aliases.aliasEvents(modelId, alias, limit);
  }

  setPolicy(modelId: string, alias: string, policy: AliasPolicyRecord | undefined) {
    return this.aliases.setPolicy(modelId, alias, policy);
  }

  getAliasState(modelId: string, alias: string) {
    return this.aliases.getAliasState(modelId, alias);
  }

  getPolicy(modelId: string, alias: string) {
    return this.aliases.getPolicy(modelId, alias);
  }

  listPolicies(modelId: string) {
    return this.aliases.listPolicies(modelId);
  }

  async addApproval(input: Omit<ApprovalRecord, "id">) {
    const a: ApprovalRecord = { ...input, id: newId(input.at) };
    await this.db
      .insertInto("registry_approvals")
      .values({ id: a.id, version_id: a.versionId, actor: a.actor, comment: a.comment, at: a.at })
      .execute();
    return a;
  }

  async listApprovals(versionId: string) {
    const rows = await this.db
      .selectFrom("registry_approvals")
      .selectAll()
      .where("version_id", "=", versionId)
      .orderBy("id")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      versionId: r.version_id,
      actor: r.actor,
      comment: r.comment,
      at: Number(r.at),
    }));
  }

  async addEvaluation(input: Omit<EvaluationRecord, "id">) {
    const row: EvaluationRow = {
      id: newId(input.at),
      version_id: input.versionId,
      gate: input.gate ?? null,
      passed: input.passed === undefined ? null : input.passed ? 1 : 0,
      run_id: input.runId ?? null,
      result: JSON.stringify(input.result),
      at: input.at,
    };
    await this.db.insertInto("registry_evaluations").values(row).execute();
    return toEvaluation(row);
  }

  async listEvaluations(versionId: string) {
    const rows = await this.db
      .selectFrom("registry_evaluations")
      .selectAll()
      .where("version_id", "=", versionId)
      .orderBy("id")
      .execute();
    return rows.map(toEvaluation);
  }

  private async withTags(rows: ModelRow[]): Promise<RegisteredModelRecord[]> {
    if (rows.length === 0) return [];
    const tags = new Map<string, Record<string, string>>(rows.map((r) => [r.id, {}]));
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 400) {
      const tagRows = await this.db
        .selectFrom("registry_model_tags")
        .selectAll()
        .where("model_id", "in", ids.slice(i, i + 400))
        .execute();
      for (const t of tagRows) tags.get(t.model_id)![t.key] = t.value;
    }
    return rows.map((r) => toModel(r, tags.get(r.id)!));
  }
}

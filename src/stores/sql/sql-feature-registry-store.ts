import { type Kysely, sql } from "kysely";
import {
  type DefinitionFilter,
  type EntityDefinition,
  type FeatureRegistryStore,
  type FeatureServiceDefinition,
  type FeatureViewDefinition,
  joinKeysConflict,
  type MaterializationState,
  matchesDefinitionFilter,
  type PutEntityOptions,
  sameJoinKeys,
  type StoredFields,
} from "../feature-registry-store.js";
import { MlcycleError } from "../../core/errors.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";

type Kind = "entity" | "feature_view" | "feature_service";

interface DefinitionRow {
  kind: string;
  name: string;
  body: string;
  digest: string;
  version: number;
  owner: string | null;
  search_text: string;
  created_at: number | string;
  updated_at: number | string;
}
interface Tables {
  feature_definitions: DefinitionRow;
  feature_materializations: { view: string; state: string; updated_at: number | string };
}

type Searchable = { name: string; description?: string; owner?: string; tags: Record<string, string> };

const searchText = (d: Searchable) =>
  [d.name, d.description ?? "", d.owner ?? "", ...Object.entries(d.tags).flat()].join("\n").toLowerCase();

/** Escapes LIKE wildcards so user text matches literally (with `escape '\'`). */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The Kysely {@link FeatureRegistryStore} (SQLite; PostgreSQL through `mlcycle/postgres`): one table of definitions as JSON. */
export class SqlFeatureRegistryStore implements FeatureRegistryStore {
  private readonly db: Kysely<Tables>;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
  }

  async putEntity(
    entity: Omit<EntityDefinition, "createdAt" | "updatedAt">,
    now: number,
    options: PutEntityOptions = {},
  ): Promise<EntityDefinition> {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      let existing = await this.row(db, "entity", entity.name);
      if (!existing) {
        const created: EntityDefinition = { ...entity, createdAt: now, updatedAt: now };
        if (await this.insertIfAbsent(db, "entity", created)) return created;
        // Where transactions do not serialise writers (PostgreSQL), another one inserted it first.
        existing = await this.row(db, "entity", entity.name);
        if (!existing)
          throw new MlcycleError("CONFLICT", `entity '${entity.name}' changed concurrently; apply it again`);
      }
      const stored = (this.body(existing) as EntityDefinition).joinKeys;
      if (options.expectJoinKeys && !sameJoinKeys(stored, options.expectJoinKeys))
        throw joinKeysConflict(entity.name, stored);
      const updated: EntityDefinition = { ...entity, createdAt: Number(existing.created_at), updatedAt: now };
      await this.save(db, "entity", updated, "", 1, true);
      return updated;
    });
  }

  async getEntity(name: string) {
    const r = await this.row(this.db, "entity", name);
    return r ? (this.body(r) as EntityDefinition) : undefined;
  }

  async listEntities(filter?: DefinitionFilter) {
    if (filter?.entity !== undefined) return [];
    return (await this.list("entity", filter)) as EntityDefinition[];
  }

  async applyFeatureView(view: Omit<FeatureViewDefinition, StoredFields>, now: number) {
    const { stored, changed } = await this.apply("feature_view", view, now);
    return { view: stored as FeatureViewDefinition, changed };
  }

  async getFeatureView(name: string) {
    const r = await this.row(this.db, "feature_view", name);
    return r ? (this.body(r) as FeatureViewDefinition) : undefined;
  }

  async listFeatureViews(filter?: DefinitionFilter) {
    return (await this.list("feature_view", filter)) as FeatureViewDefinition[];
  }

  async applyFeatureService(service: Omit<FeatureServiceDefinition, StoredFields>, now: number) {
    const { stored, changed } = await this.apply("feature_service", service, now);
    return { service: stored as FeatureServiceDefinition, changed };
  }

  async getFeatureService(name: string) {
    const r = await this.row(this.db, "feature_service", name);
    return r ? (this.body(r) as FeatureServiceDefinition) : undefined;
  }

  async listFeatureServices(filter?: DefinitionFilter) {
    if (filter?.entity !== undefined) return [];
    return (await this.list("feature_service", filter)) as FeatureServiceDefinition[];
  }

  async deleteDefinition(kind: Kind, name: string) {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      const r = await db
        .deleteFrom("feature_definitions")
        .where("kind", "=", kind)
        .where("name", "=", name)
        .executeTakeFirst();
      if (kind === "feature_view") await db.deleteFrom("feature_materializations").where("view", "=", name).execute();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async getMaterialization(view: string) {
    const r = await this.db
      .selectFrom("feature_materializations")
      .select("state")
      .where("view", "=", view)
      .executeTakeFirst();
    return r ? (JSON.parse(r.state) as MaterializationState) : undefined;
  }

  async putMaterialization(state: MaterializationState) {
    const row = { view: state.view, state: JSON.stringify(state), updated_at: state.updatedAt };
    await this.db
      .insertInto("feature_materializations")
      .values(row)
      .onConflict((oc) => oc.column("view").doUpdateSet({ state: row.state, updated_at: row.updated_at }))
      .execute();
  }

  private async apply(
    kind: Kind,
    def: Searchable & { digest: string },
    now: number,
  ): Promise<{ stored: unknown; changed: boolean }> {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      const existing = await this.row(db, kind, def.name);
      if (existing && existing.digest === def.digest) return { stored: this.body(existing), changed: false };
      const version = (existing ? Number(existing.version) : 0) + 1;
      const stored = {
        ...def,
        version,
        createdAt: existing ? Number(existing.created_at) : now,
        updatedAt: now,
      };
      await this.save(db, kind, stored, def.digest, version, existing !== undefined);
      return { stored, changed: true };
    });
  }

  private async save(
    db: Kysely<Tables>,
    kind: Kind,
    def: Searchable & { createdAt: number; updatedAt: number },
    digest: string,
    version: number,
    exists: boolean,
  ): Promise<void> {
    const row = this.definitionRow(kind, def, digest, version);
    if (exists) {
      const { kind: _k, name: _n, ...rest } = row;
      await db
        .updateTable("feature_definitions")
        .set(rest)
        .where("kind", "=", kind)
        .where("name", "=", def.name)
        .execute();
    } else {
      await db.insertInto("feature_definitions").values(row).execute();
    }
  }

  /** Inserts a definition unless one of that kind and name exists; true when inserted. */
  private async insertIfAbsent(
    db: Kysely<Tables>,
    kind: Kind,
    def: Searchable & { createdAt: number; updatedAt: number },
  ): Promise<boolean> {
    const r = await db
      .insertInto("feature_definitions")
      .values(this.definitionRow(kind, def, "", 1))
      .onConflict((oc) => oc.columns(["kind", "name"]).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  private definitionRow(
    kind: Kind,
    def: Searchable & { createdAt: number; updatedAt: number },
    digest: string,
    version: number,
  ): DefinitionRow {
    return {
      kind,
      name: def.name,
      body: JSON.stringify(def),
      digest,
      version,
      owner: def.owner ?? null,
      search_text: searchText(def),
      created_at: def.createdAt,
      updated_at: def.updatedAt,
    };
  }

  private row(db: Kysely<Tables>, kind: Kind, name: string) {
    return db
      .selectFrom("feature_definitions")
      .selectAll()
      .where("kind", "=", kind)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  private body(r: DefinitionRow): unknown {
    return JSON.parse(r.body);
  }

  private async list(kind: Kind, filter: DefinitionFilter = {}): Promise<unknown[]> {
    let q = this.db.selectFrom("feature_definitions").select("body").where("kind", "=", kind);
    if (filter.owner !== undefined) q = q.where("owner", "=", filter.owner);
    if (filter.query) {
      const pattern = `%${likeLiteral(filter.query.toLowerCase())}%`;
      q = q.where(sql<boolean>`${sql.ref("search_text")} like ${pattern} escape '\\'`);
    }
    const rows = await q.orderBy("name").execute();
    return rows
      .map((r) => JSON.parse(r.body) as Searchable & { entities?: string[] })
      .filter((d) => matchesDefinitionFilter(d, filter));
  }
}

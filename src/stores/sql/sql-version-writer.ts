import type { Kysely } from "kysely";
import { notFound } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import type { LineageNode } from "../lineage-store.js";
import type { ModelVersionInput, ModelVersionRecord, VersionLineageBuilder } from "../registry-store.js";
import {
  type compileWithSlots,
  prepareSlotted,
  type SlottedStatement,
  type SqlAccelerator,
  slot,
} from "./sql-accelerator.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import type { SqlLineageStore } from "./sql-lineage-store.js";
import type { Tables, VersionRow } from "./sql-registry-tables.js";

/** The `registry_versions` row of version `n` of `input`. */
const versionRow = (id: string, n: number, input: ModelVersionInput): VersionRow => ({
  id,
  model_id: input.modelId,
  version: n,
  flavor: input.flavor,
  flavor_meta: JSON.stringify(input.flavorMeta),
  digest: input.digest,
  size: input.size,
  signature: input.signature ? JSON.stringify(input.signature) : null,
  run_id: input.runId ?? null,
  pipeline_run_id: input.pipelineRunId ?? null,
  step: input.step ?? null,
  metrics: JSON.stringify(input.metrics),
  tags: JSON.stringify(input.tags),
  model_card: input.modelCard,
  description: input.description,
  feature_service: input.featureService ?? null,
  created_by: input.createdBy ?? null,
  created_at: input.createdAt,
});

/** Any version input: only its keys are read, to list the columns of the prepared insert. */
const SAMPLE_VERSION: ModelVersionInput = {
  modelId: "",
  flavor: "",
  flavorMeta: {},
  digest: "",
  size: 0,
  metrics: {},
  tags: {},
  modelCard: "",
  description: "",
  createdAt: 0,
};

type Prepared = SlottedStatement;

interface VersionStatements {
  maxVersion: Prepared;
  insertVersion: Prepared;
  touchModel: Prepared;
}

/**
 * Numbers and inserts model versions for `SqlRegistryStore`: one at a time in its own
 * transaction, or together with the version's lineage in one transaction (prepared statements on
 * the accelerator when the database has one).
 */
export class SqlVersionWriter {
  private readonly db: Kysely<Tables>;
  private statements?: VersionStatements;

  constructor(private readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
  }

  /** Numbers and inserts a version in its own transaction. */
  async create(input: ModelVersionInput): Promise<ModelVersionRecord> {
    const id = newId();
    const version = await writeTransaction(this.database, (trx) => this.insertIn(trx as Kysely<Tables>, id, input));
    return { ...structuredClone(input), id, version };
  }

  /**
   * The version and its lineage in one transaction: numbered and inserted, then `build` runs on the
   * numbered version and its batch is written before the commit; anything thrown rolls back both.
   * With an accelerator, the whole is one synchronous work of its group commit.
   */
  async createWithLineage(
    lineage: SqlLineageStore,
    input: ModelVersionInput,
    build: VersionLineageBuilder,
  ): Promise<{ version: ModelVersionRecord; lineage: LineageNode[] }> {
    const id = newId();
    const fast = this.database.accelerator;
    if (fast) {
      const st = this.prepare(fast);
      return fast.write(() => {
        // The model's row is touched first: no row changed means no such model (one statement, not a
        // read before the write; a throw here rolls the work back).
        if (
          st.touchModel.stmt.run(st.touchModel.query.bind({ model_id: input.modelId, updated_at: input.createdAt }))
            .changes === 0
        )
          throw notFound("registered model", input.modelId);
        const top = st.maxVersion.stmt.get(st.maxVersion.query.bind({ model_id: input.modelId })) as
          | { max: number | string | null }
          | undefined;
        const n = Number(top?.max ?? 0) + 1;
        st.insertVersion.stmt.run(
          st.insertVersion.query.bind(versionRow(id, n, input) as unknown as Record<string, unknown>),
        );
        const version: ModelVersionRecord = { ...structuredClone(input), id, version: n };
        const batch = build(structuredClone(version));
        const nodes = lineage.putBatchPrepared(fast, batch.nodes, batch.edges)();
        return { version, lineage: nodes };
      });
    }
    return writeTransaction(this.database, async (trx) => {
      const n = await this.insertIn(trx as Kysely<Tables>, id, input);
      const version: ModelVersionRecord = { ...structuredClone(input), id, version: n };
      const batch = build(structuredClone(version));
      const nodes = await lineage.putBatchIn(trx, batch.nodes, batch.edges);
      return { version, lineage: nodes };
    });
  }

  /** Numbers and inserts a version inside the caller's transaction; returns its number. */
  private async insertIn(db: Kysely<Tables>, id: string, input: ModelVersionInput): Promise<number> {
    const model = await db
      .selectFrom("registry_models")
      .select("id")
      .where("id", "=", input.modelId)
      .executeTakeFirst();
    if (!model) throw notFound("registered model", input.modelId);
    const top = await db
      .selectFrom("registry_versions")
      .select((eb) => eb.fn.max("version").as("max"))
      .where("model_id", "=", input.modelId)
      .executeTakeFirst();
    const n = Number(top?.max ?? 0) + 1;
    await db
      .insertInto("registry_versions")
      .values(versionRow(id, n, input))
      .execute();
    await db
      .updateTable("registry_models")
      .set({ updated_at: input.createdAt })
      .where("id", "=", input.modelId)
      .execute();
    return n;
  }

  private prepare(fast: SqlAccelerator): VersionStatements {
    if (this.statements) return this.statements;
    const prepared = (query: Parameters<typeof compileWithSlots>[0]): Prepared => prepareSlotted(fast, query);
    const columns = Object.keys(versionRow("", 0, SAMPLE_VERSION)) as Array<keyof VersionRow>;
    this.statements = {
      maxVersion: prepared(
        this.db
          .selectFrom("registry_versions")
          .select((eb) => eb.fn.max("version").as("max"))
          .where("model_id", "=", slot("model_id")),
      ),
      insertVersion: prepared(
        this.db
          .insertInto("registry_versions")
          .values(Object.fromEntries(columns.map((c) => [c, slot(c)])) as unknown as VersionRow),
      ),
      touchModel: prepared(
        this.db
          .updateTable("registry_models")
          .set({ updated_at: slot("updated_at") })
          .where("id", "=", slot("model_id")),
      ),
    };
    return this.statements;
  }
}

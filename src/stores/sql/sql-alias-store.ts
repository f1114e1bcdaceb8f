import type { Kysely } from "kysely";
import { MlcycleError, notFound } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import type {
  AliasAction,
  AliasEventRecord,
  AliasMoveInput,
  AliasMoveNotice,
  AliasPolicyRecord,
  AliasRecord,
} from "../registry-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import type { AliasEventRow, AliasRow, PolicyRow, Tables } from "./sql-registry-tables.js";

const toAlias = (r: AliasRow): AliasRecord => ({
  modelId: r.model_id,
  alias: r.alias,
  version: Number(r.version),
  updatedAt: Number(r.updated_at),
});

const toEvent = (r: AliasEventRow): AliasEventRecord => {
  const e: AliasEventRecord = {
    id: r.id,
    modelId: r.model_id,
    alias: r.alias,
    action: r.action as AliasAction,
    actor: r.actor,
    reason: r.reason,
    at: Number(r.at),
  };
  if (r.from_version !== null) e.from = Number(r.from_version);
  if (r.to_version !== null) e.to = Number(r.to_version);
  return e;
};

const toPolicy = (r: PolicyRow): AliasPolicyRecord => {
  const p: AliasPolicyRecord = {
    modelId: r.model_id,
    alias: r.alias,
    requireApproval: Boolean(r.require_approval),
    updatedAt: Number(r.updated_at),
  };
  if (r.gate !== null) p.gate = r.gate;
  if (r.gate_digest !== null) p.gateDigest = r.gate_digest;
  return p;
};

/** The channel alias moves are announced on (`SqlDialect.notify`). */
export const ALIAS_MOVES_CHANNEL = "alias-moves";

const noticeOf = (e: AliasEventRecord): AliasMoveNotice => {
  const n: AliasMoveNotice = { modelId: e.modelId, alias: e.alias, action: e.action, eventId: e.id, at: e.at };
  if (e.from !== undefined) n.from = e.from;
  if (e.to !== undefined) n.to = e.to;
  return n;
};

/** A notice as announced, or undefined for a payload that is not one (ignored: nothing to act on). */
function parseNotice(payload: string): AliasMoveNotice | undefined {
  try {
    const n = JSON.parse(payload) as Partial<AliasMoveNotice> | null;
    if (typeof n?.modelId !== "string" || typeof n.alias !== "string" || typeof n.eventId !== "string") return;
    return n as AliasMoveNotice;
  } catch {
    return undefined;
  }
}

/**
 * The aliases of the Kysely registry store, their audit trail (`registry_alias_events`) and their
 * policies; `SqlRegistryStore` delegates to it.
 */
export class SqlAliasStore {
  private readonly db: Kysely<Tables>;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
  }

  /** See `RegistryStore.getAlias`. */
  async getAlias(modelId: string, alias: string) {
    const r = await this.db
      .selectFrom("registry_aliases")
      .selectAll()
      .where("model_id", "=", modelId)
      .where("alias", "=", alias)
      .executeTakeFirst();
    return r ? toAlias(r) : undefined;
  }

  /** See `RegistryStore.listAliases`. */
  async listAliases(modelId: string) {
    const rows = await this.db
      .selectFrom("registry_aliases")
      .selectAll()
      .where("model_id", "=", modelId)
      .orderBy("alias")
      .execute();
    return rows.map(toAlias);
  }

  /** See `RegistryStore.moveAlias`. */
  async moveAlias(modelId: string, alias: string, move: AliasMoveInput): Promise<AliasEventRecord> {
    return writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      const model = await db.selectFrom("registry_models").select("id").where("id", "=", modelId).executeTakeFirst();
      if (!model) throw notFound("registered model", modelId);
      const current = await db
        .selectFrom("registry_aliases")
        .selectAll()
        .where("model_id", "=", modelId)
        .where("alias", "=", alias)
        .executeTakeFirst();
      const from = current ? Number(current.version) : undefined;
      if (move.expected !== undefined && (from ?? null) !== move.expected)
        throw new MlcycleError(
          "CONFLICT",
          `alias '${alias}' moved meanwhile (expected ${move.expected ?? "absent"}, found ${from ?? "absent"})`,
          { details: { alias, expected: move.expected, found: from ?? null } },
        );
      if (move.to === undefined) {
        await db.deleteFrom("registry_aliases").where("model_id", "=", modelId).where("alias", "=", alias).execute();
      } else if (current) {
        await db
          .updateTable("registry_aliases")
          .set({ version: move.to, updated_at: move.at })
          .where("model_id", "=", modelId)
          .where("alias", "=", alias)
          .execute();
      } else {
        await db
          .insertInto("registry_aliases")
          .values({ model_id: modelId, alias, version: move.to, updated_at: move.at })
          .execute();
      }
      const top = await db
        .selectFrom("registry_alias_events")
        .select((eb) => eb.fn.max("seq").as("max"))
        .where("model_id", "=", modelId)
        .executeTakeFirst();
      const row: AliasEventRow = {
        seq: Number(top?.max ?? 0) + 1,
        id: newId(move.at),
        model_id: modelId,
        alias,
        action: move.action,
        from_version: from ?? null,
        to_version: move.to ?? null,
        actor: move.actor,
        reason: move.reason,
        at: move.at,
      };
      await db.insertInto("registry_alias_events").values(row).execute();
      const event = toEvent(row);
      // Heard by other processes when this transaction commits (on a database with notifications).
      await this.database.dialect.notify(db, ALIAS_MOVES_CHANNEL, JSON.stringify(noticeOf(event)));
      return event;
    });
  }

  /** See `RegistryStore.subscribeAliasMoves`: present when the database can listen. */
  subscribeAliasMoves(
    listen: NonNullable<SqlDatabase["listen"]>,
    listener: (move: AliasMoveNotice) => void,
  ): Promise<() => Promise<void>> {
    return listen(ALIAS_MOVES_CHANNEL, (payload) => {
      const notice = parseNotice(payload);
      if (notice) listener(notice);
    });
  }

  /** See `RegistryStore.aliasEvents`. */
  async aliasEvents(modelId: string, alias?: string, limit = 1000) {
    let q = this.db.selectFrom("registry_alias_events").selectAll().where("model_id", "=", modelId);
    if (alias !== undefined) q = q.where("alias", "=", alias);
    const rows = await q.orderBy("seq", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(toEvent);
  }

  /** See `RegistryStore.setPolicy`. */
  async setPolicy(modelId: string, alias: string, policy: AliasPolicyRecord | undefined) {
    await writeTransaction(this.database, async (trx) => {
      const db = trx as Kysely<Tables>;
      await db.deleteFrom("registry_policies").where("model_id", "=", modelId).where("alias", "=", alias).execute();
      if (policy)
        await db
          .insertInto("registry_policies")
          .values({
            model_id: modelId,
            alias,
            require_approval: policy.requireApproval ? 1 : 0,
            gate: policy.gate ?? null,
            gate_digest: policy.gateDigest ?? null,
            updated_at: policy.updatedAt,
          })
          .execute();
    });
  }

  /** See `RegistryStore.getPolicy`. */
  async getPolicy(modelId: string, alias: string) {
    const r = await this.db
      .selectFrom("registry_policies")
      .selectAll()
      .where("model_id", "=", modelId)
      .where("alias", "=", alias)
      .executeTakeFirst();
    return r ? toPolicy(r) : undefined;
  }

  /** See `RegistryStore.listPolicies`. */
  async listPolicies(modelId: string) {
    const rows = await this.db
      .selectFrom("registry_policies")
      .selectAll()
      .where("model_id", "=", modelId)
      .orderBy("alias")
      .execute();
    return rows.map(toPolicy);
  }
}

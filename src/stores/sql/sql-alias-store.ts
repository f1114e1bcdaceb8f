import { type Kysely, sql } from "kysely";
import { MlcycleError, notFound } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import type {
  AliasAction,
  AliasEventRecord,
  AliasMoveInput,
  AliasMoveNotice,
  AliasPolicyRecord,
  AliasRecord,
  AliasState,
} from "../registry-store.js";
import { type SqlDatabase, writeTransaction } from "./sql-database.js";
import { SqlPipelineHotStatements, v } from "./sql-pipeline-hot-statements.js";
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

/** The row of {@link SqlAliasStore.getAliasState}'s join: the alias's columns, then its policy's. */
interface StateRow {
  version: number | null;
  updated_at: number | null;
  require_approval: number | null;
  gate: string | null;
  gate_digest: string | null;
  policy_updated_at: number | null;
}

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
 * policies; `SqlRegistryStore` delegates to it. With the database's accelerator, an alias's reads and
 * its move run the same queries as prepared statements (the move in the accelerator's group commit).
 */
export class SqlAliasStore {
  private readonly db: Kysely<Tables>;
  private readonly hot: SqlPipelineHotStatements;

  constructor(readonly database: SqlDatabase) {
    this.db = database.db as Kysely<Tables>;
    this.hot = new SqlPipelineHotStatements(database);
  }

  private aliasQuery(db: Kysely<Tables>, modelId: string, alias: string) {
    return db.selectFrom("registry_aliases").selectAll().where("model_id", "=", modelId).where("alias", "=", alias);
  }

  /** See `RegistryStore.getAlias`. */
  async getAlias(modelId: string, alias: string) {
    const h = this.hot.get("getAlias", () => this.aliasQuery(this.db, v("modelId"), v("alias")));
    const r = h
      ? (h.stmt.get(h.query.bind({ modelId, alias })) as AliasRow | undefined)
      : await this.aliasQuery(this.db, modelId, alias).executeTakeFirst();
    return r ? toAlias(r) : undefined;
  }

  /** See `RegistryStore.getAliasState`: with the accelerator, one statement joining alias and policy. */
  async getAliasState(modelId: string, alias: string): Promise<AliasState> {
    const h = this.hot.get("getAliasState", () => ({
      compile: () =>
        sql`select a.version, a.updated_at, p.require_approval, p.gate, p.gate_digest, p.updated_at as policy_updated_at
          from (select ${v("modelId")} as model_id, ${v("alias")} as alias) k
          left join registry_aliases a on a.model_id = k.model_id and a.alias = k.alias
          left join registry_policies p on p.model_id = k.model_id and p.alias = k.alias`.compile(this.db),
    }));
    if (!h) {
      const [a, policy] = [await this.getAlias(modelId, alias), await this.getPolicy(modelId, alias)];
      return { ...(a ? { alias: a } : {}), ...(policy ? { policy } : {}) };
    }
    const r = h.stmt.get(h.query.bind({ modelId, alias })) as StateRow;
    const state: AliasState = {};
    if (r.version !== null)
      state.alias = toAlias({ model_id: modelId, alias, version: r.version, updated_at: r.updated_at! });
    if (r.require_approval !== null)
      state.policy = toPolicy({
        model_id: modelId,
        alias,
        require_approval: r.require_approval,
        gate: r.gate,
        gate_digest: r.gate_digest,
        updated_at: r.policy_updated_at!,
      });
    return state;
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
    const fast = this.database.accelerator;
    if (fast && !fast.inTransaction) return fast.write(this.movePrepared(modelId, alias, move));
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

  /**
   * The move of {@link SqlAliasStore.moveAlias} as a synchronous work for the accelerator's group
   * commit: the same statements, prepared once.
   */
  private movePrepared(modelId: string, alias: string, move: AliasMoveInput): () => AliasEventRecord {
    const q = {
      model: this.hot.get("move.model", () =>
        this.db.selectFrom("registry_models").select("id").where("id", "=", v("modelId")),
      )!,
      current: this.hot.get("move.current", () => this.aliasQuery(this.db, v("modelId"), v("alias")))!,
      remove: this.hot.get("move.delete", () =>
        this.db.deleteFrom("registry_aliases").where("model_id", "=", v("modelId")).where("alias", "=", v("alias")),
      )!,
      update: this.hot.get("move.update", () =>
        this.db
          .updateTable("registry_aliases")
          .set({ version: v("to") as never, updated_at: v("at") as never })
          .where("model_id", "=", v("modelId"))
          .where("alias", "=", v("alias")),
      )!,
      insert: this.hot.get("move.insert", () =>
        this.db.insertInto("registry_aliases").values({
          model_id: v("modelId"),
          alias: v("alias"),
          version: v("to") as never,
          updated_at: v("at") as never,
        }),
      )!,
      // The event's sequence number is taken by the insert itself: max + 1 of the model's events.
      event: this.hot.get("move.event", () =>
        this.db
          .insertInto("registry_alias_events")
          .columns(["seq", "id", "model_id", "alias", "action", "from_version", "to_version", "actor", "reason", "at"])
          .expression((eb) =>
            eb
              .selectFrom("registry_alias_events")
              .select([
                sql<number>`coalesce(max(seq), 0) + 1`.as("seq"),
                sql<string>`${v("id")}`.as("id"),
                sql<string>`${v("modelId")}`.as("model_id"),
                sql<string>`${v("alias")}`.as("alias"),
                sql<string>`${v("action")}`.as("action"),
                sql<number | null>`${v("from")}`.as("from_version"),
                sql<number | null>`${v("to")}`.as("to_version"),
                sql<string>`${v("actor")}`.as("actor"),
                sql<string>`${v("reason")}`.as("reason"),
                sql<number>`${v("at")}`.as("at"),
              ])
              .where("model_id", "=", v("modelId")),
          ),
      )!,
      // Compare-and-set in the statement itself: when the caller saw the alias at a version, moving
      // it from there is one guarded update (or delete), and the row it changed is the proof that
      // the model and the alias were as expected. Only when it changes nothing are the model and
      // the alias read, to say which of them is missing or where the alias is now.
      casUpdate: this.hot.get("move.casUpdate", () =>
        this.db
          .updateTable("registry_aliases")
          .set({ version: v("to") as never, updated_at: v("at") as never })
          .where("model_id", "=", v("modelId"))
          .where("alias", "=", v("alias"))
          .where("version", "=", v("expected") as never),
      )!,
      casDelete: this.hot.get("move.casDelete", () =>
        this.db
          .deleteFrom("registry_aliases")
          .where("model_id", "=", v("modelId"))
          .where("alias", "=", v("alias"))
          .where("version", "=", v("expected") as never),
      )!,
    };
    return () => {
      const key = { modelId, alias, to: move.to ?? null, at: move.at, expected: move.expected };
      let from: number | undefined;
      const cas = move.expected == null ? undefined : move.to === undefined ? q.casDelete : q.casUpdate;
      if (cas && cas.stmt.run(cas.query.bind(key)).changes === 1) from = move.expected as number;
      else {
        if (!q.model.stmt.get(q.model.query.bind(key))) throw notFound("registered model", modelId);
        const current = q.current.stmt.get(q.current.query.bind(key)) as AliasRow | undefined;
        from = current ? Number(current.version) : undefined;
        if (move.expected !== undefined && (from ?? null) !== move.expected)
          throw new MlcycleError(
            "CONFLICT",
            `alias '${alias}' moved meanwhile (expected ${move.expected ?? "absent"}, found ${from ?? "absent"})`,
            { details: { alias, expected: move.expected, found: from ?? null } },
          );
        const change = move.to === undefined ? q.remove : current ? q.update : q.insert;
        change.stmt.run(change.query.bind(key));
      }
      const row = {
        id: newId(move.at),
        modelId,
        alias,
        action: move.action,
        from: from ?? null,
        to: move.to ?? null,
        actor: move.actor,
        reason: move.reason,
        at: move.at,
      };
      q.event.stmt.run(q.event.query.bind(row));
      return toEvent({ ...row, seq: 0, model_id: modelId, from_version: row.from, to_version: row.to });
    };
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
    const query = (m: string, a: string) =>
      this.db.selectFrom("registry_policies").selectAll().where("model_id", "=", m).where("alias", "=", a);
    const h = this.hot.get("getPolicy", () => query(v("modelId"), v("alias")));
    const r = h
      ? (h.stmt.get(h.query.bind({ modelId, alias })) as PolicyRow | undefined)
      : await query(modelId, alias).executeTakeFirst();
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

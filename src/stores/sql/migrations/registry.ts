import { sql } from "kysely";
import { foldModelName } from "../../registry-store.js";
import type { SqlMigration } from "../sql-database.js";

/** Schema of the registry tables, in order. */
export const registryMigrations: SqlMigration[] = [
  {
    name: "registry-0001-init",
    async up(db) {
      await db.schema
        .createTable("registry_models")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("name", "varchar(500)", (c) => c.notNull().unique())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("registry_model_tags")
        .addColumn("model_id", "varchar(26)", (c) => c.notNull())
        .addColumn("key", "varchar(250)", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("registry_model_tags_pk", ["model_id", "key"])
        .execute();
      await db.schema
        .createIndex("registry_model_tags_kv")
        .on("registry_model_tags")
        .columns(["key", "value"])
        .execute();
      await db.schema
        .createTable("registry_versions")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("model_id", "varchar(26)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("flavor", "varchar(250)", (c) => c.notNull())
        .addColumn("flavor_meta", "text", (c) => c.notNull())
        .addColumn("digest", "varchar(64)", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("signature", "text")
        .addColumn("run_id", "varchar(250)")
        .addColumn("pipeline_run_id", "varchar(250)")
        .addColumn("step", "varchar(500)")
        .addColumn("metrics", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("model_card", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("feature_service", "varchar(500)")
        .addColumn("created_by", "varchar(500)")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("registry_versions_number")
        .on("registry_versions")
        .columns(["model_id", "version"])
        .unique()
        .execute();
      await db.schema
        .createTable("registry_aliases")
        .addColumn("model_id", "varchar(26)", (c) => c.notNull())
        .addColumn("alias", "varchar(250)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("registry_aliases_pk", ["model_id", "alias"])
        .execute();
      await db.schema
        .createTable("registry_alias_events")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("model_id", "varchar(26)", (c) => c.notNull())
        .addColumn("alias", "varchar(250)", (c) => c.notNull())
        .addColumn("action", "varchar(16)", (c) => c.notNull())
        .addColumn("from_version", "integer")
        .addColumn("to_version", "integer")
        .addColumn("actor", "varchar(500)", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("registry_alias_events_alias")
        .on("registry_alias_events")
        .columns(["model_id", "alias", "id"])
        .execute();
      await db.schema
        .createTable("registry_policies")
        .addColumn("model_id", "varchar(26)", (c) => c.notNull())
        .addColumn("alias", "varchar(250)", (c) => c.notNull())
        .addColumn("require_approval", "integer", (c) => c.notNull())
        .addColumn("gate", "varchar(500)")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("registry_policies_pk", ["model_id", "alias"])
        .execute();
      await db.schema
        .createTable("registry_approvals")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("version_id", "varchar(26)", (c) => c.notNull())
        .addColumn("actor", "varchar(500)", (c) => c.notNull())
        .addColumn("comment", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("registry_approvals_version").on("registry_approvals").column("version_id").execute();
      await db.schema
        .createTable("registry_evaluations")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("version_id", "varchar(26)", (c) => c.notNull())
        .addColumn("gate", "varchar(500)")
        .addColumn("passed", "integer")
        .addColumn("run_id", "varchar(250)")
        .addColumn("result", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("registry_evaluations_version")
        .on("registry_evaluations")
        .column("version_id")
        .execute();
    },
  },
  {
    name: "registry-0002-policy-gate-digest",
    async up(db) {
      await db.schema.alterTable("registry_policies").addColumn("gate_digest", "varchar(64)").execute();
    },
  },
  {
    // ULIDs from two processes in the same millisecond do not sort by commit order; a per-model
    // sequence taken inside the write transaction does, and rollback walks the trail in that order.
    name: "registry-0003-alias-event-seq",
    async up(db) {
      await db.schema.alterTable("registry_alias_events").addColumn("seq", "bigint").execute();
      await db.schema
        .createIndex("registry_alias_events_seq")
        .on("registry_alias_events")
        .columns(["model_id", "seq"])
        .execute();
    },
  },
  {
    name: "registry-0004-version-deleted-at",
    async up(db) {
      await db.schema.alterTable("registry_versions").addColumn("deleted_at", "bigint").execute();
    },
  },
  {
    // `nameLike` is case-insensitive beyond ASCII (SQLite's LIKE folds ASCII only): names are
    // compared through a column holding `foldModelName(name)`, computed in JavaScript so every
    // backend folds exactly as the memory store does.
    name: "registry-0005-model-name-folded",
    async up(db) {
      await db.schema.alterTable("registry_models").addColumn("name_folded", "varchar(2000)").execute();
      const rows = (await db.selectFrom("registry_models").select(["id", "name"]).execute()) as Array<{
        id: string;
        name: string;
      }>;
      for (const r of rows)
        await db
          .updateTable("registry_models")
          .set({ name_folded: foldModelName(r.name) })
          .where("id", "=", r.id)
          .execute();
    },
  },
  {
    // Every audited alias move writes one event row, and a commit costs what its dirty pages cost.
    // The trail is stored in its primary key's order where the backend can (SQLite: WITHOUT ROWID,
    // so the table and its id index are one b-tree), and the (model_id, alias, id) index is gone:
    // events are read in sequence order, by model and optionally by alias, which the
    // (model_id, seq) index serves (an alias's moves are filtered from its model's, a short walk).
    // Two index pages fewer written by each move.
    name: "registry-0006-alias-events-clustered",
    async up(db, dialect) {
      const table = db.schema
        .createTable("registry_alias_events_v2")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("model_id", "varchar(26)", (c) => c.notNull())
        .addColumn("alias", "varchar(250)", (c) => c.notNull())
        .addColumn("action", "varchar(16)", (c) => c.notNull())
        .addColumn("from_version", "integer")
        .addColumn("to_version", "integer")
        .addColumn("actor", "varchar(500)", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("seq", "bigint");
      await dialect.clusterByPrimaryKey(table).execute();
      await sql`insert into ${sql.table("registry_alias_events_v2")}
        (id, model_id, alias, action, from_version, to_version, actor, reason, at, seq)
        select id, model_id, alias, action, from_version, to_version, actor, reason, at, seq
        from ${sql.table("registry_alias_events")}`.execute(db);
      await db.schema.dropTable("registry_alias_events").execute();
      await db.schema.alterTable("registry_alias_events_v2").renameTo("registry_alias_events").execute();
      await db.schema
        .createIndex("registry_alias_events_seq")
        .on("registry_alias_events")
        .columns(["model_id", "seq"])
        .execute();
    },
  },
];

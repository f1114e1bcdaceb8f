import { sql } from "kysely";
import type { SqlMigration } from "../sql-database.js";

/**
 * Schema of the feature tables, in order: definitions (entities, views, services), materialisation
 * progress, offline rows and online values; then (0002) offline rows clustered by their lookup key.
 */
export const featureRegistryMigrations: SqlMigration[] = [
  {
    name: "feature-registry-0001-init",
    async up(db, dialect) {
      await db.schema
        .createTable("feature_definitions")
        .addColumn("kind", "varchar(16)", (c) => c.notNull())
        .addColumn("name", "varchar(500)", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("digest", "varchar(64)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("owner", "varchar(500)")
        .addColumn("search_text", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("feature_definitions_pk", ["kind", "name"])
        .execute();
      await db.schema
        .createTable("feature_materializations")
        .addColumn("view", "varchar(500)", (c) => c.primaryKey())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("feature_offline_rows")
        .addColumn("seq", dialect.autoIncrementType("bigint"), (c) => c.primaryKey())
        .addColumn("view", "varchar(500)", (c) => c.notNull())
        .addColumn("entity_key", "text", (c) => c.notNull())
        .addColumn("event_time", "bigint", (c) => c.notNull())
        .addColumn("created_time", "bigint", (c) => c.notNull())
        .addColumn("values_json", "text", (c) => c.notNull())
        .execute();
      // The scan order of the offline store (key, event time, created time, write order).
      await db.schema
        .createIndex("feature_offline_rows_scan")
        .on("feature_offline_rows")
        .columns(["view", "entity_key", "event_time", "created_time", "seq"])
        .execute();
      await db.schema
        .createTable("feature_online_values")
        .addColumn("view", "varchar(500)", (c) => c.notNull())
        .addColumn("entity_key", "text", (c) => c.notNull())
        .addColumn("event_time", "bigint", (c) => c.notNull())
        .addColumn("created_time", "bigint", (c) => c.notNull())
        .addColumn("values_json", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("feature_online_values_pk", ["view", "entity_key"])
        .execute();
    },
  },
  {
    name: "feature-registry-0002-offline-rows-clustered",
    /**
     * Offline rows move to a table whose primary key is the lookup order (view id, entity key, event
     * time, created time, write sequence) — clustered where the dialect can (SQLite: a WITHOUT ROWID table), so a point-in-time probe
     * is one B-tree descent that ends on the row itself instead of an index entry and a rowid lookup.
     * View names become small integer ids (`feature_offline_views`, which also holds each view's next
     * write sequence). Existing rows are copied with their sequence numbers, so their order is kept.
     */
    async up(db, dialect) {
      await db.schema
        .createTable("feature_offline_views")
        .addColumn("id", dialect.autoIncrementType("integer"), (c) => c.primaryKey())
        .addColumn("name", "varchar(500)", (c) => c.notNull().unique())
        .addColumn("next_seq", "bigint", (c) => c.notNull())
        .execute();
      // Tables named through sql.table(), so a backend keeping them in a schema of their own finds them.
      await sql`insert into ${sql.table("feature_offline_views")} (name, next_seq)
        select "view", max(seq) + 1 from ${sql.table("feature_offline_rows")} group by "view" order by "view"`.execute(
        db,
      );
      const table = db.schema
        .createTable("feature_offline_rows_v2")
        .addColumn("view_id", "integer", (c) => c.notNull())
        .addColumn("entity_key", "text", (c) => c.notNull())
        .addColumn("event_time", "bigint", (c) => c.notNull())
        .addColumn("created_time", "bigint", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("values_json", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("feature_offline_rows_v2_pk", [
          "view_id",
          "entity_key",
          "event_time",
          "created_time",
          "seq",
        ]);
      await dialect.clusterByPrimaryKey(table).execute();
      await sql`insert into ${sql.table("feature_offline_rows_v2")} (view_id, entity_key, event_time, created_time, seq, values_json)
        select v.id, r.entity_key, r.event_time, r.created_time, r.seq, r.values_json
        from ${sql.table("feature_offline_rows")} r join ${sql.table("feature_offline_views")} v on v.name = r."view"
        order by v.id, r.entity_key, r.event_time, r.created_time, r.seq`.execute(db);
      await db.schema.dropTable("feature_offline_rows").execute();
      await db.schema.alterTable("feature_offline_rows_v2").renameTo("feature_offline_rows").execute();
    },
  },
];

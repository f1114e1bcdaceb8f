import type { SqlMigration } from "../sql-database.js";

/**
 * Schema of the feature tables, in order: definitions (entities, views, services), materialisation
 * progress, offline rows and online values.
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
        .addColumn("seq", dialect === "postgres" ? "bigserial" : "integer", (c) => c.primaryKey())
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
];

import type { SqlMigration } from "../sql-database.js";

/** Schema of the lineage tables, in order. */
export const lineageMigrations: SqlMigration[] = [
  {
    name: "lineage-0001-init",
    async up(db) {
      await db.schema
        .createTable("lineage_nodes")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("kind", "varchar(16)", (c) => c.notNull())
        .addColumn("type", "varchar(250)", (c) => c.notNull())
        .addColumn("name", "varchar(500)", (c) => c.notNull())
        .addColumn("external_id", "varchar(1000)")
        .addColumn("digest", "varchar(64)")
        .addColumn("uri", "text")
        .addColumn("properties", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("lineage_nodes_external")
        .on("lineage_nodes")
        .columns(["kind", "external_id"])
        .unique()
        .execute();
      await db.schema.createIndex("lineage_nodes_type").on("lineage_nodes").columns(["type", "name"]).execute();
      await db.schema.createIndex("lineage_nodes_digest").on("lineage_nodes").column("digest").execute();
      await db.schema
        .createTable("lineage_edges")
        .addColumn("type", "varchar(16)", (c) => c.notNull())
        .addColumn("from_id", "varchar(26)", (c) => c.notNull())
        .addColumn("to_id", "varchar(26)", (c) => c.notNull())
        .addColumn("direction", "varchar(8)", (c) => c.notNull())
        .addColumn("slot", "varchar(250)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("lineage_edges_pk", ["type", "from_id", "to_id", "direction", "slot"])
        .execute();
      await db.schema.createIndex("lineage_edges_to").on("lineage_edges").column("to_id").execute();
    },
  },
];

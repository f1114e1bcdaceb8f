import type { SqlMigration } from "../sql-database.js";

/**
 * Schema of online experiments, in order: one row per experiment keyed by its name (variants,
 * config and state as JSON text, the compare-and-set revision), its audit trail keyed by
 * (experiment, seq), and the outcome sums keyed by (experiment, variant, metric).
 */
export const onlineExperimentMigrations: SqlMigration[] = [
  {
    name: "online-experiments-0001-init",
    async up(db) {
      await db.schema
        .createTable("online_experiments")
        .addColumn("name", "varchar(500)", (c) => c.primaryKey())
        .addColumn("id", "varchar(500)", (c) => c.notNull())
        .addColumn("deployment", "varchar(500)", (c) => c.notNull())
        .addColumn("kind", "varchar(16)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("salt", "text", (c) => c.notNull())
        .addColumn("variants", "text", (c) => c.notNull())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("revision", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // Lists run in (created_at, id, name) order, alone or within a deployment.
      await db.schema
        .createIndex("online_experiments_created")
        .on("online_experiments")
        .columns(["created_at", "id", "name"])
        .execute();
      await db.schema
        .createIndex("online_experiments_deployment")
        .on("online_experiments")
        .columns(["deployment", "created_at", "id", "name"])
        .execute();
      await db.schema
        .createTable("online_experiment_events")
        .addColumn("experiment", "varchar(500)", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("action", "varchar(500)", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("online_experiment_events_pk", ["experiment", "seq"])
        .execute();
      await db.schema
        .createTable("online_experiment_aggregates")
        .addColumn("experiment", "varchar(500)", (c) => c.notNull())
        .addColumn("variant", "varchar(500)", (c) => c.notNull())
        .addColumn("metric", "varchar(500)", (c) => c.notNull())
        .addColumn("n", "bigint", (c) => c.notNull())
        .addColumn("sum", "double precision", (c) => c.notNull())
        .addColumn("sum_squares", "double precision", (c) => c.notNull())
        .addColumn("covariate_sum", "double precision", (c) => c.notNull())
        .addColumn("covariate_sum_squares", "double precision", (c) => c.notNull())
        .addColumn("product_sum", "double precision", (c) => c.notNull())
        .addPrimaryKeyConstraint("online_experiment_aggregates_pk", ["experiment", "variant", "metric"])
        .execute();
    },
  },
];

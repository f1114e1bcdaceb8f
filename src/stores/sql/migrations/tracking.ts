import type { SqlMigration } from "../sql-database.js";

/**
 * Schema of the tracking tables, in order.
 *
 * Metric values are `double precision` and nullable: NULL stands for NaN (SQLite cannot hold NaN in
 * a REAL; ±Infinity round-trip as they are), so every float64 reads back exactly on every dialect.
 */
export const trackingMigrations: SqlMigration[] = [
  {
    name: "tracking-0001-init",
    async up(db) {
      await db.schema
        .createTable("tracking_experiments")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("name", "varchar(500)", (c) => c.notNull().unique())
        .addColumn("description", "text")
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("lifecycle", "varchar(16)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("tracking_runs")
        .addColumn("id", "varchar(26)", (c) => c.primaryKey())
        .addColumn("experiment_id", "varchar(26)", (c) => c.notNull().references("tracking_experiments.id"))
        .addColumn("name", "varchar(500)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("parent_run_id", "varchar(26)")
        .addColumn("start_time", "bigint", (c) => c.notNull())
        .addColumn("end_time", "bigint")
        .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
        .addColumn("error", "text")
        .execute();
      await db.schema
        .createIndex("tracking_runs_experiment")
        .on("tracking_runs")
        .columns(["experiment_id", "start_time"])
        .execute();
      await db.schema.createIndex("tracking_runs_start").on("tracking_runs").column("start_time").execute();
      await db.schema.createIndex("tracking_runs_parent").on("tracking_runs").column("parent_run_id").execute();

      for (const table of ["tracking_params", "tracking_tags"]) {
        await db.schema
          .createTable(table)
          .addColumn("run_id", "varchar(26)", (c) => c.notNull().references("tracking_runs.id"))
          .addColumn("key", "varchar(250)", (c) => c.notNull())
          .addColumn("value", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ["run_id", "key"])
          .execute();
      }
      await db.schema.createIndex("tracking_params_key").on("tracking_params").columns(["key", "value"]).execute();
      await db.schema.createIndex("tracking_tags_key").on("tracking_tags").columns(["key", "value"]).execute();

      // Full history: duplicates are legal (same step logged twice), so no primary key.
      await db.schema
        .createTable("tracking_metrics")
        .addColumn("run_id", "varchar(26)", (c) => c.notNull())
        .addColumn("key", "varchar(250)", (c) => c.notNull())
        .addColumn("step", "bigint", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addColumn("value", "double precision")
        .execute();
      await db.schema
        .createIndex("tracking_metrics_series")
        .on("tracking_metrics")
        .columns(["run_id", "key", "step"])
        .execute();

      await db.schema
        .createTable("tracking_latest_metrics")
        .addColumn("run_id", "varchar(26)", (c) => c.notNull())
        .addColumn("key", "varchar(250)", (c) => c.notNull())
        .addColumn("step", "bigint", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addColumn("value", "double precision")
        .addPrimaryKeyConstraint("tracking_latest_metrics_pk", ["run_id", "key"])
        .execute();
      await db.schema
        .createIndex("tracking_latest_metrics_key")
        .on("tracking_latest_metrics")
        .columns(["key", "value"])
        .execute();

      await db.schema
        .createTable("tracking_artifacts")
        .addColumn("run_id", "varchar(26)", (c) => c.notNull().references("tracking_runs.id"))
        .addColumn("path", "varchar(1000)", (c) => c.notNull())
        .addColumn("digest", "varchar(64)", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("tracking_artifacts_pk", ["run_id", "path"])
        .execute();

      await db.schema
        .createTable("tracking_inputs")
        .addColumn("run_id", "varchar(26)", (c) => c.notNull().references("tracking_runs.id"))
        .addColumn("digest", "varchar(250)", (c) => c.notNull())
        .addColumn("context", "varchar(250)", (c) => c.notNull())
        .addColumn("name", "varchar(500)", (c) => c.notNull())
        .addColumn("schema", "text")
        .addColumn("source", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("tracking_inputs_pk", ["run_id", "digest", "context"])
        .execute();
    },
  },
  {
    name: "tracking-0002-run-lifecycle",
    async up(db) {
      await db.schema
        .alterTable("tracking_runs")
        .addColumn("lifecycle", "varchar(16)", (c) => c.notNull().defaultTo("active"))
        .execute();
    },
  },
];

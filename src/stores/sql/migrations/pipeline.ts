import type { SqlMigration } from "../sql-database.js";

/** Schema of the pipeline tables, in order. */
export const pipelineMigrations: SqlMigration[] = [
  {
    name: "pipeline-0001-init",
    async up(db) {
      await db.schema
        .createTable("pipeline_runs")
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("pipeline", "varchar(500)", (c) => c.notNull())
        .addColumn("version", "varchar(250)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("params", "text", (c) => c.notNull())
        .addColumn("tracking_run_id", "varchar(64)")
        .addColumn("trigger_name", "varchar(500)")
        .addColumn("options", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("finished_at", "bigint")
        .addColumn("error", "text")
        .execute();
      await db.schema.createIndex("pipeline_runs_pipeline").on("pipeline_runs").columns(["pipeline", "id"]).execute();
      await db.schema
        .createTable("pipeline_steps")
        .addColumn("run_id", "varchar(64)", (c) => c.notNull())
        .addColumn("step", "varchar(500)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("claim_token", "varchar(64)")
        .addColumn("started_at", "bigint")
        .addColumn("finished_at", "bigint")
        .addColumn("error", "text")
        .addColumn("cache_key", "varchar(64)")
        .addColumn("cache_components", "text")
        .addColumn("cache_hit", "integer", (c) => c.notNull())
        .addColumn("output", "text")
        .addColumn("tracking_run_id", "varchar(64)")
        .addColumn("reason", "text")
        .addColumn("items", "integer")
        .addColumn("logs", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("pipeline_steps_pk", ["run_id", "step"])
        .execute();
      await db.schema
        .createTable("pipeline_cache")
        .addColumn("key", "varchar(64)", (c) => c.primaryKey())
        .addColumn("base_key", "varchar(64)", (c) => c.notNull())
        .addColumn("step", "varchar(500)", (c) => c.notNull())
        .addColumn("components", "text", (c) => c.notNull())
        .addColumn("output", "text", (c) => c.notNull())
        .addColumn("run_id", "varchar(64)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .execute();
      await db.schema.createIndex("pipeline_cache_base").on("pipeline_cache").column("base_key").execute();
      await db.schema.createIndex("pipeline_cache_step").on("pipeline_cache").columns(["step", "created_at"]).execute();
    },
  },
  {
    name: "pipeline-0002-run-lease",
    async up(db) {
      // Who drives a running run and until when (resume takes a run over only once it expired).
      await db.schema.alterTable("pipeline_runs").addColumn("lease_holder", "varchar(64)").execute();
      await db.schema.alterTable("pipeline_runs").addColumn("lease_expires_at", "bigint").execute();
    },
  },
];

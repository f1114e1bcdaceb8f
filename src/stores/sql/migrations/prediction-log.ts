import type { SqlMigration } from "../sql-database.js";

/**
 * Schema of the prediction log, in order: one row per logged prediction (JSON members as text,
 * NULL when absent) read by time then id, alone or within a deployment, a model version or a
 * deployment's variant; and the feedback merged per prediction.
 */
export const predictionLogMigrations: SqlMigration[] = [
  {
    name: "prediction-log-0001-init",
    async up(db) {
      await db.schema
        .createTable("prediction_log")
        .addColumn("id", "varchar(500)", (c) => c.primaryKey())
        .addColumn("deployment", "varchar(500)", (c) => c.notNull())
        .addColumn("model", "varchar(500)", (c) => c.notNull())
        .addColumn("version", "bigint", (c) => c.notNull())
        .addColumn("version_id", "varchar(500)", (c) => c.notNull())
        .addColumn("variant", "varchar(500)")
        .addColumn("models", "text")
        .addColumn("row_count", "bigint", (c) => c.notNull())
        .addColumn("inputs", "text")
        .addColumn("outputs", "text")
        .addColumn("payload", "varchar(16)", (c) => c.notNull())
        .addColumn("latency_ms", "double precision", (c) => c.notNull())
        .addColumn("answered_at", "bigint", (c) => c.notNull())
        .execute();
      // Pages are keyset ranges on (answered_at, id), each filter with an index ending in them.
      await db.schema.createIndex("prediction_log_time").on("prediction_log").columns(["answered_at", "id"]).execute();
      await db.schema
        .createIndex("prediction_log_deployment")
        .on("prediction_log")
        .columns(["deployment", "answered_at", "id"])
        .execute();
      await db.schema
        .createIndex("prediction_log_variant")
        .on("prediction_log")
        .columns(["deployment", "variant", "answered_at", "id"])
        .execute();
      await db.schema
        .createIndex("prediction_log_model")
        .on("prediction_log")
        .columns(["model", "version", "answered_at", "id"])
        .execute();
      await db.schema
        .createTable("prediction_feedback")
        .addColumn("prediction_id", "varchar(500)", (c) => c.primaryKey())
        .addColumn("label", "text")
        .addColumn("outcome", "double precision")
        .addColumn("recorded_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
];

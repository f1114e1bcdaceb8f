import type { SqlMigration } from "../sql-database.js";

/**
 * Schema of the monitor store, in order: one row per monitor keyed by its name (settings as JSON
 * text, the compare-and-set revision, the row counter); reference profiles keyed by (monitor,
 * version); window partials keyed by (monitor, window, producer, seq); window results keyed by
 * (monitor, window); alerts keyed by id, with `open_rule` — the rule while the alert is open, NULL
 * once it resolves — under a unique index on (monitor, open_rule): the database itself refuses a
 * second open alert of one (monitor, rule), while resolved alerts (NULL, never equal to another
 * NULL in a unique index on SQLite, PostgreSQL and MySQL alike) are as many as there were.
 */
export const monitorMigrations: SqlMigration[] = [
  {
    name: "monitors-0001-init",
    async up(db) {
      await db.schema
        .createTable("monitors")
        .addColumn("name", "varchar(500)", (c) => c.primaryKey())
        .addColumn("id", "varchar(500)", (c) => c.notNull())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("revision", "bigint", (c) => c.notNull())
        .addColumn("row_count", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // Lists run in (created_at, id, name) order.
      await db.schema.createIndex("monitors_created").on("monitors").columns(["created_at", "id", "name"]).execute();
      await db.schema
        .createTable("monitor_references")
        .addColumn("monitor", "varchar(500)", (c) => c.notNull())
        .addColumn("version", "bigint", (c) => c.notNull())
        .addColumn("model_name", "varchar(500)")
        .addColumn("model_version", "bigint")
        .addColumn("model_version_id", "varchar(500)")
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("row_count", "bigint", (c) => c.notNull())
        .addColumn("digest", "varchar(64)", (c) => c.notNull())
        .addColumn("profile", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("monitor_references_pk", ["monitor", "version"])
        .execute();
      await db.schema
        .createTable("monitor_partials")
        .addColumn("monitor", "varchar(500)", (c) => c.notNull())
        .addColumn("window_index", "bigint", (c) => c.notNull())
        .addColumn("producer", "varchar(500)", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .addColumn("row_count", "bigint", (c) => c.notNull())
        .addColumn("reference_version", "bigint")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("monitor_partials_pk", ["monitor", "window_index", "producer", "seq"])
        .execute();
      await db.schema
        .createTable("monitor_window_results")
        .addColumn("monitor", "varchar(500)", (c) => c.notNull())
        .addColumn("window_index", "bigint", (c) => c.notNull())
        .addColumn("start_at", "bigint", (c) => c.notNull())
        .addColumn("end_at", "bigint", (c) => c.notNull())
        .addColumn("row_count", "bigint", (c) => c.notNull())
        .addColumn("reference_version", "bigint")
        .addColumn("model_name", "varchar(500)")
        .addColumn("model_version", "bigint")
        .addColumn("model_version_id", "varchar(500)")
        .addColumn("figures", "text", (c) => c.notNull())
        .addColumn("report", "text", (c) => c.notNull())
        .addColumn("closed_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("monitor_window_results_pk", ["monitor", "window_index"])
        .execute();
      await db.schema
        .createTable("monitor_alerts")
        .addColumn("id", "varchar(500)", (c) => c.primaryKey())
        .addColumn("monitor", "varchar(500)", (c) => c.notNull())
        .addColumn("rule", "varchar(500)", (c) => c.notNull())
        .addColumn("open_rule", "varchar(500)")
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("severity", "varchar(500)", (c) => c.notNull())
        .addColumn("figure", "varchar(500)", (c) => c.notNull())
        .addColumn("value", "double precision", (c) => c.notNull())
        .addColumn("op", "varchar(16)", (c) => c.notNull())
        .addColumn("threshold", "double precision", (c) => c.notNull())
        .addColumn("window_index", "bigint", (c) => c.notNull())
        .addColumn("last_window", "bigint", (c) => c.notNull())
        .addColumn("breaches", "bigint", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("details", "text", (c) => c.notNull())
        .addColumn("opened_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("resolved_at", "bigint")
        .addColumn("resolved_window", "bigint")
        .execute();
      await db.schema
        .createIndex("monitor_alerts_open")
        .on("monitor_alerts")
        .columns(["monitor", "open_rule"])
        .unique()
        .execute();
      // Lists run newest first by (opened_at, id), alone or within a monitor.
      await db.schema.createIndex("monitor_alerts_opened").on("monitor_alerts").columns(["opened_at", "id"]).execute();
      await db.schema
        .createIndex("monitor_alerts_monitor")
        .on("monitor_alerts")
        .columns(["monitor", "opened_at", "id"])
        .execute();
    },
  },
];

import type { SqlMigration } from "../sql-database.js";

/**
 * The sign of a zero metric value: `negative_zero` is 1 where the value is `-0`, NULL otherwise.
 * SQLite stores a REAL that is a whole number as an integer, so `-0.0` reads back as `0`; the value
 * column keeps `0` (filters and sorting compare it as zero, as JavaScript does) and this flag puts
 * the sign back when the point is read — the way NULL stands for NaN.
 */
export const trackingNegativeZeroMigrations: readonly SqlMigration[] = [
  {
    name: "tracking-0003-negative-zero",
    async up(db) {
      for (const table of ["tracking_metrics", "tracking_latest_metrics"])
        await db.schema.alterTable(table).addColumn("negative_zero", "smallint").execute();
    },
  },
];

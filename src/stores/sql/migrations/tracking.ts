import type { SqlMigration } from "../sql-database.js";

/** Schema of the tracking tables, in order. */
export const trackingMigrations: SqlMigration[] = [];

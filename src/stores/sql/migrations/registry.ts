import type { SqlMigration } from "../sql-database.js";

/** Schema of the registry tables, in order. */
export const registryMigrations: SqlMigration[] = [];

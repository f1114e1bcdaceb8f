import type { SqlMigration } from "../sql-database.js";

/** Schema of the feature-registry tables, in order. */
export const featureRegistryMigrations: SqlMigration[] = [];

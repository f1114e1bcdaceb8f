import type { SqlMigration } from "../sql-database.js";

/** Schema of the pipeline tables, in order. */
export const pipelineMigrations: SqlMigration[] = [];

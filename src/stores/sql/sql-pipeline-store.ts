import type { PipelineStore } from "../pipeline-store.js";
import type { SqlDatabase } from "./sql-database.js";

/** The Kysely {@link PipelineStore} (SQLite; PostgreSQL-ready). */
export class SqlPipelineStore implements PipelineStore {
  constructor(readonly database: SqlDatabase) {}
}

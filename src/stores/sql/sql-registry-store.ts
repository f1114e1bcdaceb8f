import type { RegistryStore } from "../registry-store.js";
import type { SqlDatabase } from "./sql-database.js";

/** The Kysely {@link RegistryStore} (SQLite; PostgreSQL-ready). */
export class SqlRegistryStore implements RegistryStore {
  constructor(readonly database: SqlDatabase) {}
}

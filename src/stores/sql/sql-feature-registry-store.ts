import type { FeatureRegistryStore } from "../feature-registry-store.js";
import type { SqlDatabase } from "./sql-database.js";

/** The Kysely {@link FeatureRegistryStore} (SQLite; PostgreSQL-ready). */
export class SqlFeatureRegistryStore implements FeatureRegistryStore {
  constructor(readonly database: SqlDatabase) {}
}

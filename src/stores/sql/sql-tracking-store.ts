import type { TrackingStore } from "../tracking-store.js";
import type { SqlDatabase } from "./sql-database.js";

/** The Kysely {@link TrackingStore} (SQLite; PostgreSQL-ready). */
export class SqlTrackingStore implements TrackingStore {
  constructor(readonly database: SqlDatabase) {}
}

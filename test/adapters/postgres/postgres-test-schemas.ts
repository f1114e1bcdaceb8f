// Schemas of the PostgreSQL tests: each test works in a schema of its own (uniqueName), migrated
// like a new store's, and drops it afterwards (DROP SCHEMA … CASCADE), so runs never collide and
// leave nothing behind.
import pg from "pg";
import {
  openPostgresDatabase,
  type PostgresDatabase,
  type PostgresStore,
  postgresStore,
} from "../../../src/adapters/postgres/index.js";
import { allMigrations } from "../../../src/stores/sql/migrations/index.js";
import { migrate } from "../../../src/stores/sql/sql-database.js";
import { POSTGRES_URL, uniqueName } from "../../services.js";

/**
 * A pool on the test server (or the database at `url`) and the schemas handed out on it, dropped by
 * `drop()` and at `end()`.
 */
export function testSchemas(prefix: string, url = POSTGRES_URL) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const handed: string[] = [];
  const opened: Array<{ close(): Promise<void> }> = [];
  const next = () => {
    const schema = uniqueName(prefix).toLowerCase();
    handed.push(schema);
    return schema;
  };
  return {
    pool,
    /** A fresh schema's name (not created: the first migration run creates it). */
    name: next,
    /**
     * A database handle on a fresh schema, migrated: with the migrations of the named groups only
     * (`tracking`, `lineage`, `registry`… — the start of their names) when given, since creating all
     * forty-odd tables and their indexes takes PostgreSQL about a second; with all of them otherwise.
     */
    async database(...groups: string[]): Promise<PostgresDatabase> {
      const database = openPostgresDatabase({ pool, schema: next() });
      opened.push(database);
      const wanted = groups.length
        ? allMigrations.filter((m) => groups.some((g) => m.name.startsWith(`${g}-`)))
        : allMigrations;
      await migrate(database, wanted);
      return database;
    },
    /** The backend bundle on a fresh schema (or `schema`), its metadata store initialised. */
    async store(schema = next()): Promise<PostgresStore> {
      const store = postgresStore({ pool, schema });
      opened.push(store.metadata);
      await store.metadata.init?.();
      return store;
    },
    /** Closes what was opened and drops every schema handed out so far. */
    async drop(): Promise<void> {
      for (const o of opened.splice(0)) await o.close().catch(() => undefined);
      for (const schema of handed.splice(0)) await pool.query(`drop schema if exists "${schema}" cascade`);
    },
    /** {@link drop}, then ends the pool. */
    async end(): Promise<void> {
      await this.drop();
      await pool.end();
    },
  };
}

import { openSqliteDatabase } from "../../src/index.js";
import { MemoryLineageStore } from "../../src/stores/memory/memory-lineage-store.js";
import { MemoryRegistryStore } from "../../src/stores/memory/memory-registry-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate, type SqlDatabase } from "../../src/stores/sql/sql-database.js";
import { SqlLineageStore } from "../../src/stores/sql/sql-lineage-store.js";
import { SqlRegistryStore } from "../../src/stores/sql/sql-registry-store.js";
import { registryStoreSuite } from "../../src/testing/index.js";

registryStoreSuite("memory", async () => new MemoryRegistryStore(), {
  withLineage: async () => {
    const lineage = new MemoryLineageStore();
    return { registry: new MemoryRegistryStore({ lineage }), lineage };
  },
});
registryStoreSuite(
  "sqlite",
  async () => {
    const db = openSqliteDatabase({ path: ":memory:" });
    await migrate(db, allMigrations);
    return new SqlRegistryStore(db);
  },
  {
    pendingUnicodeNameLike: true,
    withLineage: async () => {
      const db = openSqliteDatabase({ path: ":memory:" });
      await migrate(db, allMigrations);
      const lineage = new SqlLineageStore(db);
      return { registry: new SqlRegistryStore(db, { lineage }), lineage };
    },
  },
);

// The same store on the Kysely path alone (no prepared statements, no group commit), as on a server database.
registryStoreSuite("sqlite through Kysely only", async () => new SqlRegistryStore(await kyselyOnly()), {
  pendingUnicodeNameLike: true,
  withLineage: async () => {
    const db = await kyselyOnly();
    const lineage = new SqlLineageStore(db);
    return { registry: new SqlRegistryStore(db, { lineage }), lineage };
  },
});

async function kyselyOnly(): Promise<SqlDatabase> {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return { db: db.db, dialect: db.dialect, close: () => db.close() };
}

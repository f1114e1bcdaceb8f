import { openSqliteDatabase } from "../../src/index.js";
import { MemoryLineageStore } from "../../src/stores/memory/memory-lineage-store.js";
import { MemoryRegistryStore } from "../../src/stores/memory/memory-registry-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
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
  { pendingUnicodeNameLike: true },
);

import { MemoryFeatureRegistryStore } from "../../src/stores/memory/memory-feature-registry-store.js";
import { MemoryOfflineStore } from "../../src/stores/memory/memory-offline-store.js";
import { MemoryOnlineStore } from "../../src/stores/memory/memory-online-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlFeatureRegistryStore } from "../../src/stores/sql/sql-feature-registry-store.js";
import { SqlOfflineStore } from "../../src/stores/sql/sql-offline-store.js";
import { SqliteOnlineStore } from "../../src/adapters/sqlite/sqlite-online-store.js";
import { openSqliteDatabase } from "../../src/adapters/sqlite/sqlite-database.js";
import { featureRegistryStoreSuite, offlineStoreSuite, onlineStoreSuite } from "../../src/testing/index.js";

async function sqlite() {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return db;
}

featureRegistryStoreSuite("memory", async () => new MemoryFeatureRegistryStore());
featureRegistryStoreSuite("sqlite", async () => new SqlFeatureRegistryStore(await sqlite()));
offlineStoreSuite("memory", async () => new MemoryOfflineStore());
offlineStoreSuite("sqlite", async () => new SqlOfflineStore(await sqlite()));
// The portable Kysely path (what PostgreSQL runs), exercised on SQLite.
offlineStoreSuite("sqlite via kysely", async () => new SqlOfflineStore(await sqlite(), { raw: false }));
onlineStoreSuite("memory", async () => new MemoryOnlineStore());
onlineStoreSuite("sqlite", async () => new SqliteOnlineStore(await sqlite()));
onlineStoreSuite("sqlite via kysely", async () => {
  const db = await sqlite();
  return new SqliteOnlineStore({ db: db.db, dialect: db.dialect, close: () => db.close() });
});

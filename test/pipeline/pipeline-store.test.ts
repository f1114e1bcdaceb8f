import { memoryStore, openSqliteDatabase, sqlStore } from "../../src/index.js";
import { MemoryPipelineStore } from "../../src/stores/memory/memory-pipeline-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlPipelineStore } from "../../src/stores/sql/sql-pipeline-store.js";
import { pipelineStoreSuite } from "../../src/testing/index.js";

pipelineStoreSuite("memory", async () => new MemoryPipelineStore());
pipelineStoreSuite("memory metadata store", async () => memoryStore());
pipelineStoreSuite("sqlite", async () => {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return new SqlPipelineStore(db);
});
pipelineStoreSuite("sqlite metadata store", async () => {
  const store = sqlStore(openSqliteDatabase({ path: ":memory:" }));
  await store.init?.();
  return store;
});
pipelineStoreSuite("sqlite via kysely", async () => {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  // The same database without its accelerator: every write through Kysely and writeTransaction.
  return sqlStore({ db: db.db, dialect: db.dialect, close: () => db.close() });
});

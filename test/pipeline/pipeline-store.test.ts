import { openSqliteDatabase } from "../../src/index.js";
import { MemoryPipelineStore } from "../../src/stores/memory/memory-pipeline-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlPipelineStore } from "../../src/stores/sql/sql-pipeline-store.js";
import { pipelineStoreSuite } from "../../src/testing/index.js";

pipelineStoreSuite("memory", async () => new MemoryPipelineStore());
pipelineStoreSuite("sqlite", async () => {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return new SqlPipelineStore(db);
});

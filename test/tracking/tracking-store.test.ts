import { openSqliteDatabase } from "../../src/index.js";
import { MemoryTrackingStore } from "../../src/stores/memory/memory-tracking-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlTrackingStore } from "../../src/stores/sql/sql-tracking-store.js";
import { trackingStoreSuite } from "../../src/testing/index.js";

trackingStoreSuite("memory", async () => new MemoryTrackingStore());
trackingStoreSuite(
  "sqlite",
  async () => {
    const db = openSqliteDatabase({ path: ":memory:" });
    await migrate(db, allMigrations);
    return new SqlTrackingStore(db);
  },
  {
    pending: {
      "duplicate-run-id": "the SQL store lets the driver's UNIQUE constraint error through instead of CONFLICT",
    },
  },
);

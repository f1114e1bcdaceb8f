import { describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/index.js";
import { MemoryTrackingStore } from "../../src/stores/memory/memory-tracking-store.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { type SqlDialect, SqlDialectBase } from "../../src/stores/sql/sql-dialect.js";
import { SqlTrackingStore } from "../../src/stores/sql/sql-tracking-store.js";
import { trackingStoreSuite } from "../../src/testing/index.js";

trackingStoreSuite("memory", async () => new MemoryTrackingStore());
trackingStoreSuite("sqlite", async () => {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return new SqlTrackingStore(db);
});

describe("SQL run search past the dialect's bound-parameter limit", () => {
  it("is VALIDATION naming the filter, not the driver's 'too many SQL variables' (regression)", async () => {
    const db = openSqliteDatabase({ path: ":memory:" });
    await migrate(db, allMigrations);
    // A backend binding one parameter per IN value, with SQLite's historical limit of 999.
    const dialect: SqlDialect = Object.create(db.dialect, {
      maxBoundParameters: { value: 999 },
      inList: { value: SqlDialectBase.prototype.inList },
    });
    const store = new SqlTrackingStore({ db: db.db, dialect, close: () => db.close() });
    await store.createExperiment({ id: "e", name: "e", tags: {}, lifecycle: "active", createdAt: 1, updatedAt: 1 });
    await store.createRun(
      { id: "r", experimentId: "e", name: "r", status: "running", startTime: 1, heartbeatAt: 1 },
      {},
      {},
    );
    const query = (lists: number, size = 1000) => ({
      experimentIds: [],
      filter: {
        type: "or" as const,
        children: Array.from({ length: lists }, () => ({
          type: "in" as const,
          field: { kind: "metric" as const, key: "m" },
          values: Array.from({ length: size }, (_, i) => i),
          negated: false,
        })),
      },
      orderBy: [],
      limit: 10,
      offset: 0,
      crashedBefore: 0,
    });
    expect(await store.searchRuns(query(2, 400))).toEqual([]);
    const error = await store.searchRuns(query(49)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "VALIDATION", issues: [{ path: ["filter"] }] });
    expect((error as Error).message).toMatch(/at most 999/);
    await db.close();
  });
});

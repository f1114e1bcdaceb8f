import { describe, expect, it } from "vitest";
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

describe("registry migration 0005 (folded model names)", () => {
  it("fills name_folded of models stored before it, so 'über%' finds them (regression: found nothing on SQLite)", async () => {
    const db = openSqliteDatabase({ path: ":memory:" });
    await migrate(
      db,
      allMigrations.filter((m) => m.name !== "registry-0005-model-name-folded"),
    );
    for (const [id, name] of [
      ["m1", "Über Model"],
      ["m2", "ÉTÉ"],
      ["m3", "plain"],
    ])
      await db.db
        .insertInto("registry_models")
        .values({ id, name, description: "", created_at: 1, updated_at: 1 })
        .execute();
    expect(await migrate(db, allMigrations)).toEqual(["registry-0005-model-name-folded"]);
    const store = new SqlRegistryStore(db);
    expect((await store.listModels({ nameLike: "über%" })).map((m) => m.name)).toEqual(["Über Model"]);
    expect((await store.listModels({ nameLike: "%été" })).map((m) => m.name)).toEqual(["ÉTÉ"]);
    const renamed = await store.updateModel("m3", { name: "Ärger", updatedAt: 2 });
    expect((await store.listModels({ nameLike: "ä%" })).map((m) => m.id)).toEqual([renamed.id]);
    expect(await store.listModels({ nameLike: "plain" })).toEqual([]);
    await db.close();
  });
});

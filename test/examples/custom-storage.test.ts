// examples/custom-storage.ts: the table-backed ArtifactStore passes mlcycle's ArtifactStore conformance
// suite (corruption hook included, so verified reads and repairs are tested), the table-backed
// OnlineStore passes the OnlineStore suite, and the example's workspace stores a model version as a
// row, loads it back, and serves features materialised into the online table.
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { main, tableArtifactStore, tableOnlineStore } from "../../examples/custom-storage.js";
import { isMlcycleError } from "../../src/index.js";
import { artifactStoreSuite, onlineStoreSuite } from "../../src/testing/index.js";

const dbs = new WeakMap<object, Database.Database>();
artifactStoreSuite(
  "examples/custom-storage tableArtifactStore",
  async () => {
    const db = new Database(":memory:");
    const store = tableArtifactStore({ db });
    dbs.set(store, db);
    return store;
  },
  {
    // Behind the store's back: same digest, other bytes of the same size.
    corrupt: async (store, digest) => {
      const db = dbs.get(store) as Database.Database;
      db.prepare("UPDATE mlcycle_artifacts SET bytes = zeroblob(size) WHERE digest = ?").run(digest);
    },
  },
);

onlineStoreSuite("examples/custom-storage tableOnlineStore", async () =>
  tableOnlineStore({ db: new Database(":memory:") }),
);

describe("examples/custom-storage.ts", () => {
  it("keeps a registered model as a row of the table and loads it back", async () => {
    const lines: string[] = [];
    const summary = await main({ print: (l: string) => lines.push(l) });
    expect(summary.rows).toBe(1);
    expect(summary.predictions).toEqual([3, 6]);
    expect(summary.online).toEqual({ clicks: 3 });
    expect(summary.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(lines.join("\n")).toContain(`sha256 ${summary.digest.slice(0, 12)}`);
  });

  it("refuses a table name that is not a plain identifier (it is spliced into SQL)", () => {
    const db = new Database(":memory:");
    try {
      for (const make of [tableArtifactStore, tableOnlineStore])
        expect(() => make({ db, table: "x; DROP TABLE y" })).toThrow(
          expect.toSatisfy((e) => isMlcycleError(e, "VALIDATION")),
        );
    } finally {
      db.close();
    }
  });
});

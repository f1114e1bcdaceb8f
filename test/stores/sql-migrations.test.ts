import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/index.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate, type SqlMigration } from "../../src/stores/sql/sql-database.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();

function runChild(wsDir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "open-workspace-child.ts"), wsDir],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(code) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe("SQL migrations", () => {
  it("apply once when several processes open a new workspace at the same moment", async () => {
    const wsDir = join(dir, "concurrent");
    await Promise.all([1, 2, 3, 4].map(() => runChild(wsDir)));
    const raw = new Database(join(wsDir, "mlcycle.db"), { readonly: true });
    const applied = raw.prepare("select name from mlcycle_migrations order by name").all() as { name: string }[];
    expect(applied.map((r) => r.name)).toEqual(allMigrations.map((m) => m.name).sort());
    const nodes = raw.prepare("select count(*) as n from lineage_nodes").get() as { n: number };
    expect(nodes.n).toBe(4);
    raw.close();
  }, 60_000);

  it("are recorded and skipped on the next open; a failing migration rolls back whole", async () => {
    const db = openSqliteDatabase({ path: join(dir, "m.db") });
    const ok: SqlMigration = {
      name: "x-0001",
      up: async (trx) => {
        await trx.schema.createTable("t1").addColumn("a", "integer").execute();
      },
    };
    expect(await migrate(db, [ok])).toEqual(["x-0001"]);
    expect(await migrate(db, [ok])).toEqual([]);
    const bad: SqlMigration = {
      name: "x-0002",
      up: async (trx) => {
        await trx.schema.createTable("t2").addColumn("a", "integer").execute();
        throw new Error("broken migration");
      },
    };
    await expect(migrate(db, [ok, bad])).rejects.toThrow(/broken migration/);
    const tables = db.sqlite
      ?.prepare("select name from sqlite_master where type = 'table' and name in ('t1', 't2')")
      .all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(["t1"]);
    await expect(migrate(db, [ok, { ...ok, name: "x-0001" }])).rejects.toThrow(/two migrations/);
    await db.close();
  });
});

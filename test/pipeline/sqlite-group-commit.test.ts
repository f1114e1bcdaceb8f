import { join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/index.js";
import { writeTransaction } from "../../src/stores/sql/sql-database.js";
import { sqliteWrite } from "../../src/adapters/sqlite/sqlite-group-commit.js";
import { tempDir } from "../helpers.js";

async function open() {
  const db = openSqliteDatabase({ path: join(tempDir(), "g.db") });
  await sql`create table t (k text primary key)`.execute(db.db);
  const rows = () => db.sqlite!.prepare("select k from t order by k").pluck().all() as string[];
  return { db, rows };
}

describe("SQLite group commit", () => {
  it("commits the writes of one turn in one transaction, each in its own savepoint", async () => {
    const { db, rows } = await open();
    const insert = db.sqlite!.prepare("insert into t (k) values (?)");
    let sawA: unknown;
    const a = sqliteWrite(db, () => insert.run("a").changes);
    const b = sqliteWrite(db, (raw) => {
      // The same transaction: a's row is visible before anything is committed.
      sawA = raw.prepare("select k from t where k = 'a'").pluck().get();
      insert.run("b");
      throw new Error("b fails after writing");
    });
    const c = sqliteWrite(db, () => insert.run("c").changes);
    await expect(a).resolves.toBe(1);
    await expect(b).rejects.toThrow("b fails after writing");
    await expect(c).resolves.toBe(1);
    expect(sawA).toBe("a");
    expect(rows()).toEqual(["a", "c"]);
    expect(db.sqlite!.inTransaction).toBe(false);
    await db.close();
  });

  it("rolls back a lone failing write and keeps working", async () => {
    const { db, rows } = await open();
    const insert = db.sqlite!.prepare("insert into t (k) values (?)");
    await sqliteWrite(db, () => insert.run("x"));
    await expect(sqliteWrite(db, () => insert.run("x"))).rejects.toThrow(/UNIQUE/);
    await sqliteWrite(db, () => insert.run("y"));
    expect(rows()).toEqual(["x", "y"]);
    await db.close();
  });

  it("waits for a Kysely transaction open across an await instead of joining it", async () => {
    const { db, rows } = await open();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = writeTransaction(db, async (trx) => {
      await sql`insert into t (k) values ('in-tx')`.execute(trx);
      await gate;
      throw new Error("roll this one back");
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(db.sqlite!.inTransaction).toBe(true);
    const w = sqliteWrite(db, (raw) => raw.prepare("insert into t (k) values ('grouped')").run().changes);
    await new Promise((r) => setTimeout(r, 5));
    release();
    await expect(tx).rejects.toThrow("roll this one back");
    await expect(w).resolves.toBe(1);
    expect(rows()).toEqual(["grouped"]);
    await db.close();
  });
});

// The PostgreSQL database handle the SQL stores run on (test/services.ts): how values come back
// (bigint and numeric as numbers, json as text, per query: the pool's own queries keep pg's
// defaults), tables named in the schema without touching search_path, and channel names within
// PostgreSQL's limit.
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresDatabase, PostgresSqlDialect } from "../../../src/adapters/postgres/index.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("the PostgreSQL database handle", () => {
  const schemas = testSchemas("mlc_db");
  afterAll(() => schemas.end());

  it("reads bigint and numeric as numbers and json as its text, as SQLite answers, for its own queries only", async () => {
    const database = openPostgresDatabase({ pool: schemas.pool, schema: schemas.name() });
    try {
      const query = sql<Record<string, unknown>>`select 9007199254740991::int8 as big, count(*) as n,
        sum(x) as total, 12.5::numeric as num, '{"a":-0,"b":[1]}'::json as j, true as flag
        from (values (1::int8), (2::int8)) v(x)`;
      const { rows } = await query.execute(database.db);
      expect(rows).toEqual([{ big: 9007199254740991, n: 2, total: 3, num: 12.5, j: '{"a":-0,"b":[1]}', flag: true }]);
      const own = await schemas.pool.query("select 1::int8 as n, '{\"a\":1}'::json as j");
      expect(own.rows).toEqual([{ n: "1", j: { a: 1 } }]);
    } finally {
      await database.close();
    }
  });

  it("names every table with its schema, in builder and raw SQL alike, and leaves search_path as it was", async () => {
    const database = await schemas.database("lineage");
    const before = (await schemas.pool.query("show search_path")).rows;
    const builder = database.db.selectFrom("lineage_nodes").select("id").where("name", "=", "x").compile().sql;
    expect(builder).toBe(`select "id" from "${database.schema}"."lineage_nodes" where "name" = $1`);
    const raw = sql`select count(*) from ${sql.table("lineage_nodes")} as n`.compile(database.db).sql;
    expect(raw).toBe(`select count(*) from "${database.schema}"."lineage_nodes" as n`);
    await database.db
      .insertInto("lineage_nodes")
      .values({
        id: "n1",
        kind: "artifact",
        type: "dataset",
        name: "x",
        properties: "{}",
        created_at: 1,
      })
      .execute();
    const found = await schemas.pool.query(`select id from "${database.schema}".lineage_nodes`);
    expect(found.rows).toEqual([{ id: "n1" }]);
    expect((await schemas.pool.query("show search_path")).rows).toEqual(before);
  });

  it("names channels within PostgreSQL's 63 bytes, one per schema", () => {
    expect(new PostgresSqlDialect("mlcycle").channel("alias-moves")).toBe("mlcycle:alias-moves:mlcycle");
    const long = new PostgresSqlDialect("s".repeat(63)).channel("alias-moves");
    const other = new PostgresSqlDialect(`${"s".repeat(62)}t`).channel("alias-moves");
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^mlcycle:alias-moves:[0-9a-f]{16}$/);
    expect(other).not.toBe(long);
  });
});

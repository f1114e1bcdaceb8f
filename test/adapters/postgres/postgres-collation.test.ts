// Strings compare by code point on PostgreSQL whatever the database's collation: every string
// column the migrations create carries COLLATE "C" (read back from the catalog), and the suites'
// ordering cases pass on a database whose default collation is linguistic (ICU en-US, where "a"
// sorts before "B" and "_" is ignored) — created for this file and dropped afterwards.
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresPointInTime } from "../../../src/adapters/postgres/index.js";
import { SqlFeatureRegistryStore } from "../../../src/stores/sql/sql-feature-registry-store.js";
import { SqlOfflineStore } from "../../../src/stores/sql/sql-offline-store.js";
import { SqlRegistryStore } from "../../../src/stores/sql/sql-registry-store.js";
import { featureRegistryStoreSuite, offlineStoreSuite, registryStoreSuite } from "../../../src/testing/index.js";
import { POSTGRES_URL, service, uniqueName } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

const running = await service("PostgreSQL", POSTGRES_URL);

describe.runIf(running)("PostgreSQL string columns", () => {
  const schemas = testSchemas("mlc_collation");
  afterAll(() => schemas.end());

  it('are all created COLLATE "C", in every table of the migrations', async () => {
    const db = await schemas.database();
    const { rows } = await schemas.pool.query<{ table_name: string; column_name: string; collation_name: string }>(
      `select table_name, column_name, collation_name from information_schema.columns
       where table_schema = $1 and data_type in ('text', 'character varying', 'character')
       order by table_name, column_name`,
      [db.schema],
    );
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.collation_name !== "C")).toEqual([]);
  });
});

/** Whether the server can make a database with an ICU default collation (built with ICU). */
async function hasIcu(): Promise<boolean> {
  if (!running) return false;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query("select 1 from pg_collation where collname = 'en-x-icu'");
    if (rows.length === 0)
      process.stderr.write("skipping the ICU collation suites: the PostgreSQL server has no ICU\n");
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

describe.runIf(await hasIcu())("PostgreSQL stores on a database whose default collation is ICU en-US", () => {
  const database = uniqueName("mlc_icu");
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  let schemas: ReturnType<typeof testSchemas>;
  const admin = () => new pg.Client({ connectionString: POSTGRES_URL });
  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(
      `create database "${database}" template template0 locale_provider icu icu_locale 'en-US' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
    );
    await client.end();
    schemas = testSchemas("mlc_icu", url.href);
  });
  afterEach(() => schemas.drop());
  afterAll(async () => {
    await schemas?.end();
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists "${database}"`);
    await client.end();
  });

  it('sorts linguistically by default there (what the columns\' COLLATE "C" overrides)', async () => {
    const { rows } = await schemas.pool.query<{ x: string }>(
      "select x from (values ('B'), ('a'), ('_c')) v(x) order by x",
    );
    expect(rows.map((r) => r.x)).toEqual(["_c", "a", "B"]);
  });

  registryStoreSuite("postgres (ICU database)", async () => new SqlRegistryStore(await schemas.database("registry")));
  featureRegistryStoreSuite(
    "postgres (ICU database)",
    async () => new SqlFeatureRegistryStore(await schemas.database("feature")),
  );
  offlineStoreSuite("postgres (ICU database)", async () => {
    const db = await schemas.database("feature");
    return new SqlOfflineStore(db, { pointInTime: new PostgresPointInTime(db.db) });
  });
});

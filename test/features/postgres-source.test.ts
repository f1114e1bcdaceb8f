// PostgreSQL sources against the test server (test/services.ts), each test in a schema of its own.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore } from "../../src/adapters/duckdb/index.js";
import { createWorkspace, isMlcycleError, parquetSource, postgresSource, type Workspace } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { POSTGRES_URL, service, uniqueName } from "../services.js";
import { type FixtureCase, fixtureFiles } from "./source-files.js";

const fixture = JSON.parse(readFileSync(fixturePath("features", "pit-join-merge-asof.json"), "utf8")) as {
  cases: FixtureCase[];
};
const ms = (s: number) => s * 1000;
const schema = z.object({ conv_rate: z.number(), trips: z.number().int() });

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("PostgreSQL feature sources", () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  const dir = tempDir("mlcycle-pg-source-");
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  });
  afterAll(async () => {
    for (const s of schemas) await pool.query(`drop schema if exists ${s} cascade`);
    await pool.end();
  });

  /** A schema of the test's own with the fixture case's feature rows as `trips` (timestamps, bigint ids, numeric rates). */
  async function tripsTable(c: FixtureCase): Promise<string> {
    const s = uniqueName("mlc_src");
    schemas.push(s);
    await pool.query(`create schema ${s}`);
    await pool.query(
      `create table ${s}.trips (driver bigint, ts timestamptz, created timestamptz, conv numeric, trips integer)`,
    );
    const values: unknown[] = [];
    const tuples = c.feature_rows.map((r, i) => {
      values.push(
        r.driver_id,
        new Date(ms(r.event_timestamp)),
        new Date(ms(r.created_timestamp)),
        r.conv_rate,
        r.trips,
      );
      return `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`;
    });
    await pool.query(`insert into ${s}.trips values ${tuples.join(", ")}`, values);
    return s;
  }

  const workspaces: Array<[string, () => Promise<Workspace>]> = [
    ["memory", () => createWorkspace()],
    [
      "duckdb",
      async () => {
        const instance = await DuckDBInstance.create(":memory:");
        const ws = await createWorkspace({ offline: duckdbOfflineStore({ instance }) });
        const close = ws.close.bind(ws);
        (ws as { close: () => Promise<void> }).close = async () => {
          await close();
          instance.closeSync();
        };
        return ws;
      },
    ],
  ];

  describe.each(workspaces)("on %s", (_name, open) => {
    it.each(fixture.cases.map((c, i) => [i, c] as const))(
      "joins a query read with a cursor exactly as pandas merge_asof (case %i), and materialises it",
      async (_i, c) => {
        const s = await tripsTable(c);
        await using ws = await open();
        await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
        await ws.features.applyFeatureView({
          name: "driver_stats",
          entities: ["driver"],
          schema,
          ttlMs: c.ttl_seconds === null ? 0 : ms(c.ttl_seconds),
          source: postgresSource({
            pool,
            query: `select * from ${s}.trips where trips >= $1`,
            params: [0],
            timestampField: "ts",
            createdTimestampField: "created",
            fieldMapping: { driver: "driver_id", conv: "conv_rate" },
          }),
        });
        const set = await ws.features.getHistoricalFeatures({
          entityRows: c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) })),
          features: ["driver_stats:conv_rate", "driver_stats:trips"],
        });
        expect(set.rows.map((r) => ({ conv_rate: r.conv_rate, trips: r.trips }))).toEqual(c.expected);
        const [m] = await ws.features.materialize({ chunkSize: 50, end: Date.UTC(2030, 0, 1) });
        expect(m.rows).toBe(c.feature_rows.length);
      },
    );
  });

  it("reads entity rows from a query, and stages a PostgreSQL view into a training set DuckDB writes", async () => {
    const c = fixture.cases[0];
    const s = await tripsTable(c);
    await pool.query(`create table ${s}.labels (driver_id bigint, event_timestamp timestamptz)`);
    for (const r of c.entity_rows)
      await pool.query(`insert into ${s}.labels values ($1, $2)`, [r.driver_id, new Date(ms(r.event_timestamp))]);
    const instance = await DuckDBInstance.create(":memory:");
    await using ws = await createWorkspace({ offline: duckdbOfflineStore({ instance }) });
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "driver_stats",
      entities: ["driver"],
      schema,
      ttlMs: ms(c.ttl_seconds ?? 0),
      source: postgresSource({
        pool,
        query: `select * from ${s}.trips`,
        timestampField: "ts",
        createdTimestampField: "created",
        fieldMapping: { driver: "driver_id", conv: "conv_rate" },
      }),
    });
    const set = await ws.features.getHistoricalFeatures({
      entityRows: postgresSource({ pool, query: `select * from ${s}.labels` }),
      features: ["driver_stats:trips"],
    });
    expect(set.rows.map((r) => r.trips)).toEqual(c.expected.map((e) => e.trips));
    // Entity rows from a file read in place; the PostgreSQL view staged into DuckDB chunk by chunk.
    await fixtureFiles(c, dir);
    const saved = await ws.features.saveTrainingSet({
      entityRows: parquetSource({ path: join(dir, "entities.parquet") }),
      features: ["driver_stats:trips"],
    });
    expect(saved.rows).toBe(c.entity_rows.length);
    instance.closeSync();
  });

  it("names the column and its PostgreSQL type when the query does not fit the view", async () => {
    const s = uniqueName("mlc_src");
    schemas.push(s);
    await pool.query(`create schema ${s}`);
    await pool.query(
      `create table ${s}.t (driver_id bigint, event_timestamp timestamptz, conv_rate float8, trips text)`,
    );
    await using ws = await createWorkspace();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "v",
      entities: ["driver"],
      schema,
      source: postgresSource({ pool, query: `select * from ${s}.t` }),
    });
    const e = await ws.features.materialize().catch((x: unknown) => x);
    expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    expect((e as Error).message).toMatch(
      /column 'trips' \(feature trips\) is text; the view's schema wants an integer/,
    );
    const bad = await ws.features
      .getHistoricalFeatures({
        entityRows: postgresSource({ pool, query: `select * from ${s}.nope` }),
        features: ["v:trips"],
      })
      .catch((x: unknown) => x);
    expect(isMlcycleError(bad, "VALIDATION")).toBe(true);
    expect((bad as Error).message).toMatch(/nope/);
  });
});

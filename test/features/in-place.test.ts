import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore } from "../../src/adapters/duckdb/index.js";
import { csvSource, type FeatureSource, openWorkspace, parquetSource } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { type FixtureCase, fixtureFiles } from "./source-files.js";

const fixture = JSON.parse(readFileSync(fixturePath("features", "pit-join-merge-asof.json"), "utf8")) as {
  cases: FixtureCase[];
};
const ms = (s: number) => s * 1000;
const dir = tempDir("mlcycle-in-place-");
const instances: DuckDBInstance[] = [];
afterAll(() => {
  for (const i of instances) i.closeSync();
});
beforeAll(async () => {
  for (const [i] of fixture.cases.entries()) {
    mkdirSync(join(dir, `case-${i}`), { recursive: true });
    await fixtureFiles(fixture.cases[i], join(dir, `case-${i}`));
  }
}, 60_000);

/** The source's rows may only be read by the engine: reading them in JavaScript fails the test. */
function engineOnly(source: FeatureSource): FeatureSource {
  source.read = () => {
    throw new Error(`${source.describe()} was read in JavaScript`);
  };
  return source;
}

const mapping = {
  fieldMapping: { driver: "driver_id", conv: "conv_rate" },
  timestampField: "ts",
  createdTimestampField: "created",
};

describe("historical retrieval on DuckDB reads Parquet and CSV views in place", () => {
  it.each(fixture.cases.map((c, i) => [i, c] as const))(
    "read_parquet and read_csv under the field mapping, never loaded into JavaScript, as merge_asof (case %i)",
    async (i, c) => {
      const instance = await DuckDBInstance.create(":memory:");
      instances.push(instance);
      const offline = duckdbOfflineStore({ instance });
      const tables: string[] = [];
      const pit = offline.engine.pointInTime.bind(offline.engine);
      offline.engine.pointInTime = (view, ...rest) => {
        tables.push(view.table.kind);
        return pit(view, ...rest);
      };
      await using ws = await openWorkspace(join(dir, `ws-${i}`), { offline });
      await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
      const schema = z.object({ conv_rate: z.number(), trips: z.number().int() });
      const ttlMs = c.ttl_seconds === null ? 0 : ms(c.ttl_seconds);
      const d = join(dir, `case-${i}`);
      const views: Array<[string, FeatureSource]> = [
        ["parquet_stats", parquetSource({ path: join(d, "part-*.parquet"), ...mapping })],
        ["csv_stats", csvSource({ path: join(d, "features.csv"), ...mapping })],
      ];
      for (const [name, source] of views)
        await ws.features.applyFeatureView({ name, entities: ["driver"], schema, ttlMs, source: engineOnly(source) });
      const options = {
        entityRows: c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) })),
        features: ["parquet_stats:conv_rate", "parquet_stats:trips", "csv_stats:conv_rate", "csv_stats:trips"],
        fullFeatureNames: true,
      };
      const set = await ws.features.getHistoricalFeatures(options);
      expect(tables).toEqual(["parquet", "csv"]);
      for (const view of ["parquet_stats", "csv_stats"])
        expect(set.rows.map((r) => ({ conv_rate: r[`${view}__conv_rate`], trips: r[`${view}__trips`] }))).toEqual(
          c.expected,
        );
      // Streamed: one in-place join per view and batch.
      const stream = await ws.features.streamHistoricalFeatures({ ...options, batchSize: 128 });
      const rows: Array<Record<string, unknown>> = [];
      for await (const batch of stream) rows.push(...batch.rows);
      expect(rows).toEqual(set.rows);
      expect(tables.length).toBe(2 + 2 * Math.ceil(c.entity_rows.length / 128));
    },
  );
});

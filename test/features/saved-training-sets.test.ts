import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore } from "../../src/adapters/duckdb/index.js";
import {
  createWorkspace,
  csvSource,
  isMlcycleError,
  iterableSource,
  parquetSource,
  sqlSource,
  type Workspace,
} from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { type FixtureCase, fixtureFiles } from "./source-files.js";

const fixture = JSON.parse(readFileSync(fixturePath("features", "pit-join-merge-asof.json"), "utf8")) as {
  cases: FixtureCase[];
};
const ms = (s: number) => s * 1000;
const dir = tempDir("mlcycle-saved-sets-");
const c = fixture.cases[1];
const schema = z.object({ conv_rate: z.number(), trips: z.number().int() });
const mapping = {
  fieldMapping: { driver: "driver_id", conv: "conv_rate" },
  timestampField: "ts",
  createdTimestampField: "created",
};
let instance: DuckDBInstance;

beforeAll(async () => {
  await fixtureFiles(c, dir);
  instance = await DuckDBInstance.create(":memory:");
});
afterAll(() => instance.closeSync());

/** A workspace on DuckDB whose engine's in-place joins are counted. */
async function duckWorkspace(): Promise<{ ws: Workspace; inPlace: () => number }> {
  const db = await DuckDBInstance.create(":memory:");
  const offline = duckdbOfflineStore({ instance: db });
  let calls = 0;
  const write = offline.engine.writeTrainingSet.bind(offline.engine);
  offline.engine.writeTrainingSet = (request) => {
    calls++;
    return write(request);
  };
  const ws = await createWorkspace({ offline });
  const close = ws.close.bind(ws);
  (ws as { close: () => Promise<void> }).close = async () => {
    await close();
    db.closeSync();
  };
  return { ws, inPlace: () => calls };
}

/** Reads a saved Parquet training set back through DuckDB: its rows, in order. */
async function readBack(ws: Workspace, digest: string) {
  const file = join(dir, `${digest}.parquet`);
  writeFileSync(file, await ws.artifacts.get(digest));
  const con = await instance.connect();
  const reader = await con.runAndReadAll(`select * from read_parquet('${file}')`);
  const names = reader.columnNames();
  const rows = reader.getRowsJS().map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
  con.closeSync();
  return { names, rows };
}

async function views(ws: Workspace) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "from_file",
    entities: ["driver"],
    schema,
    ttlMs: ms(c.ttl_seconds ?? 0),
    source: parquetSource({ path: join(dir, "features.parquet"), ...mapping }),
  });
  await ws.features.applyFeatureView({
    name: "ingested",
    entities: ["driver"],
    schema,
    ttlMs: ms(c.ttl_seconds ?? 0),
  });
  await ws.features.ingest(
    "ingested",
    c.feature_rows.map((r) => ({
      ...r,
      event_timestamp: ms(r.event_timestamp),
      created_timestamp: ms(r.created_timestamp),
    })),
  );
  await ws.features.applyFeatureView({
    name: "streamed",
    entities: ["driver"],
    schema,
    ttlMs: ms(c.ttl_seconds ?? 0),
    source: iterableSource({
      rows: () =>
        c.feature_rows.map((r) => ({
          ...r,
          event_timestamp: ms(r.event_timestamp),
          created_timestamp: ms(r.created_timestamp),
        })),
      createdTimestampField: "created_timestamp",
    }),
  });
}

const features = ["from_file:conv_rate", "from_file:trips", "ingested:trips", "streamed:conv_rate"];

describe("training sets saved as Parquet artifacts (DuckDB engine)", () => {
  it("builds the whole set in DuckDB from entity rows in a file: views in place, stored and staged agree with merge_asof", async () => {
    const { ws, inPlace } = await duckWorkspace();
    await using _ = ws;
    await views(ws);
    const saved = await ws.features.saveTrainingSet({
      entityRows: parquetSource({ path: join(dir, "entities.parquet") }),
      features,
      fullFeatureNames: true,
      name: "labels",
    });
    expect(inPlace()).toBe(1);
    expect(saved).toMatchObject({ name: "labels", rows: c.entity_rows.length, format: "parquet" });
    expect(saved.digest).toMatch(/^[0-9a-f]{64}$/);
    const { names, rows } = await readBack(ws, saved.digest);
    expect(names).toEqual([
      "driver_id",
      "event_timestamp",
      "from_file__conv_rate",
      "from_file__trips",
      "ingested__trips",
      "streamed__conv_rate",
    ]);
    expect(rows.map((r) => r.driver_id)).toEqual(c.entity_rows.map((r) => BigInt(r.driver_id)));
    expect(
      rows.map((r) => ({
        conv_rate: r.from_file__conv_rate,
        trips: r.from_file__trips === null ? null : Number(r.from_file__trips),
      })),
    ).toEqual(c.expected);
    expect(rows.map((r) => (r.ingested__trips === null ? null : Number(r.ingested__trips)))).toEqual(
      c.expected.map((e) => e.trips),
    );
    expect(rows.map((r) => r.streamed__conv_rate)).toEqual(c.expected.map((e) => e.conv_rate));
    // Content-addressed: the same set saved again is the same file.
    const again = await ws.features.saveTrainingSet({
      entityRows: parquetSource({ path: join(dir, "entities.parquet") }),
      features,
      fullFeatureNames: true,
      name: "labels",
    });
    expect(again.digest).toBe(saved.digest);
    const node = await ws.lineage.get(saved.artifactId!);
    expect(node).toMatchObject({ type: "training_set", digest: saved.digest });
  });

  it("entity rows from a CSV file and from a query on DuckDB, and in JavaScript: the same features", async () => {
    const { ws, inPlace } = await duckWorkspace();
    await using _ = ws;
    await views(ws);
    const expected = c.expected.map((e) => e.trips);
    const fromCsv = await ws.features.saveTrainingSet({
      entityRows: csvSource({ path: join(dir, "entities.csv") }),
      features: ["from_file:trips"],
    });
    expect((await readBack(ws, fromCsv.digest)).rows.map((r) => (r.trips === null ? null : Number(r.trips)))).toEqual(
      expected,
    );
    const fromQuery = await ws.features.saveTrainingSet({
      entityRows: sqlSource({ query: `select * from read_parquet('${join(dir, "entities.parquet")}')` }),
      features: ["from_file:trips"],
    });
    expect((await readBack(ws, fromQuery.digest)).rows.map((r) => (r.trips === null ? null : Number(r.trips)))).toEqual(
      expected,
    );
    expect(inPlace()).toBe(2);
    const fromArray = await ws.features.saveTrainingSet({
      entityRows: c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) })),
      features: ["from_file:trips", "ingested:trips"],
      fullFeatureNames: true,
    });
    expect(inPlace()).toBe(2);
    const back = await readBack(ws, fromArray.digest);
    expect(back.rows.map((r) => (r.from_file__trips === null ? null : Number(r.from_file__trips)))).toEqual(expected);
    expect(back.rows.map((r) => Number(r.event_timestamp))).toEqual(c.entity_rows.map((r) => ms(r.event_timestamp)));
  });

  it("needs an offline store with an engine", async () => {
    await using ws = await createWorkspace();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({ name: "v", entities: ["driver"], schema });
    await expect(
      ws.features.saveTrainingSet({ entityRows: [{ driver_id: 1, event_timestamp: 1 }], features: ["v:trips"] }),
    ).rejects.toSatisfy((e) => isMlcycleError(e, "PRECONDITION"));
  });
});

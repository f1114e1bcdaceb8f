import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createWorkspace,
  csvSource,
  isMlcycleError,
  parquetSource,
  sqliteBackend,
  sqlSource,
  type TrainingSetBatch,
  type TrainingSetStream,
  type Workspace,
} from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { type FixtureCase, fixtureFiles } from "./source-files.js";
import { featureWorkspaces } from "./workspaces.js";

const fixture = JSON.parse(readFileSync(fixturePath("features", "pit-join-merge-asof.json"), "utf8")) as {
  cases: FixtureCase[];
};
const c = fixture.cases[0];
const ms = (s: number) => s * 1000;
const dir = tempDir("mlcycle-stream-");
const features = ["from_file:conv_rate", "from_file:trips", "ingested:trips"];
const schema = z.object({ conv_rate: z.number(), trips: z.number().int() });

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await fixtureFiles(c, dir);
}, 60_000);

/** Two views of the fixture's rows: one read from its Parquet file, one ingested. */
async function views(ws: Workspace) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  const ttlMs = c.ttl_seconds === null ? 0 : ms(c.ttl_seconds);
  await ws.features.applyFeatureView({
    name: "from_file",
    entities: ["driver"],
    schema,
    ttlMs,
    source: parquetSource({
      path: join(dir, "features.parquet"),
      timestampField: "ts",
      createdTimestampField: "created",
      fieldMapping: { driver: "driver_id", conv: "conv_rate" },
    }),
  });
  await ws.features.applyFeatureView({ name: "ingested", entities: ["driver"], schema, ttlMs });
  await ws.features.ingest(
    "ingested",
    c.feature_rows.map((r) => ({
      ...r,
      event_timestamp: ms(r.event_timestamp),
      created_timestamp: ms(r.created_timestamp),
    })),
  );
}

async function readAll(stream: TrainingSetStream) {
  const batches: TrainingSetBatch[] = [];
  for await (const b of stream) batches.push(b);
  return batches;
}

const expected = c.expected.map((e) => [e.conv_rate, e.trips, e.trips]);
const entityRows = () => c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) }));

describe.each(featureWorkspaces())("streamed training sets on %s", (_name, open) => {
  it("hands out the rows getHistoricalFeatures builds, batch by batch, with the same digest, and records it once read", async () => {
    await using ws = await open();
    await views(ws);
    const whole = await ws.features.getHistoricalFeatures({
      entityRows: entityRows(),
      features,
      fullFeatureNames: true,
      record: false,
    });
    const stream = await ws.features.streamHistoricalFeatures({
      entityRows: entityRows(),
      features,
      fullFeatureNames: true,
      batchSize: 7,
    });
    expect(stream.columns).toEqual(whole.columns);
    expect(stream.summary).toBeUndefined();
    const batches = await readAll(stream);
    expect(batches.map((b) => b.offset)).toEqual(batches.map((_, i) => i * 7));
    expect(batches.every((b) => b.rows.length <= 7)).toBe(true);
    expect(batches.flatMap((b) => b.rows)).toEqual(whole.rows);
    expect(stream.summary).toMatchObject({ rows: c.entity_rows.length, digest: whole.digest, columns: whole.columns });
    const node = await ws.lineage.get(stream.summary!.artifactId!);
    expect(node).toMatchObject({ type: "training_set", digest: whole.digest });
    await expect(readAll(stream)).rejects.toSatisfy((e) => isMlcycleError(e, "PRECONDITION"));
  });

  it("reads entity rows from a Parquet file and from a CSV file in bounded batches", async () => {
    for (const source of [
      parquetSource({ path: join(dir, "entities.parquet") }),
      csvSource({ path: join(dir, "entities.csv") }),
    ]) {
      await using ws = await open();
      await views(ws);
      const stream = await ws.features.streamHistoricalFeatures({
        entityRows: source,
        features,
        fullFeatureNames: true,
        batchSize: 5,
        record: false,
      });
      const batches = await readAll(stream);
      expect(batches.length).toBe(Math.ceil(c.entity_rows.length / 5));
      const rows = batches.flatMap((b) => b.rows);
      expect(rows.map((r) => [r.from_file__conv_rate, r.from_file__trips, r.ingested__trips])).toEqual(expected);
      expect(rows.map((r) => [r.driver_id, r.event_timestamp])).toEqual(
        c.entity_rows.map((r) => [r.driver_id, ms(r.event_timestamp)]),
      );
      expect(stream.summary?.artifactId).toBeUndefined();
    }
  });

  it("pulls entity rows only as batches are read: never the whole input at once", async () => {
    await using ws = await open();
    await views(ws);
    let pulled = 0;
    async function* generated() {
      for (let i = 0; i < 2_000; i++) {
        pulled++;
        yield { driver_id: c.entity_rows[i % c.entity_rows.length].driver_id, event_timestamp: ms(1_000_000 + i) };
      }
    }
    const stream = await ws.features.streamHistoricalFeatures({
      entityRows: generated(),
      features,
      fullFeatureNames: true,
      batchSize: 100,
    });
    let batches = 0;
    for await (const batch of stream) {
      batches++;
      expect(pulled).toBeLessThanOrEqual(batch.offset + 2 * 100);
    }
    expect(batches).toBe(20);
    expect(stream.summary?.rows).toBe(2_000);
  });

  it("refuses a batch size that is not a positive integer", async () => {
    await using ws = await open();
    await views(ws);
    await expect(
      ws.features.streamHistoricalFeatures({ entityRows: entityRows(), features, batchSize: 0 }),
    ).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
  });
});

describe("streamed training sets from a SQL entity query", () => {
  it("on SQLite: the entity rows are a query on the workspace's database, read chunk by chunk", async () => {
    const backend = sqliteBackend({ path: join(dir, `entities-${Math.random().toString(36).slice(2)}.db`) });
    backend.database.sqlite.exec("create table labels (driver integer, at integer, label integer)");
    const insert = backend.database.sqlite.prepare("insert into labels values (?, ?, ?)");
    for (const [i, r] of c.entity_rows.entries()) insert.run(r.driver_id, ms(r.event_timestamp), i % 2);
    await using ws = await createWorkspace(backend);
    await views(ws);
    const stream = await ws.features.streamHistoricalFeatures({
      entityRows: sqlSource({
        query: "select driver, at, label from labels where label >= ? order by rowid",
        params: [0],
        timestampField: "at",
        fieldMapping: { driver: "driver_id" },
      }),
      features,
      fullFeatureNames: true,
      batchSize: 4,
    });
    const rows = (await readAll(stream)).flatMap((b) => b.rows);
    expect(rows.map((r) => [r.from_file__conv_rate, r.from_file__trips, r.ingested__trips])).toEqual(expected);
    expect(rows.map((r) => r.label)).toEqual(c.entity_rows.map((_, i) => i % 2));
    expect(stream.summary?.rows).toBe(c.entity_rows.length);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore } from "../../src/adapters/duckdb/index.js";
import {
  createWorkspace,
  csvSource,
  type FeatureSource,
  isMlcycleError,
  iterableSource,
  openWorkspace,
  parquetSource,
  sqliteBackend,
  sqlSource,
  type Workspace,
} from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { duckdb, type FixtureCase, fixtureFiles } from "./source-files.js";

const fixture = JSON.parse(readFileSync(fixturePath("features", "pit-join-merge-asof.json"), "utf8")) as {
  cases: FixtureCase[];
};
const ms = (s: number) => s * 1000;
const dir = tempDir("mlcycle-sources-");
const instances: DuckDBInstance[] = [];
afterAll(() => {
  for (const i of instances) i.closeSync();
});

/** Workspaces without an engine (sources read in JavaScript) and with DuckDB's (read in place). */
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${Math.random().toString(36).slice(2)}`))],
  [
    "duckdb",
    async () => {
      const instance = await DuckDBInstance.create(":memory:");
      instances.push(instance);
      return openWorkspace(join(dir, `ws-${Math.random().toString(36).slice(2)}`), {
        offline: duckdbOfflineStore({ instance }),
      });
    },
  ],
];

const schema = z.object({ conv_rate: z.number(), trips: z.number().int() });
const mapping = {
  fieldMapping: { driver: "driver_id", conv: "conv_rate" },
  timestampField: "ts",
  createdTimestampField: "created",
};

async function driverView(ws: Workspace, source: FeatureSource, ttlSeconds: number | null) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema,
    ttlMs: ttlSeconds === null ? 0 : ms(ttlSeconds),
    source,
  });
}

const caseDirs: string[] = [];
beforeAll(async () => {
  for (const [i, c] of fixture.cases.entries()) {
    const d = join(dir, `case-${i}`);
    (await import("node:fs")).mkdirSync(d, { recursive: true });
    await fixtureFiles(c, d);
    caseDirs.push(d);
  }
}, 60_000);

const sources: Array<[string, (d: string) => FeatureSource]> = [
  ["parquet file", (d) => parquetSource({ path: join(d, "features.parquet"), ...mapping })],
  ["parquet glob", (d) => parquetSource({ path: join(d, "part-*.parquet"), ...mapping })],
  ["csv file", (d) => csvSource({ path: join(d, "features.csv"), ...mapping })],
];

describe.each(workspaces)("feature sources on %s", (_name, open) => {
  describe.each(sources)("%s", (_kind, make) => {
    it.each(fixture.cases.map((c, i) => [i, c] as const))(
      "joins point in time exactly as pandas merge_asof (case %i)",
      async (i, c) => {
        await using ws = await open();
        await driverView(ws, make(caseDirs[i]), c.ttl_seconds);
        const set = await ws.features.getHistoricalFeatures({
          entityRows: c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) })),
          features: ["driver_stats:conv_rate", "driver_stats:trips"],
        });
        expect(set.rows.map((r) => ({ conv_rate: r.conv_rate, trips: r.trips }))).toEqual(c.expected);
      },
    );
  });

  it("reads entity rows from a Parquet file and from a CSV file", async () => {
    const c = fixture.cases[0];
    for (const entityRows of [
      parquetSource({ path: join(caseDirs[0], "entities.parquet") }),
      csvSource({ path: join(caseDirs[0], "entities.csv") }),
    ]) {
      await using ws = await open();
      await driverView(ws, parquetSource({ path: join(caseDirs[0], "features.parquet"), ...mapping }), c.ttl_seconds);
      const set = await ws.features.getHistoricalFeatures({
        entityRows,
        features: ["driver_stats:conv_rate", "driver_stats:trips"],
      });
      expect(set.rows.map((r) => ({ conv_rate: r.conv_rate, trips: r.trips }))).toEqual(c.expected);
      expect(set.rows.map((r) => [r.driver_id, r.event_timestamp])).toEqual(
        c.entity_rows.map((r) => [r.driver_id, ms(r.event_timestamp)]),
      );
    }
  });

  it("materialises the latest row per entity from a source into the online store, resuming after a failure", async () => {
    const c = fixture.cases[1];
    await using ws = await open();
    await driverView(ws, parquetSource({ path: join(caseDirs[1], "features.parquet"), ...mapping }), null);
    const end = Date.UTC(2030, 0, 1);
    // The first run fails after its second chunk; the next continues from the position recorded.
    let chunks = 0;
    const failing = ws.features.materialize({
      chunkSize: 100,
      end,
      onProgress: () => {
        if (++chunks === 2) throw new Error("stop");
      },
    });
    await expect(failing).rejects.toThrow("stop");
    expect((await ws.features.materializationState("driver_stats"))?.pending?.cursor).toBe("200");
    const [result] = await ws.features.materialize({ chunkSize: 100, end });
    expect(result).toMatchObject({ resumed: true, rows: c.feature_rows.length - 200 });
    const latest = new Map<number, FixtureCase["feature_rows"][number]>();
    for (const r of c.feature_rows) {
      const cur = latest.get(r.driver_id);
      if (
        !cur ||
        r.event_timestamp > cur.event_timestamp ||
        (r.event_timestamp === cur.event_timestamp && r.created_timestamp >= cur.created_timestamp)
      )
        latest.set(r.driver_id, r);
    }
    const drivers = [...latest.keys()].sort((a, b) => a - b);
    const online = await ws.features.getOnlineFeatures(
      drivers.map((d) => ({ driver_id: d })),
      ["driver_stats:conv_rate", "driver_stats:trips"],
    );
    expect(online.rows.map((r) => r.values)).toEqual(
      drivers.map((d) => ({ conv_rate: latest.get(d)!.conv_rate, trips: latest.get(d)!.trips })),
    );
    const stats = await ws.features.statistics("driver_stats");
    expect(stats.rows).toBe(c.feature_rows.length);
  });

  it("refuses ingest into a view with a source, and pushes to its online store", async () => {
    await using ws = await open();
    await driverView(ws, parquetSource({ path: join(caseDirs[0], "features.parquet"), ...mapping }), null);
    const row = { driver_id: 1, event_timestamp: Date.UTC(2024, 0, 1), conv_rate: 0.5, trips: 3 };
    await expect(ws.features.ingest("driver_stats", [row])).rejects.toSatisfy((e) => isMlcycleError(e, "PRECONDITION"));
    await expect(ws.features.push("driver_stats", [row])).rejects.toSatisfy((e) => isMlcycleError(e, "PRECONDITION"));
    expect(await ws.features.push("driver_stats", [row], { to: "online" })).toMatchObject({ rows: 1, online: 1 });
  });

  it("names the column and the type found when a source does not fit the view's schema", async () => {
    await using ws = await open();
    await duckdb([
      `copy (select 1::bigint as driver_id, now() as event_timestamp, 0.5::double as conv_rate, 2.5::double as trips) to '${dir}/bad-type.parquet'`,
      `copy (select 1::bigint as driver_id, now() as event_timestamp, 0.5::double as conv_rate) to '${dir}/missing.parquet'`,
    ]);
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    for (const [name, path, message] of [
      [
        "bad_type",
        "bad-type.parquet",
        /column 'trips' \(feature trips\) is DOUBLE; the view's schema wants an integer/,
      ],
      ["missing", "missing.parquet", /has no column 'trips' \(feature trips\)/],
    ] as const) {
      await ws.features.applyFeatureView({
        name,
        entities: ["driver"],
        schema,
        source: parquetSource({ path: join(dir, path) }),
      });
      const e = await ws.features
        .getHistoricalFeatures({
          entityRows: [{ driver_id: 1, event_timestamp: Date.now() }],
          features: [`${name}:trips`],
        })
        .catch((x: unknown) => x);
      expect(isMlcycleError(e, "VALIDATION")).toBe(true);
      expect((e as Error).message).toMatch(message);
      const m = await ws.features.materialize({ views: [name] }).catch((x: unknown) => x);
      expect((m as Error).message).toMatch(message);
    }
  });
});

describe("sources read in JavaScript", () => {
  it("an iterable source: columns checked from its first rows, values by the schema", async () => {
    await using ws = await createWorkspace();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    const rows = [
      { driver_id: 1, ts: 1000, conv_rate: 0.1, trips: 1 },
      { driver_id: 1, ts: 2000, conv_rate: 0.2, trips: 2 },
    ];
    await ws.features.applyFeatureView({
      name: "live",
      entities: ["driver"],
      schema,
      source: iterableSource({ rows: () => rows, timestampField: "ts" }),
    });
    const set = await ws.features.getHistoricalFeatures({
      entityRows: [
        { driver_id: 1, event_timestamp: 1500 },
        { driver_id: 1, event_timestamp: 2500 },
      ],
      features: ["live:trips"],
    });
    expect(set.rows.map((r) => r.trips)).toEqual([1, 2]);
    await ws.features.applyFeatureView({
      name: "wrong",
      entities: ["driver"],
      schema,
      source: iterableSource({ rows: [{ driver_id: 1, ts: 1000, conv_rate: "high", trips: 1 }], timestampField: "ts" }),
    });
    const e = await ws.features.materialize({ views: ["wrong"] }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(
      /column 'conv_rate' \(feature conv_rate\) is a string; the view's schema wants a number/,
    );
    // A plain iterator reads once.
    await ws.features.applyFeatureView({
      name: "once",
      entities: ["driver"],
      schema,
      source: iterableSource({
        rows: (function* () {
          yield* rows;
        })(),
        timestampField: "ts",
      }),
    });
    await ws.features.materialize({ views: ["once"] });
    await expect(ws.features.materialize({ views: ["once"], start: 0 })).rejects.toSatisfy((x) =>
      isMlcycleError(x, "PRECONDITION"),
    );
  });

  it("a CSV value that does not fit is a validation error naming the row and field", async () => {
    const file = join(dir, "bad-value.csv");
    (await import("node:fs")).writeFileSync(
      file,
      "driver_id,event_timestamp,conv_rate,trips\n1,2024-01-01T00:00:00Z,0.5,3\n2,2024-01-01T00:00:00Z,0.5,three\n",
    );
    await using ws = await createWorkspace();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({ name: "v", entities: ["driver"], schema, source: csvSource({ path: file }) });
    const e = await ws.features.materialize().catch((x: unknown) => x);
    expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    expect((e as Error).message).toMatch(/csv source .* row 1 of 'v'.*trips/);
  });

  it("refuses a field mapping to a name the view does not have, when the view is applied", async () => {
    await using ws = await createWorkspace();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await expect(
      ws.features.applyFeatureView({
        name: "v",
        entities: ["driver"],
        schema,
        source: parquetSource({ path: "x.parquet", fieldMapping: { a: "nope" } }),
      }),
    ).rejects.toThrow(/maps to 'nope', which is not a feature or join key/);
  });
});

describe("SQL sources on the workspace's database", () => {
  it("on SQLite (sqliteBackend brings its database)", async () => {
    const backend = sqliteBackend({ path: join(dir, `sql-${Math.random().toString(36).slice(2)}.db`) });
    backend.database.sqlite.exec(
      "create table trips (driver integer, ts integer, conv real, trips integer); insert into trips values (1, 1000, 0.1, 1), (1, 2000, 0.2, 2), (2, 1500, 0.3, 3);",
    );
    await using ws = await createWorkspace(backend);
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "trips",
      entities: ["driver"],
      schema,
      source: sqlSource({
        query: "select * from trips where trips > ?",
        params: [0],
        timestampField: "ts",
        fieldMapping: { driver: "driver_id", conv: "conv_rate" },
      }),
    });
    const set = await ws.features.getHistoricalFeatures({
      entityRows: [
        { driver_id: 1, event_timestamp: 1999 },
        { driver_id: 2, event_timestamp: 2000 },
        { driver_id: 1, event_timestamp: 999 },
      ],
      features: ["trips:trips", "trips:conv_rate"],
    });
    expect(set.rows.map((r) => [r.trips, r.conv_rate])).toEqual([
      [1, 0.1],
      [3, 0.3],
      [null, null],
    ]);
    await ws.features.materialize({ end: 10_000 });
    const online = await ws.features.getOnlineFeatures([{ driver_id: 1 }], ["trips:trips"]);
    expect(online.rows[0].values.trips).toBe(2);
  });

  it("a workspace without a SQL database refuses a SQL source with PRECONDITION", async () => {
    await using ws = await createWorkspace();
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "v",
      entities: ["driver"],
      schema,
      source: sqlSource({ query: "select 1" }),
    });
    await expect(ws.features.materialize()).rejects.toSatisfy((e) => isMlcycleError(e, "PRECONDITION"));
  });
});

describe("SQL sources on DuckDB (the offline store's engine)", () => {
  it("joins a query in place and reads it chunk by chunk to materialise", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    instances.push(instance);
    const con = await instance.connect();
    await con.run(
      "create table trips as select * from (values (1, 1000, 0.1, 1), (1, 2000, 0.2, 2), (2, 1500, 0.3, 3)) t(driver, ts, conv, trips)",
    );
    con.closeSync();
    const offline = duckdbOfflineStore({ instance });
    let inPlace = 0;
    const pit = offline.engine.pointInTime.bind(offline.engine);
    offline.engine.pointInTime = (...args) => {
      inPlace++;
      return pit(...args);
    };
    await using ws = await createWorkspace({ offline });
    await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
    await ws.features.applyFeatureView({
      name: "trips",
      entities: ["driver"],
      schema,
      source: sqlSource({
        query: "select * from trips where trips > ?",
        params: [0],
        timestampField: "ts",
        fieldMapping: { driver: "driver_id", conv: "conv_rate" },
      }),
    });
    const set = await ws.features.getHistoricalFeatures({
      entityRows: [
        { driver_id: 1, event_timestamp: 1999 },
        { driver_id: 2, event_timestamp: 2000 },
        { driver_id: 1, event_timestamp: 999 },
      ],
      features: ["trips:trips", "trips:conv_rate"],
    });
    expect(inPlace).toBe(1);
    expect(set.rows.map((r) => [r.trips, r.conv_rate])).toEqual([
      [1, 0.1],
      [3, 0.3],
      [null, null],
    ]);
    const [m] = await ws.features.materialize({ end: 10_000, chunkSize: 2 });
    expect(m.rows).toBe(3);
    expect((await ws.features.getOnlineFeatures([{ driver_id: 1 }], ["trips:trips"])).rows[0].values.trips).toBe(2);
  });
});

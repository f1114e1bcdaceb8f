// Historical retrieval on a workspace over postgresStore(): the pandas merge_asof fixture exactly,
// answered by the LATERAL point-in-time join in the database — the offline store's scan refuses to
// run during retrieval, so no feature row is streamed into Node — in one batch and in many.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { PostgresPointInTime } from "../../../src/adapters/postgres/index.js";
import { createWorkspace } from "../../../src/index.js";
import type { OfflineStore } from "../../../src/stores/offline-store.js";
import { SqlOfflineStore } from "../../../src/stores/sql/sql-offline-store.js";
import { fixturePath } from "../../helpers.js";
import { POSTGRES_URL, service } from "../../services.js";
import { testSchemas } from "./postgres-test-schemas.js";

interface Case {
  ttl_seconds: number | null;
  feature_rows: Array<{
    driver_id: number;
    event_timestamp: number;
    created_timestamp: number;
    conv_rate: number;
    trips: number;
  }>;
  entity_rows: Array<{ driver_id: number; event_timestamp: number }>;
  expected: Array<{ conv_rate: number | null; trips: number | null }>;
}
const fixture = JSON.parse(readFileSync(fixturePath("features", "pit-join-merge-asof.json"), "utf8")) as {
  cases: Case[];
};
// The fixture's timestamps are unix seconds; the store takes epoch milliseconds.
const ms = (s: number) => s * 1000;

/** The offline store with `scan` refused while `scanning` is false. */
function scanRefused(store: OfflineStore, state: { scanning: boolean }): OfflineStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "scan" && !state.scanning)
        return () => {
          throw new Error("historical retrieval scanned the offline store");
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe.runIf(await service("PostgreSQL", POSTGRES_URL))("point-in-time join on PostgreSQL", () => {
  const schemas = testSchemas("mlc_pit");
  afterEach(() => schemas.drop());
  afterAll(() => schemas.end());

  const batches = [
    ["one query", undefined],
    ["batches of 7 entity rows", 7],
  ] as const;
  describe.each(batches)("%s", (_name, batchSize) => {
    it.each(fixture.cases.map((c, i) => [i, c] as const))(
      "reproduces pandas merge_asof exactly (case %i)",
      async (_i, c) => {
        const store = await schemas.store();
        const state = { scanning: true };
        const offline =
          batchSize === undefined
            ? store.offline
            : new SqlOfflineStore(store.database, {
                pointInTime: new PostgresPointInTime(store.database.db, batchSize),
              });
        expect(offline.pointInTime).toBeTypeOf("function");
        await using ws = await createWorkspace({ ...store, offline: scanRefused(offline, state) });
        await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
        await ws.features.applyFeatureView({
          name: "driver_stats",
          entities: ["driver"],
          schema: z.object({ conv_rate: z.number(), trips: z.number().int() }),
          ttlMs: c.ttl_seconds === null ? 0 : ms(c.ttl_seconds),
        });
        await ws.features.ingest(
          "driver_stats",
          c.feature_rows.map((r) => ({
            ...r,
            event_timestamp: ms(r.event_timestamp),
            created_timestamp: ms(r.created_timestamp),
          })),
          { chunkSize: 97 },
        );
        state.scanning = false;
        const set = await ws.features.getHistoricalFeatures({
          entityRows: c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) })),
          features: ["driver_stats:conv_rate", "driver_stats:trips"],
        });
        expect(set.rows.map((r) => ({ conv_rate: r.conv_rate, trips: r.trips }))).toEqual(c.expected);
        expect(set.rows.map((r) => r.driver_id)).toEqual(c.entity_rows.map((r) => r.driver_id));
      },
    );
  });

  it("plans each entity row's lookup as one backward descent of the primary key", async () => {
    const store = await schemas.store();
    const { rows } = await schemas.pool.query<{ "QUERY PLAN": string }>(
      `explain select p.n, m.values_json
       from unnest($1::text[], $2::int8[]) with ordinality as p(k, t, n)
       cross join lateral (
         select g.values_json from "${store.database.schema}".feature_offline_rows g
         where g.view_id = 1 and g.entity_key = p.k and g.event_time <= p.t
         order by g.event_time desc, g.created_time desc, g.seq desc limit 1) m`,
      [["a"], [1]],
    );
    const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
    expect(plan).toMatch(/Index Scan Backward using feature_offline_rows_v2_pk/);
    expect(plan).not.toMatch(/Sort/);
  });
});

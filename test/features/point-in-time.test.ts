import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { canonicalJson, createWorkspace, openSqliteDatabase, sqlOfflineStore, sqlStore } from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";
import { featureWorkspaces } from "./workspaces.js";

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
  semantics: string;
  cases: Case[];
};
// The fixture's timestamps are unix seconds; the store takes epoch milliseconds.
const ms = (s: number) => s * 1000;

const workspaces = [
  ...featureWorkspaces(),
  // SQL offline store without the SQLite fast path: the generic merge over a Kysely scan (PostgreSQL's path).
  [
    "sqlite via kysely scans",
    async () => {
      const db = openSqliteDatabase({ path: ":memory:" });
      return createWorkspace({ metadata: sqlStore(db), offline: sqlOfflineStore(db, { raw: false }) });
    },
  ] as const,
  // SQLite file with the lookups' SQL on a worker thread (by default only for large sets).
  [
    "sqlite with a worker thread",
    async () => {
      const db = openSqliteDatabase({ path: join(tempDir("mlcycle-pit-worker-"), "ws.db") });
      return createWorkspace({ metadata: sqlStore(db), offline: sqlOfflineStore(db, { workerMinRows: 1 }) });
    },
  ] as const,
];

describe.each(workspaces)("point-in-time join on %s", (_name, open) => {
  it.each(fixture.cases.map((c, i) => [i, c] as const))(
    "reproduces pandas merge_asof exactly (case %i)",
    async (_i, c) => {
      await using ws = await open();
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
      const set = await ws.features.getHistoricalFeatures({
        entityRows: c.entity_rows.map((r) => ({ ...r, event_timestamp: ms(r.event_timestamp) })),
        features: ["driver_stats:conv_rate", "driver_stats:trips"],
      });
      expect(set.rows).toHaveLength(c.expected.length);
      expect(set.rows.map((r) => ({ conv_rate: r.conv_rate, trips: r.trips }))).toEqual(c.expected);
      // Entity rows are kept, in input order.
      expect(set.rows.map((r) => r.driver_id)).toEqual(c.entity_rows.map((r) => r.driver_id));
      // The digest is that of the canonical content: the columns, then one line per row in order.
      const expected = createHash("sha256").update(`${canonicalJson(set.columns)}\n`);
      for (const r of set.rows) expected.update(`${canonicalJson(r)}\n`);
      expect(set.digest).toBe(expected.digest("hex"));
    },
  );
});

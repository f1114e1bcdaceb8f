/**
 * The feature store end to end on the embedded workspace (SQLite + local files):
 * definitions → offline ingestion → point-in-time training set → materialisation → online reads
 * with TTL → push → on-demand features → statistics.
 *
 *   npx tsx examples/features.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { openWorkspace } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "mlcycle-features-example-"));
const HOUR = 3_600_000;
const now = Date.now();

try {
  await using ws = await openWorkspace(dir);

  // 1. Definitions: an entity (join keys with types), a feature view (zod schema, TTL), a service.
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" }, description: "a driver" });
  const view = await ws.features.applyFeatureView({
    name: "driver_hourly",
    entities: ["driver"],
    schema: z.object({ conv_rate: z.number().min(0).max(1), trips: z.number().int().nonnegative() }),
    ttlMs: 2 * HOUR,
    source: "warehouse.driver_hourly",
    owner: "rides-team",
    tags: { team: "rides" },
  });
  console.log(`feature view ${view.name} v${view.version}: ${view.features.map((f) => f.name).join(", ")}`);

  // 2. Offline rows, streamed in chunks (an async generator stands in for a file or a cursor).
  async function* history() {
    for (let h = 48; h >= 1; h--)
      for (let d = 1; d <= 5; d++)
        yield { driver_id: d, event_timestamp: now - h * HOUR, conv_rate: ((d * 7 + h) % 10) / 10, trips: d * h };
  }
  const ingested = await ws.features.ingest("driver_hourly", history(), { chunkSize: 50 });
  console.log(`ingested ${ingested.rows} rows in ${ingested.chunks} chunks`);

  // A bad row is refused with its index and zod's issues; its chunk is not stored.
  try {
    await ws.features.ingest("driver_hourly", [{ driver_id: 1, event_timestamp: now, conv_rate: 3, trips: 1 }]);
  } catch (e) {
    console.log(`refused: ${(e as Error).message}`);
  }

  // 3. A point-in-time-correct training set, recorded in lineage.
  await ws.features.applyFeatureService({
    name: "eta_model_v1",
    features: ["driver_hourly:conv_rate", "driver_hourly:trips"],
  });
  const training = await ws.features.getHistoricalFeatures({
    entityRows: [
      { driver_id: 1, event_timestamp: now - 10 * HOUR, label: 1 },
      { driver_id: 2, event_timestamp: now - 30 * HOUR - 1, label: 0 },
      { driver_id: 9, event_timestamp: now - HOUR, label: 0 },
    ],
    features: { service: "eta_model_v1" },
    name: "eta-training",
  });
  console.table(training.rows);
  const upstream = await ws.lineage.upstream(training.artifactId!);
  console.log(`lineage: ${upstream.nodes.map((n) => `${n.type}:${n.name}`).join(" ← ")}`);

  // 4. Materialise offline → online (incremental, resumable), then read with TTL honoured.
  const [m] = await ws.features.materializeIncremental({ chunkSize: 100 });
  console.log(`materialised ${m.rows} rows up to ${new Date(m.until).toISOString()}`);
  await ws.features.push(
    "driver_hourly",
    [{ driver_id: 6, event_timestamp: now - 3 * HOUR, conv_rate: 0.5, trips: 1 }],
    {
      to: "online",
    },
  );
  const online = await ws.features.getOnlineFeatures(
    [{ driver_id: 1 }, { driver_id: 6 }, { driver_id: 42 }],
    ["driver_hourly:conv_rate", "driver_hourly:trips"],
  );
  for (const [i, r] of online.rows.entries())
    console.log(`entity ${i}: ${JSON.stringify(r.values)} status ${JSON.stringify(r.status)}`);

  // 5. On-demand features: one function for training and serving.
  await ws.features.defineOnDemandFeatureView({
    name: "driver_derived",
    sources: ["driver_hourly:conv_rate"],
    request: z.object({ surge: z.number() }),
    schema: z.object({ expected_conv: z.number() }),
    compute: ({ request, features }) => ({
      expected_conv: ((features.conv_rate as number | null) ?? 0) * request.surge,
    }),
  });
  const served = await ws.features.getOnlineFeatures([{ driver_id: 1, surge: 1.5 }], ["driver_derived:expected_conv"]);
  console.log(`on-demand: ${JSON.stringify(served.rows[0].values)}`);

  // 6. Statistics: a reference profile for monitoring.
  const stats = await ws.features.statistics("driver_hourly");
  const c = stats.features.conv_rate;
  console.log(
    `conv_rate: n=${c.count} mean=${c.mean?.toFixed(3)} std=${c.std?.toFixed(3)} p50=${c.quantiles?.["0.5"]}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

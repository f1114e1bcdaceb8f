import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EventBus,
  type FeatureEvents,
  FeatureStore,
  isMlcycleError,
  manualClock,
  memoryOfflineStore,
  memoryOnlineStore,
  memoryStore,
} from "../../src/index.js";

const T0 = Date.UTC(2024, 0, 1);

/** A feature store built from its parts alone, without a workspace. */
function standalone() {
  const metadata = memoryStore();
  const events = new EventBus<FeatureEvents>();
  const clock = manualClock(T0);
  const features = new FeatureStore({
    registry: metadata.features,
    lineage: metadata.lineage,
    offline: memoryOfflineStore(),
    online: memoryOnlineStore(),
    events,
    clock,
  });
  return { metadata, events, clock, features };
}

async function driverStats(features: FeatureStore) {
  await features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema: z.object({ trips: z.number().int() }),
  });
}

describe("FeatureStore wired explicitly", () => {
  it("works on the stores, events and clock it is given", async () => {
    const { metadata, events, features } = standalone();
    const ingested: FeatureEvents["features.ingested"][] = [];
    events.on("features.ingested", (e) => ingested.push(e));
    await driverStats(features);
    const view = await metadata.lineage.findByExternalId("artifact", "feature_view:driver_stats");
    expect(view).toMatchObject({ type: "feature_view", name: "driver_stats" });

    await features.push("driver_stats", [
      { driver_id: 1, event_timestamp: T0 - 10, trips: 3 },
      { driver_id: 1, event_timestamp: T0 - 5, trips: 4 },
    ]);
    expect(ingested).toEqual([{ view: "driver_stats", rows: 2 }]);
    const { rows } = await features.getOnlineFeatures([{ driver_id: 1 }], ["driver_stats:trips"]);
    expect(rows[0].values).toEqual({ trips: 4 });

    const set = await features.getHistoricalFeatures({
      entityRows: [{ driver_id: 1, event_timestamp: T0 }],
      features: ["driver_stats:trips"],
    });
    expect(set.rows[0].trips).toBe(4);
    expect(await metadata.lineage.getNode(set.artifactId!)).toMatchObject({ type: "training_set" });
  });

  // ingest and push share one loop: a failing push chunk reports what was stored before it.
  it("push reports the rows stored before a bad chunk, as ingest does", async () => {
    const { events, features } = standalone();
    const ingested: FeatureEvents["features.ingested"][] = [];
    events.on("features.ingested", (e) => ingested.push(e));
    await driverStats(features);
    const rows = Array.from({ length: 10_001 }, (_, i) => ({ driver_id: i, event_timestamp: T0, trips: i }));
    rows[10_000] = { driver_id: 0, event_timestamp: T0, trips: 0.5 };
    const error = await features.push("driver_stats", rows, { to: "offline" }).catch((e: unknown) => e);
    expect(isMlcycleError(error) && error.code).toBe("VALIDATION");
    expect(isMlcycleError(error) && error.details).toMatchObject({ rowIndex: 10_000, storedRows: 10_000 });
    expect(ingested).toEqual([{ view: "driver_stats", rows: 10_000 }]);
  });
});

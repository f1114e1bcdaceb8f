import { describe, expect, it } from "vitest";
import { z } from "zod";
import { functionModel, manualClock, type Workspace } from "../../src/index.js";
import { caught, servingWorkspaces } from "./serving-fixtures.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Driver features: a stored view (TTL 5 h), an on-demand view computed from it and request data, a service. */
async function driverFeatures(ws: Workspace) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    ttlMs: 5 * HOUR,
    schema: z.object({ conv_rate: z.number(), trips: z.number().int() }),
  });
  await ws.features.defineOnDemandFeatureView({
    name: "driver_derived",
    sources: ["driver_stats:conv_rate"],
    request: z.object({ bonus: z.number() }),
    schema: z.object({ adjusted_rate: z.number() }),
    compute: ({ request, features }) => ({
      adjusted_rate: ((features.conv_rate as number | null) ?? 0) * 10 + request.bonus,
    }),
  });
  await ws.features.applyFeatureService({
    name: "eta",
    features: ["driver_stats:trips", "driver_derived:adjusted_rate"],
  });
  await ws.features.ingest("driver_stats", [
    { driver_id: 1, event_timestamp: T0 + 8 * HOUR, conv_rate: 0.5, trips: 10 },
    { driver_id: 2, event_timestamp: T0 + 1 * HOUR, conv_rate: 0.2, trips: 3 },
  ]);
  await ws.features.materialize();
}

const FeatureRows = z.array(z.tuple([z.number().nullable(), z.number().nullable()])).min(1);

describe.each(servingWorkspaces())("feature-enriched serving on %s", (_name, open) => {
  it("predicts from entity keys with the service's online features, computed as in training", async () => {
    const clock = manualClock(T0 + 10 * HOUR);
    await using ws = await open({ clock });
    await driverFeatures(ws);
    ws.registry.registerFunction(
      "eta",
      () => (rows: Array<[number | null, number | null]>) => rows.map(([trips, rate]) => (trips ?? 0) + (rate ?? 0)),
    );
    await ws.registry.register("eta", {
      model: functionModel("eta", {}),
      featureService: "eta",
      signature: { inputs: FeatureRows, outputs: z.array(z.number()) },
    });
    const d = await ws.serving.deploy<unknown, number[]>("eta@1");
    expect(d.describe().featureService).toBe("eta");
    const entities = [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }];
    const values = [{ bonus: 1 }, { bonus: 2 }, { bonus: 3 }];
    const p = await d.predictEntities(entities, { values });

    // The same rows as a training set built at the same time: same columns, same values, on-demand included.
    const training = await ws.features.getHistoricalFeatures({
      entityRows: entities.map((e, i) => ({ ...e, ...values[i], event_timestamp: T0 + 10 * HOUR })),
      features: { service: "eta" },
      record: false,
    });
    expect(p.features.columns).toEqual(training.columns);
    expect(p.features.columns).toEqual(["trips", "adjusted_rate"]);
    expect(p.features.rows.map((r) => r.values)).toEqual(
      training.rows.map((r) => ({ trips: r.trips, adjusted_rate: r.adjusted_rate })),
    );
    expect(p.features.rows.map((r) => r.values.adjusted_rate)).toEqual([6, 2, 3]);
    expect(p.features.rows.map((r) => r.status.trips)).toEqual(["present", "expired", "not_found"]);
    expect(p.features.rows[0].eventTime.trips).toBe(T0 + 8 * HOUR);
    expect(p.outputs).toEqual(training.rows.map((r) => ((r.trips as number) ?? 0) + (r.adjusted_rate as number)));
    expect(p).toMatchObject({ model: "eta", version: 1 });

    // A value passed directly replaces the stored one.
    const o = await d.predictEntities([{ driver_id: 1 }], { values: [{ bonus: 0, trips: 100 }] });
    expect(o.features.rows[0]).toMatchObject({
      values: { trips: 100, adjusted_rate: 5 },
      status: { trips: "present" },
      eventTime: { trips: null },
    });
    expect(o.outputs).toEqual([105]);
    // The log keeps the model inputs built from the features.
    await d.flush();
    expect((await ws.serving.getPrediction(o.predictionId))?.inputs).toEqual([[100, 5]]);
    // Request data the on-demand view needs is required, as in training.
    const missing = await caught(d.predictEntities([{ driver_id: 1 }]));
    expect(missing.code).toBe("VALIDATION");
    expect((await caught(d.predictEntities([{ driver_id: 1 }], { values: [] }))).message).toContain(
      "one object per entity",
    );
    expect(d.health()).toMatchObject({ served: 2, failed: 2 });
  });

  it("takes the feature service and the input shape from the deployment's options", async () => {
    const clock = manualClock(T0 + 10 * HOUR);
    await using ws = await open({ clock });
    await driverFeatures(ws);
    ws.registry.registerFunction("first", () => (rows: Array<{ trips: number | null }>) => rows.map((r) => r.trips));
    await ws.registry.register("plain", { model: functionModel("first", {}) });
    const without = await ws.serving.deploy("plain@1");
    const none = await caught(without.predictEntities([{ driver_id: 1 }], { values: [{ bonus: 0 }] }));
    expect(none.code).toBe("PRECONDITION");
    expect(none.message).toContain("plain@1 was not registered with a feature service");
    const d = await ws.serving.deploy("plain@1", {
      name: "with-service",
      features: { service: "eta", toInputs: (rows) => rows.map((r) => ({ trips: r.trips as number | null })) },
    });
    const p = await d.predictEntities([{ driver_id: 1 }, { driver_id: 3 }], { values: [{ bonus: 0 }, { bonus: 0 }] });
    expect(p.outputs).toEqual([10, null]);
  });
});

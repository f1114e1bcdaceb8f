import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isMlcycleError, manualClock, type Workspace } from "../../src/index.js";
import { featureWorkspaces } from "./workspaces.js";

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const KEYS = 40;

async function setup(ws: Workspace) {
  await ws.features.applyEntity({ name: "driver", joinKeys: { driver_id: "int" } });
  await ws.features.applyFeatureView({
    name: "driver_stats",
    entities: ["driver"],
    schema: z.object({ trips: z.number().int(), rate: z.number() }),
  });
}

/** 5 rows per driver at increasing times, written in shuffled order, with a late correction for some. */
function history(from: number, to: number) {
  const rows: Array<Record<string, unknown>> = [];
  for (let t = from; t < to; t++)
    for (let d = 0; d < KEYS; d++)
      rows.push({
        driver_id: d,
        event_timestamp: T0 + t * MIN,
        created_timestamp: T0 + t * MIN,
        trips: t * 100 + d,
        rate: d / KEYS,
      });
  // Same event time, later created time: must win.
  for (let d = 0; d < KEYS; d += 7)
    rows.push({
      driver_id: d,
      event_timestamp: T0 + (to - 1) * MIN,
      created_timestamp: T0 + to * MIN,
      trips: -1000 - d,
      rate: 1,
    });
  return rows.reverse();
}

async function onlineSnapshot(ws: Workspace) {
  const entities = Array.from({ length: KEYS + 1 }, (_, d) => ({ driver_id: d }));
  return (await ws.features.getOnlineFeatures(entities, ["driver_stats:trips", "driver_stats:rate"])).rows;
}

describe.each(featureWorkspaces())("materialisation on %s", (_name, open) => {
  it("copies the latest values per entity, full then incremental, idempotently", async () => {
    const clock = manualClock(T0 + 10 * MIN);
    await using ws = await open({ clock });
    await setup(ws);
    const events: unknown[] = [];
    ws.events.on("features.materialized", (e) => events.push(e));
    await ws.features.ingest("driver_stats", history(0, 5));
    const [full] = await ws.features.materialize({ chunkSize: 16 });
    expect(full).toMatchObject({ view: "driver_stats", rows: 5 * KEYS + 6, until: T0 + 10 * MIN, resumed: false });
    const first = await onlineSnapshot(ws);
    expect(first[0].values).toEqual({ trips: -1000, rate: 1 });
    expect(first[1].values).toEqual({ trips: 401, rate: 1 / KEYS });
    expect(first[1].eventTime.trips).toBe(T0 + 4 * MIN);
    expect(first[KEYS].status.trips).toBe("not_found");
    expect(events).toEqual([{ view: "driver_stats", rows: 5 * KEYS + 6, until: T0 + 10 * MIN }]);

    // New rows after the last materialised time: incremental reads only those.
    await ws.features.ingest("driver_stats", history(20, 22));
    clock.set(T0 + 30 * MIN);
    const [inc] = await ws.features.materializeIncremental({ chunkSize: 16 });
    expect(inc).toMatchObject({ rows: 2 * KEYS + 6, until: T0 + 30 * MIN });
    const second = await onlineSnapshot(ws);
    expect(second[1].values.trips).toBe(2101);
    expect(second[7].values.trips).toBe(-1007);
    // Nothing new: nothing read. A full re-run changes nothing.
    expect((await ws.features.materializeIncremental())[0].rows).toBe(0);
    const [again] = await ws.features.materialize();
    expect(again.rows).toBe(7 * KEYS + 12);
    expect(await onlineSnapshot(ws)).toEqual(second);
    expect(await ws.features.materializationState("driver_stats")).toMatchObject({ until: T0 + 30 * MIN });
    expect((await ws.features.materializationState("driver_stats"))?.pending).toBeUndefined();
  });

  it("continues an interrupted run from its checkpoint and ends where a clean run does", async () => {
    const clock = manualClock(T0 + 10 * MIN);
    await using clean = await open({ clock });
    await setup(clean);
    await clean.features.ingest("driver_stats", history(0, 5));
    await clean.features.materialize({ chunkSize: 16 });
    const expected = await onlineSnapshot(clean);

    await using ws = await open({ clock });
    await setup(ws);
    await ws.features.ingest("driver_stats", history(0, 5));
    const total = 5 * KEYS + 6;
    const crash = await ws.features
      .materialize({
        chunkSize: 16,
        onProgress: (p) => {
          if (p.chunk === 3) throw new Error("worker crashed");
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((crash as Error).message).toBe("worker crashed");
    const checkpoint = await ws.features.materializationState("driver_stats");
    expect(checkpoint?.pending).toMatchObject({ end: T0 + 10 * MIN, rows: 48 });
    expect(checkpoint?.pending?.cursor).toBeTypeOf("string");
    expect(checkpoint?.until).toBeUndefined();

    // Later, with the clock moved: the pending window is finished first, from its cursor.
    clock.set(T0 + 11 * MIN);
    const seen: number[] = [];
    const [resumed] = await ws.features.materialize({ chunkSize: 16, onProgress: (p) => seen.push(p.rows) });
    expect(resumed).toMatchObject({ resumed: true, rows: total - 48, until: T0 + 11 * MIN });
    expect(seen[0]).toBe(64);
    expect(seen.at(-1)).toBe(total);
    expect(await onlineSnapshot(ws)).toEqual(expected);
  });

  it("stops on an AbortSignal with CANCELLED and resumes afterwards", async () => {
    const clock = manualClock(T0 + 10 * MIN);
    await using ws = await open({ clock });
    await setup(ws);
    await ws.features.ingest("driver_stats", history(0, 5));
    const controller = new AbortController();
    const err = await ws.features
      .materializeIncremental({
        chunkSize: 50,
        signal: controller.signal,
        onProgress: (p) => p.chunk === 2 && controller.abort(),
      })
      .catch((e: unknown) => e);
    expect(isMlcycleError(err, "CANCELLED")).toBe(true);
    expect((await ws.features.materializationState("driver_stats"))?.pending?.rows).toBe(100);
    const [done] = await ws.features.materializeIncremental({ chunkSize: 50 });
    expect(done).toMatchObject({ resumed: true, rows: 5 * KEYS + 6 - 100 });
    expect((await onlineSnapshot(ws))[3].values.trips).toBe(403);
  });

  it("rejects bad options", async () => {
    await using ws = await open();
    await setup(ws);
    await expect(ws.features.materialize({ chunkSize: 0 })).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
    await expect(ws.features.materialize({ views: ["nope"] })).rejects.toSatisfy((e) => isMlcycleError(e, "NOT_FOUND"));
    await expect(ws.features.materialize({ end: "not a time" })).rejects.toSatisfy((e) =>
      isMlcycleError(e, "VALIDATION"),
    );
  });
});

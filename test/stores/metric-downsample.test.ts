import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/core/ids.js";
import { openSqliteDatabase } from "../../src/index.js";
import { MemoryTrackingStore } from "../../src/stores/memory/memory-tracking-store.js";
import { downsampleBucketOf, downsampleBuckets, downsampleMinMax } from "../../src/stores/metric-downsample.js";
import { allMigrations } from "../../src/stores/sql/migrations/index.js";
import { migrate } from "../../src/stores/sql/sql-database.js";
import { SqlTrackingStore } from "../../src/stores/sql/sql-tracking-store.js";
import type { MetricPoint, TrackingStore } from "../../src/stores/tracking-store.js";

const T0 = 1_700_000_000_000;

async function sqliteStore(): Promise<TrackingStore> {
  const db = openSqliteDatabase({ path: ":memory:" });
  await migrate(db, allMigrations);
  return new SqlTrackingStore(db);
}

async function newRun(s: TrackingStore): Promise<string> {
  const experimentId = newId();
  await s.createExperiment({
    id: experimentId,
    name: `downsample-${experimentId}`,
    tags: {},
    lifecycle: "active",
    createdAt: T0,
    updatedAt: T0,
  });
  const id = newId();
  await s.createRun({ id, experimentId, name: "r", status: "running", startTime: T0, heartbeatAt: T0 }, {}, {});
  return id;
}

/** A series with ties, NaN runs, ±Infinity and -0, from a seeded generator. */
function series(runId: string, n: number, seed: number): MetricPoint[] {
  let x = seed;
  const next = () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1, 1, 1];
  const points: MetricPoint[] = [];
  for (let i = 0; i < n; i++) {
    const r = next();
    // A stretch of NaN alone, so some buckets hold nothing else.
    const value =
      i > n / 3 && i < n / 3 + 40
        ? Number.NaN
        : r < 0.3
          ? special[Math.floor(next() * special.length)]!
          : Math.round(next() * 5);
    points.push({ runId, key: "m", value, step: i, timestamp: T0 + i });
  }
  return points;
}

const stores: Array<[string, () => Promise<TrackingStore>]> = [
  ["memory", async () => new MemoryTrackingStore()],
  ["sqlite", sqliteStore],
];

describe("downsampling formula", () => {
  it("puts each inner index in the bucket downsampleMinMax gives it", () => {
    for (const total of [3, 4, 7, 100, 1001]) {
      for (const maxPoints of [2, 3, 4, 5, 10, 320]) {
        const buckets = downsampleBuckets(maxPoints);
        if (buckets === 0 || total <= maxPoints) continue;
        const inner = total - 2;
        for (let b = 0; b < buckets; b++) {
          const from = 1 + Math.floor((b * inner) / buckets);
          const to = 1 + Math.floor(((b + 1) * inner) / buckets);
          for (let i = from; i < to; i++) expect(downsampleBucketOf(i, total, buckets)).toBe(b);
        }
      }
    }
  });
});

describe.each(stores)("metricHistoryDownsampled on %s", (_name, factory) => {
  it("equals downsampleMinMax of the full history (ties, NaN, ±Infinity)", async () => {
    const s = await factory();
    const run = await newRun(s);
    await s.logMetrics(series(run, 2_000, 7));
    const full = await s.metricHistory(run, "m");
    for (const maxPoints of [2, 3, 4, 5, 10, 64, 320, 1_999, 2_000, 5_000]) {
      const got = await s.metricHistoryDownsampled!(run, "m", maxPoints);
      const want = downsampleMinMax(full, maxPoints);
      expect(got.length).toBe(want.length);
      // Object.is on each value: NaN equals NaN, -0 is not 0 where the store keeps the sign.
      expect(got.map((p) => [p.step, p.timestamp])).toEqual(want.map((p) => [p.step, p.timestamp]));
      for (let i = 0; i < got.length; i++) expect(Number.isNaN(got[i]!.value)).toBe(Number.isNaN(want[i]!.value));
      expect(got.map((p) => p.value)).toEqual(want.map((p) => p.value));
    }
    const ranged = await s.metricHistoryDownsampled!(run, "m", 50, { startStep: 100, endStep: 1_500 });
    expect(ranged).toEqual(downsampleMinMax(await s.metricHistory(run, "m", { startStep: 100, endStep: 1_500 }), 50));
  });

  it("keeps the first of equal values and one NaN for an all-NaN bucket", async () => {
    const s = await factory();
    const run = await newRun(s);
    const values = [5, 2, 2, 9, Number.NaN, Number.NaN, Number.NaN, 9, 1, 1, 3];
    await s.logMetrics(values.map((value, i) => ({ runId: run, key: "m", value, step: i, timestamp: T0 })));
    const got = await s.metricHistoryDownsampled!(run, "m", 8);
    expect(got.map((p) => p.step)).toEqual(downsampleMinMax(await s.metricHistory(run, "m"), 8).map((p) => p.step));
    expect(got.map((p) => p.step)).toEqual([0, 1, 3, 4, 7, 8, 10]);
  });

  it("answers NOT_FOUND for a missing run and an empty list for a missing key", async () => {
    const s = await factory();
    const run = await newRun(s);
    expect(await s.metricHistoryDownsampled!(run, "nothing", 10)).toEqual([]);
    await expect(s.metricHistoryDownsampled!("missing", "m", 10)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

/** V8's gc, exposed on demand (the test must not depend on how the runner started node). */
function exposedGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("bounded memory of a downsampled history (regression: 1M points took +210 MiB)", () => {
  it("downsamples 200,000 SQLite points to 320 without growing the heap by more than a few MiB", async () => {
    const s = await sqliteStore();
    const run = await newRun(s);
    for (let from = 0; from < 200_000; from += 20_000) {
      const batch: MetricPoint[] = [];
      for (let i = from; i < from + 20_000; i++)
        batch.push({ runId: run, key: "loss", value: Math.sin(i / 100), step: i, timestamp: T0 + i });
      await s.logMetrics(batch);
    }
    const gc = exposedGc();
    gc();
    const before = process.memoryUsage().heapUsed;
    // No gc between: whatever the call allocated (every row turned into an object) is still counted.
    const points = await s.metricHistoryDownsampled!(run, "loss", 320);
    const grown = process.memoryUsage().heapUsed - before;
    expect(points.length).toBeLessThanOrEqual(320);
    expect(points[0]?.step).toBe(0);
    expect(points.at(-1)?.step).toBe(199_999);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});

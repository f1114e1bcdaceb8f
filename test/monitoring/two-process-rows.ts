import type { MonitorOptions } from "../../src/index.js";
import { normal, seeded } from "./monitor-fixtures.js";

/** The windows of the shared monitor: one minute each. */
export const WINDOW_MS = 60_000;

/** The monitor every process of the two-process test opens. */
export function sharedMonitorOptions(sampleSize: number): MonitorOptions {
  return {
    features: ["x", { name: "plan", kind: "categorical" }, "score"],
    window: { ms: WINDOW_MS },
    idColumn: "id",
    timeColumn: "at",
    sampleSize,
    maxCategories: 50,
    checkIntervalMs: false,
    rules: [
      { name: "drift", figure: "dataset_drift", threshold: 1 },
      { name: "range", figure: "out_of_range.x", threshold: 1 },
    ],
  };
}

const PLANS = ["free", "pro", "team", "enterprise"];

/** The reference rows: the distribution the model was trained on. */
export function referenceRows(n = 2_000): Array<Record<string, unknown>> {
  const rand = seeded(7);
  return Array.from({ length: n }, (_, i) => ({
    id: `ref-${i}`,
    x: normal(rand, 0, 1),
    plan: PLANS[Math.floor(rand() * 3)],
    score: rand(),
  }));
}

/**
 * The production rows of the test: row i in the first window or the second, `x` drifting in the
 * second, with a few missing values, values of the wrong type and a category the reference never
 * had. The same for every process (each takes its share by the row's parity).
 */
export function productionRows(n: number): Array<Record<string, unknown>> {
  const rand = seeded(11);
  return Array.from({ length: n }, (_, i) => {
    const second = i >= n / 2;
    const r = rand();
    return {
      id: `row-${i}`,
      at: (second ? WINDOW_MS : 0) + Math.floor(rand() * WINDOW_MS),
      x: i % 97 === 0 ? null : normal(rand, second ? 0.8 : 0, 1),
      plan: i % 89 === 0 ? "student" : PLANS[Math.floor(r * 3)],
      score: i % 131 === 0 ? "high" : rand(),
    };
  });
}

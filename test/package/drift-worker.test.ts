import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type * as Mlcycle from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");

describe("drift reports from the built package (dist, as `npm test` builds it first)", () => {
  it("spread columns over worker threads running dist/drift-worker.js, with the report of the calling thread", async () => {
    expect(existsSync(join(root, "dist", "drift-worker.js"))).toBe(true);
    const { driftReport } = (await import(pathToFileURL(join(root, "dist", "index.js")).href)) as typeof Mlcycle;
    const column = (n: number, shift: number) =>
      Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 3 + shift);
    const reference = {
      a: column(3_000, 0),
      b: column(3_000, 1),
      plan: Array.from({ length: 3_000 }, (_, i) => `p${i % 3}`),
    };
    const current = {
      a: column(2_000, 0.5),
      b: column(2_000, 1),
      plan: Array.from({ length: 2_000 }, (_, i) => `p${i % 4}`),
    };
    const pooled = await driftReport(reference, current, { workers: 2 });
    const here = await driftReport(reference, current, { workers: 0 });
    expect(pooled.workers).toBe(2);
    expect({ ...pooled, workers: 0 }).toEqual(here);
    expect(here.columns.map((c) => [c.column, c.method])).toEqual([
      ["a", "wasserstein"],
      ["b", "wasserstein"],
      ["plan", "jensenshannon"],
    ]);
  });
});

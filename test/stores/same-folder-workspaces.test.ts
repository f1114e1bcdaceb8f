import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { sqliteConnectionReferences } from "../../src/adapters/sqlite/sqlite-database.js";
import { functionModel, openWorkspace, pipeline, step, type Workspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";

/** The longest gap between ticks of a 10 ms interval timer while `work` runs. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    const result = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { result, stallMs };
  } finally {
    clearInterval(timer);
  }
}

const double = step({
  name: "double",
  version: "1",
  input: z.object({ x: z.number() }),
  output: z.number(),
  run: ({ x }) => 2 * x,
});
const doubling = pipeline("doubling", { params: z.object({ x: z.number() }) }).step("double", double, ({ params }) => ({
  x: params.x,
}));

/** Runs with metrics, pipeline runs and registry writes, all started at once. */
function mixed(ws: Workspace, tag: string, round: number): Promise<unknown>[] {
  return [
    ws.experiments.withRun({ experiment: `same-folder-${tag}` }, async (run) => {
      for (let i = 0; i < 20; i++) await run.logMetric("loss", 1 / (i + 1), { step: i });
      await run.logParam("round", String(round));
    }),
    ws.pipelines.run(doubling, { x: round }),
    ws.registry.register(`model-${tag}`, { model: functionModel("f", { round }) }),
  ];
}

describe("two workspaces on one folder in one process", () => {
  it("never stalls the event loop over 100 ms on mixed concurrent writes (regression: 12 mixed operations took 60 s)", async () => {
    const dir = join(tempDir(), "ws");
    const a = await openWorkspace(dir);
    const b = await openWorkspace(dir);
    try {
      // A first round outside the measure: module loading and first compilations are not stalls.
      await Promise.all([...mixed(a, "a", 0), ...mixed(b, "b", 0)]);
      const { stallMs } = await longestStall(async () => {
        for (let round = 1; round < 4; round++) await Promise.all([...mixed(a, "a", round), ...mixed(b, "b", round)]);
      });
      expect(stallMs).toBeLessThan(100);
      // Each sees the other's writes.
      expect((await a.registry.listVersions("model-b")).length).toBe(4);
      expect((await b.registry.listVersions("model-a")).length).toBe(4);
      const runsOfA = await b.experiments.searchRuns({ experiments: "same-folder-a" });
      expect(runsOfA.runs.length).toBe(4);
      expect(runsOfA.runs.every((r) => r.metrics.loss === 1 / 20)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("keeps the other workspace working when one closes, and closes the file with the last one", async () => {
    const dir = join(tempDir(), "ws");
    const file = join(dir, "mlcycle.db");
    const a = await openWorkspace(dir);
    const b = await openWorkspace(dir);
    expect(sqliteConnectionReferences(file)).toBe(2);
    await a.close();
    expect(sqliteConnectionReferences(file)).toBe(1);
    await b.experiments.withRun({ experiment: "after" }, (run) => run.logMetric("x", 1));
    await b.registry.register("after", { model: functionModel("f", { ok: true }) });
    expect((await b.experiments.searchRuns({ experiments: "after" })).runs[0]?.metrics.x).toBe(1);
    await expect(a.experiments.searchRuns({ experiments: "after" })).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await b.close();
    expect(sqliteConnectionReferences(file)).toBe(0);
    await using c = await openWorkspace(dir);
    expect((await c.registry.listVersions("after")).length).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createWorkspace, memoryStore, pipeline, type RunPatch, step } from "../../src/index.js";

describe("a step's tracking run ends in the step's commit", () => {
  // Regression: after commitStep had written the run's end, Run.end() wrote it a second time.
  it("is written once, by the commit, and the run reads finished with its metrics", async () => {
    const m = memoryStore();
    const endWrites: Array<{ id: string; patch: RunPatch }> = [];
    const tracking = new Proxy(m.tracking, {
      get(t, k) {
        if (k === "updateRun")
          return (id: string, patch: RunPatch) => {
            if (patch.status !== undefined) endWrites.push({ id, patch });
            return t.updateRun(id, patch);
          };
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    await using ws = await createWorkspace({ metadata: { ...m, tracking, init: m.init, close: m.close } });
    const fit = step({
      name: "fit",
      version: "1",
      input: z.object({}),
      output: z.number(),
      run: async (_input, ctx) => {
        ctx.run.logMetric("loss", 0.5);
        return 1;
      },
    });
    const r = await ws.pipelines.run(pipeline("commit-once", { version: "1" }).step("fit", fit));
    expect(r.status).toBe("succeeded");
    const runId = r.steps.fit!.trackingRunId!;
    expect(runId).toBeTruthy();
    expect(endWrites.filter((w) => w.id === runId)).toEqual([]);
    const run = await ws.experiments.getRun(runId);
    expect(run.status).toBe("finished");
    expect(run.metrics.loss).toBe(0.5);
  });
});

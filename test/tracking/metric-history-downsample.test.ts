import { describe, expect, it } from "vitest";
import { createWorkspace, downsampleMinMax, memoryBackend } from "../../src/index.js";

describe("ws.experiments.metricHistory with maxPoints", () => {
  it("downsamples in the store when it can, and in tracking for a store without metricHistoryDownsampled", async () => {
    const values = Array.from({ length: 500 }, (_, i) => (i % 97 === 0 ? Number.NaN : Math.round(Math.sin(i) * 3)));
    const answers = [];
    for (const withStoreDownsampling of [true, false]) {
      const backend = memoryBackend();
      const tracking = backend.metadata.tracking as { metricHistoryDownsampled?: unknown };
      if (!withStoreDownsampling) tracking.metricHistoryDownsampled = undefined;
      await using ws = await createWorkspace(backend);
      const id = await ws.experiments.withRun({ experiment: "ds" }, async (run) => {
        for (let i = 0; i < values.length; i++) await run.logMetric("m", values[i]!, { step: i });
        return run.id;
      });
      const full = await ws.experiments.metricHistory(id, "m");
      const got = await ws.experiments.metricHistory(id, "m", { maxPoints: 40 });
      expect(got).toEqual(downsampleMinMax(full, 40));
      answers.push(got.map((p) => [p.step, p.value]));
    }
    expect(answers[0]).toEqual(answers[1]);
  });
});

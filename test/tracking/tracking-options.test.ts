import { describe, expect, it } from "vitest";
import { createWorkspace, isMlcycleError } from "../../src/index.js";

describe("tracking options", () => {
  // Regression: metricBatchSize 0.5 was floored to 0 and the first logMetric looped forever; huge
  // intervals passed and Node clamped the timer to 1 ms.
  it.each([
    ["metricBatchSize", 0.5],
    ["metricBatchSize", 0],
    ["metricBatchSize", -3],
    ["flushIntervalMs", 1e20],
    ["heartbeatIntervalMs", 3e9],
    ["crashTimeoutMs", Number.NaN],
    ["flushIntervalMs", "1000"],
  ])("refuses %s = %s with VALIDATION naming it", async (key, value) => {
    const error = await createWorkspace({ tracking: { [key]: value } as never }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMlcycleError(error, "VALIDATION")).toBe(true);
    expect((error as Error).message).toContain(key);
  });

  it("refuses an unknown option and a non-object", async () => {
    await expect(createWorkspace({ tracking: { batch: 5 } as never })).rejects.toThrow(/batch/);
    await expect(createWorkspace({ tracking: 5 as never })).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
  });

  it("refuses a bad option given to configure() and keeps the settings in force", async () => {
    await using ws = await createWorkspace();
    expect(() => ws.experiments.configure({ flushIntervalMs: 2 ** 31 })).toThrow(/flushIntervalMs/);
    expect(ws.experiments.options.flushIntervalMs).toBe(1000);
    ws.experiments.configure({ flushIntervalMs: 250 });
    expect(ws.experiments.options.flushIntervalMs).toBe(250);
  });
});

import { describe, expectTypeOf, it } from "vitest";
import type { Run, RunInfo, RunStatus, SweepResult, Workspace } from "../../src/index.js";
import { openWorkspace } from "../../src/index.js";

describe("tracking types", () => {
  it("types events, options and results", async () => {
    const ws: Workspace = await openWorkspace("/tmp/x", { tracking: { crashTimeoutMs: 1000 } });
    ws.events.on("run.ended", (e) => {
      expectTypeOf(e.status).toEqualTypeOf<"finished" | "failed" | "killed">();
      expectTypeOf(e.runId).toBeString();
    });
    ws.events.on("run.started", (e) => expectTypeOf(e.parentRunId).toEqualTypeOf<string | undefined>());
    expectTypeOf(ws.experiments.getRun).returns.resolves.toEqualTypeOf<RunInfo>();
    expectTypeOf<RunInfo["status"]>().toEqualTypeOf<RunStatus>();
    expectTypeOf(ws.experiments.startRun).returns.resolves.toEqualTypeOf<Run>();
    expectTypeOf(ws.experiments.withRun({ experiment: "e" }, () => 42)).resolves.toBeNumber();
    expectTypeOf<Run["logMetric"]>().returns.toEqualTypeOf<void | Promise<void>>();
    const sweep = ws.experiments.sweep({
      experiment: "e",
      method: "grid",
      space: { a: [1, 2] },
      metric: "m",
      goal: "maximize",
      objective: (t) => Number(t.params.a),
    });
    expectTypeOf(sweep).resolves.toMatchTypeOf<SweepResult<Record<string, string | number | boolean>>>();
    // @ts-expect-error: metric values are numbers
    (null as unknown as Run).logMetric("m", "1");
    // @ts-expect-error: runs end finished, failed or killed
    (null as unknown as Run).end("crashed");
    // @ts-expect-error: unknown tracking option
    await openWorkspace("/tmp/x", { tracking: { batch: 1 } });
  });
});

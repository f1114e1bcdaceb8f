import { describe, expectTypeOf, it } from "vitest";
import type { Experiments, PipelineTracking, TrackingLike } from "../../src/index.js";

describe("pipelines drive the tracking module through a structural type", () => {
  it("ws.experiments satisfies what the engine calls", () => {
    expectTypeOf<Experiments>().toMatchTypeOf<TrackingLike>();
    expectTypeOf<Experiments>().toMatchTypeOf<PipelineTracking>();
  });
});

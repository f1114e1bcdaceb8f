import { describe, expectTypeOf, it } from "vitest";
import type {
  EventBus,
  MlcycleEvents,
  PipelineEvents,
  Pipelines,
  PipelinesOptions,
  PipelineTracking,
  StepContext,
  StepWorkspace,
  TriggerEventName,
  Workspace,
} from "../../src/index.js";

describe("pipelines are wired explicitly", () => {
  it("a workspace is what a step sees as ctx.workspace", () => {
    expectTypeOf<Workspace>().toMatchTypeOf<StepWorkspace>();
    expectTypeOf<StepContext["workspace"]>().toEqualTypeOf<StepWorkspace>();
    expectTypeOf<StepWorkspace["registry"]>().toEqualTypeOf<Workspace["registry"]>();
  });

  it("takes the workspace's event bus, tracking module and itself as its options", () => {
    expectTypeOf<EventBus<MlcycleEvents>>().toMatchTypeOf<EventBus<PipelineEvents>>();
    expectTypeOf<Workspace["experiments"]>().toMatchTypeOf<PipelineTracking>();
    expectTypeOf<{
      metadata: Workspace["metadata"];
      artifacts: Workspace["artifacts"];
      events: Workspace["events"];
      clock: Workspace["clock"];
      tracking: Workspace["experiments"];
      workspace: Workspace;
    }>().toMatchTypeOf<PipelinesOptions<MlcycleEvents>>();
    expectTypeOf<Workspace["pipelines"]>().toMatchTypeOf<Pipelines>();
  });

  it("suggests the event map's names to event triggers and accepts any other", () => {
    expectTypeOf<"run.ended">().toMatchTypeOf<TriggerEventName<MlcycleEvents>>();
    expectTypeOf<"monitor.alert">().toMatchTypeOf<TriggerEventName<MlcycleEvents>>();
    expectTypeOf<Parameters<Workspace["pipelines"]["onEvent"]>[1]>().toEqualTypeOf<TriggerEventName<MlcycleEvents>>();
  });
});

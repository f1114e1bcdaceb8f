import { describe, expectTypeOf, it } from "vitest";
import type {
  BatchPredictionResult,
  Deployment,
  DeploymentSwappedEvent,
  EntityPrediction,
  Prediction,
  Workspace,
} from "../../src/index.js";

describe("ws.serving types", () => {
  it("types a deployment's inputs and outputs from its type parameters", async () => {
    const ws = {} as Workspace;
    const d = await ws.serving.deploy<number[][], number[]>("churn@champion");
    expectTypeOf(d).toEqualTypeOf<Deployment<number[][], number[]>>();
    expectTypeOf(d.predict).parameter(0).toEqualTypeOf<number[][]>();
    expectTypeOf(await d.predict([[1]])).toEqualTypeOf<Prediction<number[]>>();
    expectTypeOf((await d.predict([[1]])).outputs).toEqualTypeOf<number[]>();
    expectTypeOf(await d.predictEntities([{ id: 1 }])).toEqualTypeOf<EntityPrediction<number[]>>();
    expectTypeOf(await d.predictBatch([[1]])).toEqualTypeOf<BatchPredictionResult>();
    // @ts-expect-error: inputs of the wrong type
    await d.predict("x");
  });

  it("types a routine's functions and its deployment", async () => {
    const ws = {} as Workspace;
    const r = await ws.serving.deployRoutine<{ text: string }, { spam: boolean }>("spam", {
      models: { classify: "spam@champion" },
      preprocess: (x) => {
        expectTypeOf(x).toEqualTypeOf<{ text: string }>();
        return [[x.text.length]];
      },
      postprocess: (labels: number[]) => ({ spam: labels[0] === 1 }),
    });
    expectTypeOf((await r.predict({ text: "hi" })).outputs).toEqualTypeOf<{ spam: boolean }>();
  });

  it("types serving events on ws.events", () => {
    const ws = {} as Workspace;
    ws.events.on("deployment.swapped", (e) => expectTypeOf(e).toEqualTypeOf<DeploymentSwappedEvent>());
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { functionModel, type Prediction } from "../../src/index.js";
import { caught, registerScale, servingWorkspaces } from "./serving-fixtures.js";

describe.each(servingWorkspaces())("deployment observer on %s", (_name, open) => {
  it("is told of every answered and failed call before the caller, and never changes either", async () => {
    await using ws = await open();
    registerScale(ws);
    await ws.registry.register("price", {
      model: functionModel("scale", { factor: 2 }),
      signature: { inputs: z.array(z.array(z.number())).min(1) },
    });
    const answered: Prediction[] = [];
    const failed: unknown[] = [];
    const d = await ws.serving.deploy<number[][], number[]>("price@1", {
      variant: "a",
      observer: {
        answered: (p) => {
          answered.push(p);
          p.experiment = "seen";
        },
        failed: (e) => failed.push(e),
      },
    });
    const p = await d.predict([[1, 2]]);
    expect(p).toMatchObject({ outputs: [6], variant: "a", experiment: "seen" });
    expect(answered).toEqual([p]);
    const error = await caught(d.predict([["x"]] as never));
    expect(failed).toEqual([error]);
    const throwing = await ws.serving.deploy<number[][], number[]>("price@1", {
      name: "throwing",
      observer: {
        answered: () => {
          throw new Error("observer bug");
        },
      },
    });
    expect((await throwing.predict([[1]])).outputs).toEqual([2]);
    expect((await caught(ws.serving.deploy("price@1", { name: "bad", observer: { answered: 1 } as never }))).code).toBe(
      "VALIDATION",
    );
  });
});

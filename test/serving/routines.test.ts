import { describe, expect, it } from "vitest";
import { z } from "zod";
import { functionModel, type Workspace } from "../../src/index.js";
import { caught, next, registerScale, servingWorkspaces } from "./serving-fixtures.js";

/** `grid`: rows → rows, each value times k; counts its calls. */
function registerGrid(ws: Workspace): { calls: number } {
  const seen = { calls: 0 };
  ws.registry.registerFunction("grid", (s: { k: number }) => (rows: number[][]) => {
    seen.calls++;
    return rows.map((r) => r.map((x) => x * s.k));
  });
  return seen;
}

describe.each(servingWorkspaces())("composite routines on %s", (_name, open) => {
  it("runs pre-processing, several models and post-processing as one deployment, recording each version", async () => {
    await using ws = await open();
    registerScale(ws);
    const double = await ws.registry.register("double", { model: functionModel("scale", { factor: 2 }) });
    const triple1 = await ws.registry.register("triple", { model: functionModel("scale", { factor: 3 }) });
    const triple2 = await ws.registry.register("triple", { model: functionModel("scale", { factor: 30 }) });
    await ws.registry.setAlias("triple", "champion", 1);
    const r = await ws.serving.deployRoutine<{ values: number[] }, { total: number; sums: number[] }>(
      "combo",
      {
        models: { a: "double@1", b: { ref: "triple@champion", warmup: [[1]] } },
        preprocess: (x) => x.values.map((v) => [v]),
        run: async (rows, { predict, params }) => {
          const a = await predict<number[]>("a", rows);
          const b = await predict<number[]>("b", rows);
          return a.map((x, i) => x + b[i] + Number(params.offset ?? 0));
        },
        postprocess: (sums: number[]) => ({ total: sums.reduce((x, y) => x + y, 0), sums }),
        signature: {
          inputs: z.object({ values: z.array(z.number()).min(1) }),
          outputs: z.object({ total: z.number(), sums: z.array(z.number()) }),
        },
      },
      { pollIntervalMs: false },
    );
    const p = await r.predict({ values: [1, 2] });
    expect(p.outputs).toEqual({ total: 15, sums: [5, 10] });
    expect(p.models).toEqual([
      { model: "double", version: 1, versionId: double.id, step: "a" },
      { model: "triple", version: 1, versionId: triple1.id, step: "b" },
    ]);
    expect(p).toMatchObject({ model: "triple", version: 1 });
    expect((await r.predict({ values: [1] }, { params: { offset: 10 } })).outputs).toEqual({ total: 15, sums: [15] });
    expect(r.describe()).toMatchObject({
      name: "combo",
      ref: "routine:combo",
      flavor: "routine",
      model: "double",
      version: 1,
      models: [expect.objectContaining({ step: "a" }), expect.objectContaining({ step: "b", version: 1 })],
      signature: { inputs: expect.objectContaining({ type: "object" }) },
    });
    await r.flush();
    expect((await ws.serving.getPrediction(p.predictionId))?.models).toEqual(p.models);

    // Each model follows its own alias.
    const swapped = next(ws, "deployment.swapped");
    await ws.registry.setAlias("triple", "champion", 2);
    expect(await swapped).toMatchObject({ deployment: "combo", step: "b", model: "triple", from: 1, to: 2 });
    const q = await r.predict({ values: [1] });
    expect(q.outputs.sums).toEqual([32]);
    expect(q.models[1]).toEqual({ model: "triple", version: 2, versionId: triple2.id, step: "b" });

    const bad = await caught(r.predict({ values: [] }));
    expect(bad.code).toBe("VALIDATION");
    expect(bad.message).toContain("inputs of routine 'combo'");
  });

  it("without run, chains the models in order; with batching, one call per model per batch", async () => {
    await using ws = await open();
    const seen = registerGrid(ws);
    await ws.registry.register("g2", { model: functionModel("grid", { k: 2 }) });
    await ws.registry.register("g3", { model: functionModel("grid", { k: 3 }) });
    const chain = await ws.serving.deployRoutine<number[][], number[][]>(
      "chain",
      { models: { first: "g2@1", second: "g3@1" } },
      { batching: { maxBatchSize: 10, maxWaitMs: 10 } },
    );
    const answers = await Promise.all([chain.predict([[1]]), chain.predict([[2, 1]]), chain.predict([[3]])]);
    expect(answers.map((a) => a.outputs)).toEqual([[[6]], [[12, 6]], [[18]]]);
    expect(seen.calls).toBe(2);
    expect(answers[0].models.map((m) => m.step)).toEqual(["first", "second"]);
  });

  it("refuses a routine that answers without a model, unknown model names and bad specs", async () => {
    await using ws = await open();
    registerGrid(ws);
    await ws.registry.register("g2", { model: functionModel("grid", { k: 2 }) });
    const lazy = await ws.serving.deployRoutine("lazy", { models: { g: "g2@1" }, run: () => [[0]] });
    const none = await caught(lazy.predict([[1]]));
    expect(none.code).toBe("PRECONDITION");
    expect(lazy.health()).toMatchObject({ served: 0, failed: 1 });
    const typo = await ws.serving.deployRoutine("typo", {
      models: { g: "g2@1" },
      run: (rows, { predict }) => predict("h", rows),
    });
    expect((await caught(typo.predict([[1]]))).message).toContain("routine 'typo' has no model 'h' (it has g)");
    expect((await caught(ws.serving.deployRoutine("empty", { models: {} }))).code).toBe("VALIDATION");
    expect((await caught(ws.serving.deployRoutine("x", { models: { g: "g2@1" }, run: 3 } as never))).code).toBe(
      "VALIDATION",
    );
    // One model that cannot be found fails the deployment; the others it opened are closed again.
    const missing = await caught(ws.serving.deployRoutine("half", { models: { g: "g2@1", h: "nope@champion" } }));
    expect(missing.code).toBe("NOT_FOUND");
    expect(ws.serving.list().map((d) => d.name)).toEqual(["lazy", "typo"]);
  });
});

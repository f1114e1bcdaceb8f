import { describe, expect, it } from "vitest";
import { z } from "zod";
import { functionModel, isMlcycleError } from "../../src/index.js";
import { caught, listen, registerScale, servingWorkspaces } from "./serving-fixtures.js";

const Rows = z.array(z.array(z.number()).length(2)).min(1);

describe.each(servingWorkspaces())("ws.serving on %s", (_name, open) => {
  it("deploys an alias: loaded and ready when deploy returns, answers with ids, version and latency", async () => {
    await using ws = await open();
    registerScale(ws);
    const v1 = await ws.registry.register("price", {
      model: functionModel("scale", { factor: 2 }),
      signature: { inputs: Rows, outputs: z.array(z.number()) },
    });
    await ws.registry.setAlias("price", "champion", v1.version);
    const ready = listen(ws, "deployment.ready");
    const d = await ws.serving.deploy<number[][], number[]>("price@champion", { pollIntervalMs: false });
    expect(d.name).toBe("price@champion");
    expect(d.health()).toMatchObject({ ready: true, state: "ready", model: "price", version: 1, inFlight: 0 });
    expect(ready).toEqual([
      expect.objectContaining({ deployment: "price@champion", model: "price", version: 1, versionId: v1.id }),
    ]);
    const p = await d.predict([
      [1, 2],
      [3, 4],
    ]);
    expect(p.outputs).toEqual([6, 14]);
    expect(p).toMatchObject({ model: "price", version: 1, models: [{ model: "price", version: 1, versionId: v1.id }] });
    expect(p.predictionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(p.latencyMs).toBeGreaterThanOrEqual(0);
    const q = await d.predict([[1, 1]]);
    expect(q.predictionId).not.toBe(p.predictionId);
    expect(d.describe()).toMatchObject({
      name: "price@champion",
      ref: "price@champion",
      model: "price",
      version: 1,
      versionId: v1.id,
      flavor: "function",
      signature: { inputs: expect.objectContaining({ type: "array" }), outputs: expect.any(Object) },
    });
    expect(d.health()).toMatchObject({ served: 2, failed: 0 });
    expect(ws.serving.get("price@champion")).toBe(d);
    expect(ws.serving.list().map((x) => x.name)).toEqual(["price@champion"]);
  });

  it("refuses bad inputs and bad outputs with zod's issues; a failed call is counted, never logged", async () => {
    await using ws = await open();
    ws.registry.registerFunction(
      "echo-label",
      (s: { label: unknown }) => (rows: number[][]) => rows.map(() => s.label),
    );
    await ws.registry.register("churn", {
      model: functionModel("echo-label", { label: 1 }),
      signature: { inputs: Rows, outputs: z.array(z.number().int()) },
    });
    await ws.registry.register("churn", {
      model: functionModel("echo-label", { label: "yes" }),
      signature: { inputs: Rows, outputs: z.array(z.number().int()) },
    });
    const good = await ws.serving.deploy("churn@1");
    const bad = await ws.serving.deploy("churn@2");
    const input = await caught(good.predict([[1, "x"]] as never));
    expect(input.code).toBe("VALIDATION");
    expect(input.message).toContain("inputs of churn@1");
    expect(input.issues[0]).toMatchObject({ path: [0, 1], code: "invalid_type" });
    const output = await caught(bad.predict([[1, 2]]));
    expect(output.code).toBe("VALIDATION");
    expect(output.message).toContain("outputs of churn@2");
    expect(output.issues[0]).toMatchObject({ path: [0], code: "invalid_type" });
    expect(good.health()).toMatchObject({ served: 0, failed: 1 });
    expect(bad.health()).toMatchObject({ served: 0, failed: 1 });
    // With validateOutputs off the same version answers.
    const lax = await ws.serving.deploy("churn@2", { name: "lax", validateOutputs: false });
    expect((await lax.predict([[1, 2]])).outputs).toEqual(["yes"]);
    await Promise.all([good.flush(), bad.flush(), lax.flush()]);
    const { predictions } = await ws.serving.listPredictions();
    expect(predictions.map((p) => p.deployment)).toEqual(["lax"]);
  });

  it("names are unique among open deployments; a closed one frees its name", async () => {
    await using ws = await open();
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const [a, b] = await Promise.allSettled([ws.serving.deploy("m@1"), ws.serving.deploy("m@1")]);
    expect(a.status).toBe("fulfilled");
    expect(b.status === "rejected" && isMlcycleError(b.reason, "CONFLICT")).toBe(true);
    expect((b as PromiseRejectedResult).reason.message).toContain("'m@1' is already open");
    const other = await ws.serving.deploy("m@1", { name: "second" });
    expect(ws.serving.list().map((d) => d.name)).toEqual(["m@1", "second"]);
    await other.close();
    expect(ws.serving.list().map((d) => d.name)).toEqual(["m@1"]);
    expect((await caught(() => ws.serving.get("second"))).code).toBe("NOT_FOUND");
    await ws.serving.deploy("m@1", { name: "second" });
  });

  it("bad references and options are clear errors before anything is loaded", async () => {
    await using ws = await open();
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    expect((await caught(ws.serving.deploy("m@nope"))).code).toBe("NOT_FOUND");
    expect((await caught(ws.serving.deploy("nope@1"))).message).toContain("'nope'");
    expect((await caught(ws.serving.deploy(""))).code).toBe("VALIDATION");
    const typo = await caught(ws.serving.deploy("m@1", { batching: { maxBatchsize: 3 } } as never));
    expect(typo.code).toBe("VALIDATION");
    expect(typo.message).toContain("maxBatchsize");
    const rate = await caught(ws.serving.deploy("m@1", { log: { sampleRate: 2 } }));
    expect(rate.issues[0].path).toEqual(["log", "sampleRate"]);
    expect((await caught(ws.serving.deploy("m@1", { name: "bad|name" }))).code).toBe("VALIDATION");
    // A warmup the model refuses fails the deployment; nothing stays open under its name.
    const warm = await caught(ws.serving.deploy("m@1", { warmup: "not rows" }));
    expect(warm.code).toBe("INTERNAL");
    expect(warm.message).toContain("warming up m@1 failed: rows.map is not a function");
    expect(ws.serving.list()).toEqual([]);
  });

  it("close() drains calls in flight, refuses new ones, closes the model; ws.close() closes serving first", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let closed = 0;
    await using ws = await open();
    ws.registry.registerFunction("slow", () => ({
      predict: async (rows: number[][]) => {
        await gate;
        return rows.map(() => 7);
      },
      close: () => {
        closed++;
      },
    }));
    await ws.registry.register("slow", { model: functionModel("slow", {}) });
    const d = await ws.serving.deploy("slow@1");
    const inFlight = d.predict([[1]]);
    await new Promise((r) => setTimeout(r, 5));
    expect(d.health().inFlight).toBe(1);
    const closing = d.close();
    expect(d.health()).toMatchObject({ ready: false, state: "closing" });
    const refused = await caught(d.predict([[1]]));
    expect(refused.code).toBe("UNAVAILABLE");
    expect(refused.message).toContain("deployment 'slow@1' is closed");
    expect(closed).toBe(0);
    release();
    expect((await inFlight).outputs).toEqual([7]);
    await closing;
    expect(closed).toBe(1);
    expect(d.health().state).toBe("closed");

    const again = await ws.serving.deploy("slow@1");
    const closedEvents = listen(ws, "deployment.closed");
    await again.predict([[2]]);
    await ws.close();
    expect(closedEvents).toEqual([expect.objectContaining({ deployment: "slow@1", served: 1, failed: 0 })]);
    expect(closed).toBe(2);
    expect((await caught(() => ws.serving.deploy("slow@1"))).code).toBe("UNAVAILABLE");
  });
});

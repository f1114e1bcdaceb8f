import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  functionModel,
  MemoryPredictionLogStore,
  MlcycleError,
  manualClock,
  type PredictionRecord,
  seededRandom,
} from "../../src/index.js";
import { caught, listen, next, registerScale, servingWorkspaces } from "./serving-fixtures.js";

const Rows = z.array(z.array(z.number())).min(1);

/** The memory prediction log, counting the rows of each write. */
class CountingStore extends MemoryPredictionLogStore {
  readonly writes: number[] = [];
  override async putPredictions(records: readonly PredictionRecord[]): Promise<void> {
    this.writes.push(records.length);
    return super.putPredictions(records);
  }
}

/** The memory prediction log behind a switch that makes writes fail, as a database that is down. */
class OutageStore extends MemoryPredictionLogStore {
  down = true;
  override async putPredictions(records: readonly PredictionRecord[]): Promise<void> {
    if (this.down) throw new MlcycleError("UNAVAILABLE", "the log database is down");
    return super.putPredictions(records);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(servingWorkspaces())("the prediction log on %s", (_name, open) => {
  it("logs every answered call, written in batches of flushSize; a failed call is counted, not logged", async () => {
    const store = new CountingStore();
    await using ws = await open({ predictions: store });
    registerScale(ws);
    const v = await ws.registry.register("m", {
      model: functionModel("scale", { factor: 3 }),
      signature: { inputs: Rows },
    });
    const d = await ws.serving.deploy("m@1", { name: "m", log: { flushSize: 10, flushIntervalMs: 60_000 } });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await d.predict([[i, 1]])).predictionId);
    expect((await caught(d.predict([["bad"]] as never))).code).toBe("VALIDATION");
    await sleep(1);
    expect(store.writes).toEqual([10, 10]);
    expect(d.health()).toMatchObject({ logBacklog: 5, served: 25, failed: 1 });
    await d.flush();
    expect(store.writes).toEqual([10, 10, 5]);
    const { predictions } = await ws.serving.listPredictions({ deployment: "m" });
    expect(predictions.map((p) => p.id).sort()).toEqual([...ids].sort());
    const first = predictions.find((p) => p.id === ids[0]);
    expect(first).toMatchObject({
      deployment: "m",
      model: "m",
      version: 1,
      versionId: v.id,
      rows: 1,
      inputs: [[0, 1]],
      outputs: [3],
      payload: "full",
      at: expect.any(Number),
      latencyMs: expect.any(Number),
    });
    expect(first?.models).toBeUndefined();
    expect(d.health().logBacklog).toBe(0);
  });

  it("samples payloads by a seeded choice: every call still gets its row", async () => {
    await using ws = await open();
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy("m@1", { log: { sampleRate: 0.25, sampleSeed: 42 } });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await d.predict([[i]])).predictionId);
    await d.flush();
    const random = seededRandom(42);
    const expected = ids.map(() => (random() < 0.25 ? "full" : "sampled_out"));
    const logged = new Map((await ws.serving.listPredictions()).predictions.map((p) => [p.id, p]));
    expect(ids.map((id) => logged.get(id)?.payload)).toEqual(expected);
    const kept = expected.filter((e) => e === "full").length;
    expect(kept).toBeGreaterThan(20);
    expect(kept).toBeLessThan(80);
    const skipped = logged.get(ids[expected.indexOf("sampled_out")]);
    expect(skipped).not.toHaveProperty("inputs");
    expect(skipped).toMatchObject({ rows: 1, model: "m", version: 1 });
  });

  it("drops a payload over the size cap (the row stays, marked truncated); typed arrays are kept as arrays", async () => {
    await using ws = await open();
    ws.registry.registerFunction("typed", () => (rows: number[][]) => Float32Array.from(rows.map((r) => r[0] / 2)));
    await ws.registry.register("t", { model: functionModel("typed", {}) });
    const d = await ws.serving.deploy("t@1", { log: { maxPayloadBytes: 200 } });
    const small = await d.predict([[1], [3]]);
    const big = await d.predict(Array.from({ length: 100 }, (_, i) => [i]));
    await d.flush();
    expect(await ws.serving.getPrediction(small.predictionId)).toMatchObject({
      payload: "full",
      inputs: [[1], [3]],
      outputs: [0.5, 1.5],
    });
    const truncated = await ws.serving.getPrediction(big.predictionId);
    expect(truncated).toMatchObject({ payload: "truncated", rows: 100 });
    expect(truncated).not.toHaveProperty("outputs");
  });

  it("keeps payloads JSON can hold: bigints as numbers, unpaired surrogates replaced, typed arrays as arrays", async () => {
    await using ws = await open();
    ws.registry.registerFunction("odd", () => (rows: number[][]) => ({
      ids: BigInt64Array.from(rows.map((r) => BigInt(r[0]))),
      big: 2n ** 70n,
      text: "broken \uD800 pair",
      scores: rows.map((r) => Float64Array.from([r[0], Number.NaN])),
    }));
    await ws.registry.register("odd", { model: functionModel("odd", {}) });
    const d = await ws.serving.deploy("odd@1");
    const p = await d.predict([[7]]);
    await d.flush();
    expect((await ws.serving.getPrediction(p.predictionId))?.outputs).toEqual({
      ids: [7],
      big: (2n ** 70n).toString(),
      text: "broken \uFFFD pair",
      scores: [[7, null]],
    });
  });

  it("keeps rows the store could not write (bounded), retries them, and reports it in health()", async () => {
    const store = new OutageStore();
    await using ws = await open({ predictions: store });
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy("m@1", { log: { flushSize: 5, flushIntervalMs: 20, maxBacklog: 8 } });
    const failed = next(ws, "deployment.log_failed");
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await d.predict([[i]])).predictionId);
    expect(await failed).toMatchObject({ deployment: "m@1", code: "UNAVAILABLE", error: "the log database is down" });
    expect(d.health().lastError).toBe("the log database is down");
    expect(d.health().logBacklog).toBeLessThanOrEqual(8);
    const flushed = await caught(d.flush());
    expect(flushed.code).toBe("UNAVAILABLE");
    expect(d.health().logBacklog).toBe(8);
    // Every call was answered; the newest 8 rows are kept, the oldest dropped beyond the bound.
    store.down = false;
    const events = listen(ws, "deployment.log_failed");
    await sleep(60);
    expect(d.health().logBacklog).toBe(0);
    const { predictions } = await ws.serving.listPredictions();
    expect(predictions.map((p) => p.id).sort()).toEqual(ids.slice(4).sort());
    expect(events).toEqual([]);
  });

  it("removes the deployment's rows older than retentionMs at flush", async () => {
    const clock = manualClock(1_000_000);
    await using ws = await open({ clock });
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const kept = await ws.serving.deploy("m@1", { name: "kept" });
    const d = await ws.serving.deploy("m@1", { name: "short", log: { retentionMs: 60_000 } });
    for (let i = 0; i < 3; i++) await d.predict([[i]]);
    await kept.predict([[0]]);
    clock.advance(30_000);
    const recent = [(await d.predict([[7]])).predictionId, (await d.predict([[8]])).predictionId];
    await Promise.all([d.flush(), kept.flush()]);
    expect((await ws.serving.listPredictions({ deployment: "short" })).predictions).toHaveLength(5);
    clock.advance(40_000);
    await d.flush();
    const left = (await ws.serving.listPredictions({ deployment: "short" })).predictions.map((p) => p.id);
    expect(left.sort()).toEqual(recent.sort());
    expect((await ws.serving.listPredictions({ deployment: "kept" })).predictions).toHaveLength(1);
  });

  it("feedback reaches a prediction still in the buffer; unknown ids are NOT_FOUND", async () => {
    await using ws = await open();
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy("m@1", { log: { flushSize: 1000, flushIntervalMs: 60_000 } });
    const p = await d.predict([[1]]);
    await d.feedback(p.predictionId, { label: 1 });
    await ws.serving.feedback(p.predictionId, { outcome: 12.5 });
    expect((await ws.serving.getPrediction(p.predictionId))?.feedback).toMatchObject({
      predictionId: p.predictionId,
      label: 1,
      outcome: 12.5,
    });
    expect((await ws.serving.listPredictions({ withFeedback: true })).predictions).toHaveLength(1);
    const unknown = await caught(d.feedback("01ARZ3NDEKTSV4RRFFQ69G5FAV", { label: 0 }));
    expect(unknown.code).toBe("NOT_FOUND");
    expect(unknown.message).toContain("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect((await caught(d.feedback(p.predictionId, {}))).code).toBe("VALIDATION");
    expect((await caught(d.feedback(p.predictionId, { label: 1, score: 2 } as never))).message).toContain("score");
  });

  it("with the log off, calls still get ids and nothing is written", async () => {
    const store = new CountingStore();
    await using ws = await open({ predictions: store });
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy("m@1", { log: { enabled: false } });
    const p = await d.predict([[1]]);
    expect(p.predictionId).toHaveLength(26);
    await d.flush();
    expect(store.writes).toEqual([]);
    expect((await caught(d.feedback(p.predictionId, { label: 1 }))).code).toBe("NOT_FOUND");
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { onnxFlavor } from "../../src/adapters/onnx/index.js";
import { functionModel, lineageIds, sha256 } from "../../src/index.js";
import { fixturePath } from "../helpers.js";
import { caught, listen, registerScale, servingWorkspaces } from "./serving-fixtures.js";

const iris = JSON.parse(readFileSync(fixturePath("models", "iris-logreg.expected.json"), "utf8")) as {
  test_rows: number[][];
  expected_proba: number[][];
  expected_label: number[];
};

describe.each(servingWorkspaces())("batch prediction on %s", (_name, open) => {
  it("predicts over a generator of many rows one chunk at a time (never more than a chunk read ahead)", async () => {
    await using ws = await open();
    const seen = registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy<number[][], number[]>("m@1");
    let produced = 0;
    let received = 0;
    let ahead = 0;
    function* rows() {
      for (let i = 0; i < 25_000; i++) {
        produced++;
        ahead = Math.max(ahead, produced - received);
        yield [i, 1];
      }
    }
    const chunks: number[] = [];
    const firsts: number[] = [];
    const progress: Array<{ chunks: number; rows: number }> = [];
    const r = await d.predictBatch(rows(), {
      chunkSize: 1000,
      onChunk: (outputs, info) => {
        received += info.rows;
        chunks.push(info.chunk);
        firsts.push(outputs[0]);
      },
      onProgress: (p) => progress.push(p),
    });
    expect(r).toEqual({ rows: 25_000, chunks: 25, model: "m", version: 1 });
    expect(chunks).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(firsts).toEqual(Array.from({ length: 25 }, (_, i) => i * 1000 + 1));
    expect(ahead).toBeLessThanOrEqual(1000);
    expect(seen.calls).toEqual(Array.from({ length: 25 }, () => 1000));
    expect(progress[24]).toEqual({ chunks: 25, rows: 25_000 });
  });

  it("streams the results into a content-addressed JSON lines artifact, recorded in lineage", async () => {
    await using ws = await open();
    ws.registry.registerFlavor(onnxFlavor());
    await ws.registry.register("iris", { model: fixturePath("models", "iris-logreg.onnx"), flavor: "onnx" });
    const d = await ws.serving.deploy("iris@1");
    const completed = listen(ws, "deployment.batch.completed");
    async function* rows() {
      // The fixture's rows, 100 times over, from an async source.
      for (let k = 0; k < 100; k++) for (const row of iris.test_rows) yield row;
    }
    const total = iris.test_rows.length * 100;
    const r = await d.predictBatch(rows(), { chunkSize: 256 });
    expect(r).toMatchObject({ rows: total, chunks: Math.ceil(total / 256), model: "iris", version: 1 });
    const bytes = await ws.artifacts.get(r.digest as string);
    expect(sha256(bytes)).toBe(r.digest);
    const lines = new TextDecoder().decode(bytes).trimEnd().split("\n");
    expect(lines).toHaveLength(total);
    for (let i = 0; i < total; i += 97) {
      const out = JSON.parse(lines[i]) as { label: number; probabilities: number[] };
      const j = i % iris.test_rows.length;
      expect(out.label).toBe(iris.expected_label[j]);
      for (let c = 0; c < 3; c++) expect(Math.abs(out.probabilities[c] - iris.expected_proba[j][c])).toBeLessThan(1e-5);
    }
    expect(completed).toEqual([expect.objectContaining({ deployment: "iris@1", rows: total, digest: r.digest })]);
    // Lineage: model version → batch prediction → predictions.
    const predictions = await ws.lineage.get(r.lineageNodeId as string);
    expect(predictions).toMatchObject({
      type: "predictions",
      digest: r.digest,
      externalId: lineageIds.predictions(r.digest as string),
    });
    const up = await ws.lineage.upstream(predictions.id, { maxHops: 2 });
    const byHops = up.nodes.map((n) => [n.hops, n.type, n.externalId ?? ""]);
    expect(byHops).toContainEqual([1, "batch_prediction", expect.stringMatching(/^batch_prediction:/)]);
    expect(byHops).toContainEqual([2, "model_version", lineageIds.modelVersion("iris", 1)]);
    // The same predictions give the same artifact.
    const again = await d.predictBatch(rows(), { chunkSize: 1000 });
    expect(again.digest).toBe(r.digest);
  });

  it("stops between chunks when aborted or closed; refuses rows that are not iterable", async () => {
    await using ws = await open();
    registerScale(ws);
    await ws.registry.register("m", { model: functionModel("scale", { factor: 1 }) });
    const d = await ws.serving.deploy("m@1");
    const rows = Array.from({ length: 50 }, (_, i) => [i]);
    const controller = new AbortController();
    const aborted = await caught(
      d.predictBatch(rows, {
        chunkSize: 10,
        onChunk: () => undefined,
        onProgress: (p) => p.chunks === 2 && controller.abort(),
        signal: controller.signal,
      }),
    );
    expect(aborted.code).toBe("CANCELLED");
    expect((await caught(d.predictBatch(5 as never))).code).toBe("VALIDATION");
    expect((await caught(d.predictBatch(rows, { chunkSize: 0 }))).issues[0].path).toEqual(["chunkSize"]);
    let chunks = 0;
    const running = d.predictBatch(rows, {
      chunkSize: 10,
      onChunk: async () => {
        chunks++;
        if (chunks === 1) void d.close();
      },
    });
    const closed = await caught(running);
    expect(closed.code).toBe("UNAVAILABLE");
    expect(chunks).toBe(1);
  });
});

import type { Clock } from "../core/clock.js";
import { invalid, MlcycleError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { newId } from "../core/ids.js";
import { lineageIds } from "../lineage/external-ids.js";
import type { ArtifactStore } from "../stores/artifact-store.js";
import type { PredictionModelRef } from "../stores/prediction-log-store.js";
import type { EngineLease } from "./deployment-engine.js";
import type { BatchPredictionOptions, BatchPredictionResult } from "./deployment-types.js";
import { jsonText } from "./json-payload.js";
import { outputRow, outputRowCount } from "./row-batches.js";
import type { ServingEventMap, ServingLineage } from "./serving-options.js";

/** What a batch prediction runs on. */
export interface BatchPredictionContext {
  deployment: string;
  /** The version(s) the whole run holds: a swap during the run does not change its answers. */
  lease: EngineLease;
  artifacts: ArtifactStore;
  lineage: ServingLineage;
  events: EventBus<ServingEventMap>;
  clock: Clock;
  /** Throws the closed error once the deployment is closing: the run stops between chunks. */
  checkOpen(): void;
}

/** Rows in chunks of `size`: one chunk is held at a time, pulled only when the previous one was handed on. */
async function* chunksOf(rows: Iterable<unknown> | AsyncIterable<unknown>, size: number): AsyncGenerator<unknown[]> {
  let chunk: unknown[] = [];
  for await (const row of rows as AsyncIterable<unknown>) {
    chunk.push(row);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function checkRows(rows: unknown): void {
  const ok =
    typeof rows === "object" &&
    rows !== null &&
    (typeof (rows as Iterable<unknown>)[Symbol.iterator] === "function" ||
      typeof (rows as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function");
  if (!ok) throw invalid(["rows"], "must be an array, an iterable or an async iterable of rows");
}

function cancelled(): MlcycleError {
  return new MlcycleError("CANCELLED", "the batch prediction was aborted");
}

/**
 * Predicts over many rows in chunks of `chunkSize` with bounded memory: the source is read one
 * chunk at a time, and each chunk's outputs go to `onChunk`, or are streamed as JSON lines (one
 * output row per line) into a content-addressed artifact recorded in lineage — the model version(s)
 * → a `batch_prediction` execution → a `predictions` artifact.
 */
export async function runBatchPrediction<O>(
  ctx: BatchPredictionContext,
  rows: Iterable<unknown> | AsyncIterable<unknown>,
  options: BatchPredictionOptions<O>,
): Promise<BatchPredictionResult> {
  checkRows(rows);
  const { lease, deployment, events, clock } = ctx;
  const chunkSize = options.chunkSize ?? 1000;
  const signal = options.signal;
  let chunks = 0;
  let total = 0;

  const predictChunk = async (chunk: unknown[]): Promise<unknown> => {
    if (signal?.aborted) throw cancelled();
    ctx.checkOpen();
    const inputs = options.toInputs ? options.toInputs(chunk) : chunk;
    const { outputs } = await lease.run(lease.validateInputs(inputs), signal ? { signal } : {});
    lease.validateOutputs(outputs);
    return outputs;
  };
  const progressed = (rowsInChunk: number) => {
    chunks++;
    total += rowsInChunk;
    options.onProgress?.({ chunks, rows: total });
    events.emit("deployment.batch.progress", { deployment, chunks, rows: total, at: clock.now() });
  };

  let digest: string | undefined;
  if (options.onChunk) {
    for await (const chunk of chunksOf(rows, chunkSize)) {
      const outputs = await predictChunk(chunk);
      await options.onChunk(outputs as O, { chunk: chunks, rows: chunk.length });
      progressed(chunk.length);
    }
  } else {
    const encoder = new TextEncoder();
    const primary = lease.primary;
    async function* lines(): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunksOf(rows, chunkSize)) {
        const outputs = await predictChunk(chunk);
        const n = outputRowCount(outputs);
        if (n !== chunk.length)
          throw new MlcycleError(
            "INTERNAL",
            `${primary.model}@${primary.version} returned ${n ?? "no"} output rows for ${chunk.length} input rows: ` +
              "its outputs cannot be stored one row per line (pass onChunk to receive them as they are)",
          );
        let text = "";
        for (let i = 0; i < n; i++) text += `${jsonText(outputRow(outputs, i)) ?? "null"}\n`;
        yield encoder.encode(text);
        progressed(chunk.length);
      }
    }
    digest = (await ctx.artifacts.put(lines())).digest;
  }
  if (signal?.aborted) throw cancelled();

  const primary = lease.primary;
  const result: BatchPredictionResult = { rows: total, chunks, model: primary.model, version: primary.version };
  if (digest !== undefined) {
    result.digest = digest;
    result.lineageNodeId = await recordLineage(ctx, digest, total, chunks);
  }
  events.emit("deployment.batch.completed", {
    deployment,
    model: primary.model,
    version: primary.version,
    rows: total,
    chunks,
    ...(digest !== undefined ? { digest } : {}),
    at: clock.now(),
  });
  return result;
}

async function modelNode(lineage: ServingLineage, ref: PredictionModelRef): Promise<string> {
  const externalId = lineageIds.modelVersion(ref.model, ref.version);
  const found = await lineage.find({ kind: "artifact", externalId });
  if (found) return found.id;
  // A version loaded from elsewhere than this workspace's registry: recorded here so the graph is whole.
  const node = await lineage.recordArtifact({
    type: "model_version",
    name: `${ref.model}/${ref.version}`,
    externalId,
    properties: { model: ref.model, version: ref.version, versionId: ref.versionId },
  });
  return node.id;
}

async function recordLineage(ctx: BatchPredictionContext, digest: string, rows: number, chunks: number) {
  const { lineage, lease, deployment, clock } = ctx;
  const primary = lease.primary;
  const models = [...new Set(await Promise.all(lease.versions.map((v) => modelNode(lineage, v))))];
  const predictions = await lineage.recordArtifact({
    type: "predictions",
    name: `${deployment}/${digest.slice(0, 12)}`,
    externalId: lineageIds.predictions(digest),
    digest,
    properties: { deployment, model: primary.model, version: primary.version, rows, chunks, format: "jsonl" },
  });
  await lineage.recordExecution({
    type: "batch_prediction",
    name: deployment,
    externalId: lineageIds.batchPrediction(newId()),
    properties: {
      deployment,
      models: lease.versions.map((v) => `${v.model}@${v.version}`),
      rows,
      chunks,
      at: clock.now(),
    },
    inputs: models.map((artifact) => ({ artifact, slot: "model" })),
    outputs: [{ artifact: predictions.id, slot: "predictions" }],
  });
  return predictions.id;
}

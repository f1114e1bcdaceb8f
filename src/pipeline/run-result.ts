import type { PipelineRunRecord, PipelineStore, StepRunRecord } from "../stores/pipeline-store.js";
import type { AnyPipeline } from "./pipeline.js";
import type { PipelineRunResult } from "./pipeline-run-types.js";
import type { StepOutputs } from "./step-output.js";

/** A run's step records by step name, and the outputs of its completed steps. */
export interface RunSteps {
  steps: Record<string, StepRunRecord>;
  outputs: Record<string, unknown>;
}

/**
 * The steps of a run that has just ended in this process: outputs still in memory are taken as
 * they are, the others read back (an unreadable output is left `undefined`).
 */
export async function readRunSteps(
  store: PipelineStore,
  stepOutputs: StepOutputs,
  runId: string,
  values: ReadonlyMap<string, unknown>,
): Promise<RunSteps> {
  const stepList = await store.listSteps(runId);
  const steps: Record<string, StepRunRecord> = {};
  for (const s of stepList) steps[s.step] = s;
  const outputs: Record<string, unknown> = {};
  for (const s of stepList) {
    if (!(s.status === "succeeded" || s.status === "cached")) continue;
    if (values.has(s.step)) outputs[s.step] = values.get(s.step);
    else if (s.output) outputs[s.step] = await stepOutputs.read(s.output).catch(() => undefined);
  }
  return { steps, outputs };
}

/** The outcome of a run that has ended, read from the store (what `resume` of a succeeded run gives). */
export async function storedRunResult(
  store: PipelineStore,
  stepOutputs: StepOutputs,
  record: PipelineRunRecord,
  p: AnyPipeline,
): Promise<PipelineRunResult> {
  const stepList = await store.listSteps(record.id);
  const steps: Record<string, StepRunRecord> = {};
  const outputs: Record<string, unknown> = {};
  for (const s of stepList) {
    steps[s.step] = s;
    if ((s.status === "succeeded" || s.status === "cached") && s.output) {
      const def = p.nodes.find((n) => n.name === s.step)?.step;
      outputs[s.step] = await stepOutputs.read(s.output, def).catch(() => undefined);
    }
  }
  const result: PipelineRunResult = {
    id: record.id,
    pipeline: record.pipeline,
    version: record.version,
    status: record.status,
    steps,
    outputs,
    durationMs: (record.finishedAt ?? record.updatedAt) - record.createdAt,
  };
  if (record.error) result.error = record.error;
  return result;
}

import type { StepTask } from "../../stores/executor.js";

/** The name of every job the executor adds: one job is one step task. */
export const STEP_JOB = "step";

/** A step task as the payload of its job: exactly its four members. */
export function toJobData(task: StepTask): StepTask {
  return { runId: task.runId, step: task.step, pipeline: task.pipeline, version: task.version };
}

/** The step task a job carries, or undefined when its payload is not one (a job someone else added). */
export function fromJobData(data: unknown): StepTask | undefined {
  const d = data as Partial<Record<keyof StepTask, unknown>> | null;
  if (d === null || typeof d !== "object") return undefined;
  const members = [d.runId, d.step, d.pipeline, d.version];
  if (!members.every((m) => typeof m === "string" && m.length > 0 && m.length <= 1000)) return undefined;
  return toJobData(d as StepTask);
}

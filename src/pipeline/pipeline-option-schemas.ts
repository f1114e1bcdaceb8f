import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";
import type { AnyPipeline } from "./pipeline.js";

const abortSignal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: "must be an AbortSignal" });
const fn = z.custom<(...args: any[]) => unknown>((v) => typeof v === "function", { message: "must be a function" });

/** Schema of the run options every way of starting a run shares (`cache`, `lineage`, `tracking`). */
const storedRunOptions = z.strictObject({
  cache: z.boolean().optional(),
  lineage: z.boolean().optional(),
  tracking: z.boolean().optional(),
});

/** Schema of {@link RunOptions} (`runId` is checked as a name where the run is made). */
export const runOptionsSchema = storedRunOptions.extend({
  runId: z.string().optional(),
  trigger: z.string().max(500).optional(),
  signal: abortSignal.optional(),
});

/** Schema of the options of `resume`. */
export const resumeOptionsSchema = z.strictObject({ signal: abortSignal.optional() });

/** Schema of the options every trigger shares. */
export const triggerOptionsSchema = z.strictObject({
  overlap: z.enum(["skip", "queue"]).optional(),
  maxQueue: z.number().int().min(0).max(100_000).optional(),
});

/** Schema of `schedule`'s options. */
export const scheduleOptionsSchema = triggerOptionsSchema.extend({
  cron: z.string().min(1),
  params: z.unknown().optional(),
  timezone: z.string().min(1).optional(),
  run: storedRunOptions.optional(),
});

/** Schema of `onEvent`'s options. */
export const eventTriggerOptionsSchema = triggerOptionsSchema.extend({
  params: fn.optional(),
  filter: fn.optional(),
  run: storedRunOptions.optional(),
});

/** Longest lease a driver may hold (one day): renewed every third of it by a timer. */
export const MAX_LEASE_MS = 86_400_000;

/** Schema of {@link PipelineSettings}. */
export const pipelineSettingsSchema = z.strictObject({
  leaseMs: z.number().int().min(300).max(MAX_LEASE_MS).optional(),
});

/** Parses options with a schema; `VALIDATION` naming each wrong option (`what` says whose). */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw fromZodError(r.error, what);
  return r.data;
}

/** Checks that an argument is a pipeline definition (made by `pipeline()`); `VALIDATION` naming it. */
export function checkPipeline(value: unknown, what = "pipeline"): asserts value is AnyPipeline {
  const p = value as Partial<AnyPipeline> | null;
  if (
    p === null ||
    typeof p !== "object" ||
    p.kind !== "mlcycle.pipeline" ||
    typeof p.name !== "string" ||
    typeof p.version !== "string" ||
    !Array.isArray(p.nodes) ||
    typeof p.getNode !== "function" ||
    typeof p.graph !== "function"
  )
    throw invalid([what], "must be a pipeline made with pipeline(name)");
}

/** Checks a run id argument: a non-empty string. */
export function checkRunId(value: unknown, what = "runId"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 64)
    throw invalid([what], `must be a run id (a non-empty string of at most 64 characters), got ${describe(value)}`);
  return value;
}

/** Checks a step name argument: a non-empty string. */
export function checkStepName(value: unknown, what = "step"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 500)
    throw invalid([what], `must be a step name (a non-empty string), got ${describe(value)}`);
  return value;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

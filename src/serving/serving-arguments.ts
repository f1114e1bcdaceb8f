import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import { type ModelRef, parseModelRef } from "../registry/model-ref.js";
import type {
  BatchPredictionOptions,
  DeploymentObserver,
  DeployOptions,
  FeatureServingOptions,
  PredictOptions,
} from "./deployment-types.js";
import type { MicroBatchSettings } from "./micro-batcher.js";
import type { PredictionLogSettings } from "./prediction-logger.js";
import type { RoutineDeployOptions, RoutineModel, RoutineSpec } from "./routine.js";

/**
 * The schemas the options of `ws.serving` are checked with at its boundary: a wrong type or an
 * out-of-range number is `VALIDATION` naming the option, and an unknown key (a typo such as
 * `maxBatchsize`) is refused too.
 */

const fn = z.custom<(...args: any[]) => unknown>((v) => typeof v === "function", { message: "must be a function" });
const object = z.custom<object>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
  message: "must be an object",
});
const signal = z.custom<AbortSignal>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as AbortSignal).aborted === "boolean" &&
    typeof (v as AbortSignal).addEventListener === "function",
  { message: "must be an AbortSignal" },
);
const ms = (max: number) => z.number().int().min(0).max(max);

const batchingSchema = z.strictObject({
  maxBatchSize: z.number().int().min(1).max(1_000_000).optional(),
  maxWaitMs: ms(60_000).optional(),
});

const logSchema = z.strictObject({
  enabled: z.boolean().optional(),
  sampleRate: z.number().min(0).max(1).optional(),
  sampleSeed: z.number().int().optional(),
  maxPayloadBytes: z.number().int().min(0).max(1_073_741_824).optional(),
  flushSize: z.number().int().min(1).max(100_000).optional(),
  flushIntervalMs: z.number().int().min(1).max(3_600_000).optional(),
  retentionMs: z.number().int().min(1).optional(),
  maxBacklog: z.number().int().min(1).max(10_000_000).optional(),
});

const featuresSchema = z.strictObject({
  service: z.string().min(1).optional(),
  toInputs: fn.optional(),
});

const routineOptionsShape = {
  batching: z.union([batchingSchema, z.literal(false)]).optional(),
  pollIntervalMs: z.union([z.number().int().min(1).max(86_400_000), z.literal(false)]).optional(),
  validateOutputs: z.boolean().optional(),
  log: logSchema.optional(),
  features: featuresSchema.optional(),
  variant: z.string().optional(),
  // Kept as given (a class instance's methods live on its prototype, which a parsed copy would lose).
  observer: z
    .custom<DeploymentObserver>(
      (v) =>
        typeof v === "object" &&
        v !== null &&
        ["answered", "failed"].every((k) => {
          const f = (v as Record<string, unknown>)[k];
          return f === undefined || typeof f === "function";
        }),
      { message: "must be an object with answered() and/or failed() functions" },
    )
    .optional(),
};

const deployOptionsSchema = z.strictObject({
  ...routineOptionsShape,
  name: z.string().optional(),
  warmup: z.unknown().optional(),
  load: object.optional(),
});

const routineDeployOptionsSchema = z.strictObject(routineOptionsShape);

const predictOptionsSchema = z.strictObject({
  params: object.optional(),
  signal: signal.optional(),
  unit: z.string().optional(),
});

const batchPredictionOptionsSchema = z.strictObject({
  chunkSize: z.number().int().min(1).max(1_000_000).optional(),
  onChunk: fn.optional(),
  onProgress: fn.optional(),
  toInputs: fn.optional(),
  signal: signal.optional(),
});

const routineModelSchema = z.strictObject({
  ref: z.union([z.string(), object]),
  warmup: z.unknown().optional(),
  load: object.optional(),
});

const routineSpecSchema = z.strictObject({
  models: object,
  preprocess: fn.optional(),
  run: fn.optional(),
  postprocess: fn.optional(),
  signature: object.optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid([what], "must be an object");
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, what);
  return r.data;
}

/** The settings of a deployment, defaults applied. */
export interface DeploySettings {
  batching: MicroBatchSettings | undefined;
  pollIntervalMs: number | false;
  validateOutputs: boolean;
  log: PredictionLogSettings;
  features: FeatureServingOptions | undefined;
  variant: string | undefined;
  observer: DeploymentObserver | undefined;
}

/** Checks the options of `deploy` / `deployRoutine` and applies the defaults. */
export function deploySettings(options: DeployOptions | RoutineDeployOptions, routine = false): DeploySettings {
  const o = parse<DeployOptions>(
    routine ? routineDeployOptionsSchema : deployOptionsSchema,
    options,
    routine ? "deployRoutine options" : "deploy options",
  );
  if (o.variant !== undefined) checkName("variant", o.variant);
  if (o.features?.service !== undefined) checkName("features.service", o.features.service);
  const log = o.log ?? {};
  return {
    batching: o.batching
      ? { maxBatchSize: o.batching.maxBatchSize ?? 64, maxWaitMs: o.batching.maxWaitMs ?? 5 }
      : undefined,
    pollIntervalMs: o.pollIntervalMs ?? 5000,
    validateOutputs: o.validateOutputs ?? true,
    log: {
      enabled: log.enabled ?? true,
      sampleRate: log.sampleRate ?? 1,
      ...(log.sampleSeed !== undefined ? { sampleSeed: log.sampleSeed } : {}),
      maxPayloadBytes: log.maxPayloadBytes ?? 65_536,
      flushSize: log.flushSize ?? 500,
      flushIntervalMs: log.flushIntervalMs ?? 1000,
      ...(log.retentionMs !== undefined ? { retentionMs: log.retentionMs } : {}),
      maxBacklog: log.maxBacklog ?? 100_000,
    },
    features: o.features,
    variant: o.variant,
    observer: o.observer,
  };
}

/** The default name of a deployment: the reference as written (`churn@champion`, `models:/iris/3`). */
export function refName(ref: ModelRef): string {
  const p = parseModelRef(ref);
  if (typeof ref === "string") return ref;
  switch (p.kind) {
    case "alias":
      return `${p.model}@${p.alias}`;
    case "version":
      return `${p.model}@${p.version}`;
    case "latest":
      return `${p.model}@latest`;
    default:
      return p.id;
  }
}

/** Checks per-call options of `predict` (only when some are given: the hot path skips it). */
export function checkPredictOptions(options: PredictOptions): PredictOptions {
  return parse(predictOptionsSchema, options, "predict options") as PredictOptions;
}

/** Checks the options of `predictBatch`. */
export function checkBatchPredictionOptions<O>(options: BatchPredictionOptions<O>): BatchPredictionOptions<O> {
  return parse(batchPredictionOptionsSchema, options, "predictBatch options") as BatchPredictionOptions<O>;
}

/** Checks a routine: at least one model, each a valid reference under a valid name, functions where functions go. */
export function checkRoutineSpec(spec: RoutineSpec): Array<[string, RoutineModel]> {
  parse(routineSpecSchema, spec, "routine");
  const entries = Object.entries(spec.models);
  if (entries.length === 0) throw invalid(["routine", "models"], "must name at least one model");
  return entries.map(([step, m]) => {
    checkName(`routine.models.${step}`, step);
    const model: RoutineModel =
      typeof m === "object" && m !== null && "ref" in m
        ? (parse(routineModelSchema, m, `routine.models.${step}`) as RoutineModel)
        : { ref: m as ModelRef };
    parseModelRef(model.ref);
    return [step, model];
  });
}

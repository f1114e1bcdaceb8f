import { z } from "zod";
import { fromZodError } from "../core/errors.js";
import { hasLoneSurrogate } from "../core/validation.js";

/** The largest page of run search, and of one `list` call. */
export const MAX_RESULTS = 50_000;

/** A string with no unpaired surrogate (one that every store keeps as it is). */
const text = z
  .string()
  .refine((s) => !hasLoneSurrogate(s), { message: "contains an unpaired UTF-16 surrogate (a broken character)" });
const lifecycle = z.enum(["active", "deleted", "all"]);
const safeInt = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/** `ws.experiments.searchRuns` options; the filter and order terms are parsed afterwards. */
export const searchRunsOptionsSchema = z.strictObject({
  experiments: z
    .union([text, z.array(text).max(1000)], { error: "must be an experiment name or id, or a list of at most 1000" })
    .optional(),
  filter: text.optional(),
  orderBy: z
    .union([text, z.array(text).max(100)], {
      error: 'must be an order term such as "metrics.acc DESC", or a list of at most 100',
    })
    .optional(),
  maxResults: z.number().int().min(1).max(MAX_RESULTS).optional(),
  pageToken: z.string().optional(),
  lifecycle: lifecycle.optional(),
});

/** `ws.experiments.searchRunsCsv` options: a search without paging, with an optional cap. */
export const searchRunsCsvOptionsSchema = searchRunsOptionsSchema
  .omit({ pageToken: true, maxResults: true })
  .extend({ maxResults: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() });

/** `ws.experiments.metricHistory` options. */
export const metricHistoryOptionsSchema = z.strictObject({
  maxPoints: z.number().int().min(2).max(1_000_000).optional(),
  startStep: safeInt.optional(),
  endStep: safeInt.optional(),
});

/** The largest (and default) page of `ws.experiments.metricHistoryPage`, as MLflow's `get_metric_history`. */
export const MAX_METRIC_HISTORY_PAGE = 25_000;

/** `ws.experiments.metricHistoryPage` options. */
export const metricHistoryPageOptionsSchema = z.strictObject({
  maxResults: z.number().int().min(1).max(MAX_METRIC_HISTORY_PAGE).optional(),
  pageToken: z.string().optional(),
});

/** `ws.experiments.list` options. */
export const listExperimentsOptionsSchema = z.strictObject({
  lifecycle: lifecycle.optional(),
  limit: z.number().int().min(1).max(MAX_RESULTS).optional(),
});

/**
 * `startRun` / `withRun` options. Names, params and tags are checked afterwards by the tracking
 * checks, which name the offending key.
 */
export const startRunOptionsSchema = z.strictObject({
  experiment: text.min(1),
  name: z.string().optional(),
  parentRunId: text.min(1).optional(),
  tags: z.unknown().optional(),
  params: z.unknown().optional(),
  runId: z.string().optional(),
});

/** `ws.experiments.create` options. */
export const createExperimentOptionsSchema = z.strictObject({
  description: z.string().optional(),
  tags: z.unknown().optional(),
});

/** `ws.experiments.update` patch. */
export const experimentPatchSchema = createExperimentOptionsSchema;

/** Options of ending a run (`run.end`, `ws.experiments.endRun`). */
export const endRunOptionsSchema = z.strictObject({ error: z.unknown().optional() });

/** The final statuses a run can be ended with. */
export const runEndStatusSchema = z.enum(["finished", "failed", "killed"]);

/** Metric logging options. */
export const metricOptionsSchema = z.strictObject({
  step: safeInt.optional(),
  timestamp: safeInt.optional(),
});

/**
 * `ws.experiments.sweep` options. The space is checked afterwards, domain by domain, and tags by
 * the tracking checks.
 */
export const sweepOptionsSchema = z.strictObject({
  experiment: text.min(1),
  name: z.string().optional(),
  method: z.enum(["grid", "random"]),
  space: z.unknown(),
  maxTrials: z.number().int().min(1).max(1_000_000).optional(),
  seed: safeInt.optional(),
  metric: z.string(),
  goal: z.enum(["maximize", "minimize"]),
  earlyStopping: z
    .union([
      z.literal(false),
      z.strictObject({
        rule: z.literal("median").optional(),
        warmupSteps: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        minTrials: z.number().int().min(1).max(1_000_000).optional(),
      }),
    ])
    .optional(),
  concurrency: z.number().int().min(1).max(1000).optional(),
  tags: z.unknown().optional(),
  signal: z.instanceof(AbortSignal, { message: "must be an AbortSignal" }).optional(),
  objective: z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", {
    message: "must be a function (trial) => value",
  }),
});

/**
 * Checks `value` against `schema`; a mismatch is `VALIDATION` naming `what` and listing zod's
 * issues (path and message each).
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZodError(parsed.error, what);
  return parsed.data;
}

import { z } from "zod";
import { issueFromZod, MlcycleError } from "../core/errors.js";

/**
 * Checks an argument of a public registry method against its schema: `VALIDATION` naming the
 * argument (`filter`, `options`, `audit`…) with zod's issues, their paths prefixed by that name.
 * `undefined` is the default (an empty object) for optional option objects.
 */
export function parseArgument<S extends z.ZodType>(what: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value === undefined ? {} : value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => issueFromZod(i, [what]));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".")}: ${i.message}`)
    .join("; ");
  return fail(what, summary, issues, r.error);
}

function fail(what: string, summary: string, issues: ReturnType<typeof issueFromZod>[], cause: unknown): never {
  throw new MlcycleError("VALIDATION", `${what} is invalid: ${summary}`, { issues, cause });
}

const record = z.record(z.string(), z.unknown());
const stringRecord = z.record(z.string(), z.string());

/** `filter` of `searchModels` / `options` of `listModels`. */
export const modelFilterSchema = z.object({
  nameLike: z.string().max(500).optional(),
  tags: stringRecord.optional(),
  after: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

/** `options` of `createModel`. */
export const createModelOptionsSchema = z.object({
  description: z.string().max(100_000).optional(),
  tags: stringRecord.optional(),
});

/** `patch` of `updateModel`. */
export const modelPatchSchema = z.object({ description: z.string().max(100_000).optional() });

/** Who and why of an audited call. */
export const auditSchema = z.object({
  actor: z.string().max(500).optional(),
  reason: z.string().max(10_000).optional(),
});

/** `options` of `listVersions`. */
export const listVersionsOptionsSchema = z.object({ includeDeleted: z.boolean().optional() });

/** `patch` of `updateVersion`. */
export const versionPatchSchema = z.object({
  description: z.string().max(100_000).optional(),
  modelCard: z.string().max(1_000_000).optional(),
  tags: z.record(z.string(), z.string().nullable()).optional(),
  metrics: z.record(z.string(), z.number()).optional(),
});

/** `options` of `aliasHistory`. */
export const historyOptionsSchema = z.object({ limit: z.number().int().min(1).max(100_000).optional() });

/** `policy` of `setPolicy` (the gate's own shape is checked by the evaluation module). */
export const policySchema = z.object({
  requireApproval: z.boolean().optional(),
  gate: z.union([z.string(), z.object({ name: z.string() }).passthrough()]).optional(),
});

/** `options` of `approve`. */
export const approveOptionsSchema = z.object({
  actor: z.string().max(500).optional(),
  comment: z.string().max(10_000).optional(),
});

/** `options` of `load`. */
export const loadOptionsSchema = z.object({
  validate: z.boolean().optional(),
  modelClass: z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", "must be a class").optional(),
  flavorOptions: record.optional(),
});

/** The scalar members of `register`'s options (sources, signature, tags… are checked where they are used). */
export const registerOptionsSchema = z.object({
  flavor: z.string().min(1).max(250).optional(),
  flavorOptions: record.optional(),
  flavorMeta: record.optional(),
  createModel: z.boolean().optional(),
  actor: z.string().max(500).optional(),
  modelCard: z.string().max(1_000_000).optional(),
  description: z.string().max(100_000).optional(),
  tags: stringRecord.optional(),
  metrics: z.record(z.string(), z.number()).optional(),
});

/** `options` of `recordEvaluation` (its gate result and evaluation are checked where they are used). */
export const recordEvaluationOptionsSchema = z
  .object({ runId: z.string().optional(), extra: record.optional() })
  .passthrough();

/** `options` of `evaluate` (data, gate and task are checked by the evaluation module). */
export const evaluateOptionsSchema = z
  .object({
    task: z.enum(["classification", "regression"]),
    data: z.object({ inputs: z.unknown(), yTrue: z.array(z.union([z.number(), z.string()])) }).passthrough(),
    gate: z.object({ name: z.string() }).passthrough(),
    ifBaselineMissing: z.enum(["error", "skip"]).optional(),
    runId: z.string().optional(),
  })
  .passthrough();

/** A name argument (model, alias, tag key): a string; the rules for its characters are checked after. */
export function checkStringArgument(what: string, value: unknown): string {
  if (typeof value !== "string")
    throw new MlcycleError("VALIDATION", `${what}: must be a string, got ${value === null ? "null" : typeof value}`, {
      issues: [{ code: "invalid_type", path: [what], message: "must be a string", expected: "string" }],
    });
  return value;
}

const object = z.custom<object>((v) => typeof v === "object" && v !== null, "must be an object");

/** The options a `ModelRegistry` is built with. */
export const registryOptionsSchema = z.object({
  store: object,
  artifacts: object,
  events: object,
  clock: object,
  lineage: object,
  tracking: object,
  versionLineageInStore: z.boolean().optional(),
  flavors: z.array(object).optional(),
});

import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import { parseModelRef } from "../registry/model-ref.js";
import type { AnalyzeOptions } from "./online-analysis.js";
import type { BanditOptions, CanaryOptions, OpenOptions, ShadowOptions, SplitOptions } from "./online-types.js";

/**
 * The schemas `ws.online` checks its arguments with: a wrong type, an out-of-range number or an
 * unknown key (a typo such as `bakeMS`) is `VALIDATION` naming the option.
 */

const fn = z.custom<(...args: any[]) => unknown>((v) => typeof v === "function", { message: "must be a function" });
const object = z.custom<object>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
  message: "must be an object",
});
const interval = z.union([z.number().int().min(1).max(86_400_000), z.literal(false)]);
const finite = z.number().refine(Number.isFinite, { message: "must be a finite number" });

const routing = {
  deploy: object.optional(),
  pollIntervalMs: interval.optional(),
  tickIntervalMs: interval.optional(),
  checks: z.record(z.string(), fn).optional(),
};

const start = {
  ...routing,
  deployment: z.string().optional(),
  salt: z.string().max(500).optional(),
  actor: z.string().max(500).optional(),
  reason: z.string().max(8000).optional(),
};

const splitSchema = z.strictObject({
  ...start,
  variants: z
    .array(z.strictObject({ name: z.string(), ref: z.string(), weight: finite.pipe(z.number().min(0)) }))
    .min(1)
    .max(100),
});

const ruleSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("error_rate"),
    max: z.number().min(0).max(1),
    minCalls: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    kind: z.literal("latency"),
    maxMeanMs: finite.pipe(z.number().min(0)),
    minCalls: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    kind: z.literal("metric"),
    metric: z.string(),
    min: finite.optional(),
    max: finite.optional(),
    maxDropFromStable: finite.optional(),
    minSamples: z.number().int().min(0).optional(),
  }),
  z.strictObject({ kind: z.literal("check"), name: z.string(), params: z.record(z.string(), z.unknown()).optional() }),
]);

const bake = z
  .number()
  .int()
  .min(0)
  .max(365 * 86_400_000);

const canarySchema = z.strictObject({
  ...start,
  stable: z.string(),
  candidate: z.string(),
  steps: z.array(z.number().gt(0).max(100)).min(1).max(100).optional(),
  bakeMs: z.union([bake, z.array(bake).min(1).max(100)]),
  rules: z.array(ruleSchema).max(100).optional(),
  promote: z.union([z.strictObject({ model: z.string(), alias: z.string() }), z.literal(false)]).optional(),
  minCallsPerStep: z.number().int().min(0).optional(),
});

const shadowSchema = z.strictObject({
  ...start,
  primary: z.string(),
  shadow: z.string(),
  sample: z.number().min(0).max(1).optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  maxInFlight: z.number().int().min(1).max(1_000_000).optional(),
  compare: z.enum(["auto", "labels", "numbers"]).optional(),
});

const banditSchema = z.strictObject({
  ...start,
  arms: z
    .array(z.strictObject({ name: z.string(), ref: z.string() }))
    .min(2)
    .max(100),
  reward: z.enum(["binary", "continuous"]),
  metric: z.string().optional(),
  minSamples: z.number().int().min(1).optional(),
  intervalMs: z
    .number()
    .int()
    .min(0)
    .max(365 * 86_400_000)
    .optional(),
  floor: z.number().min(0).max(1).optional(),
  draws: z.number().int().min(1).max(1_000_000).optional(),
  seed: z.number().int().optional(),
});

const openSchema = z.strictObject(routing);

const analyzeSchema = z.strictObject({
  metric: z.string(),
  type: z.enum(["mean", "proportion"]),
  control: z.string().optional(),
  alpha: z.number().gt(0).lt(1).optional(),
  sequential: z.union([z.boolean(), z.strictObject({ tuning: z.number().gt(0).optional() })]).optional(),
  covariate: z.boolean().optional(),
  inverse: z.boolean().optional(),
});

function parse<T>(schema: z.ZodType, value: unknown, what: string): T {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid([what], "must be an object");
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, what);
  return value as T;
}

function checkDeploy(deploy: object | undefined, what: string): void {
  if (deploy && ("name" in deploy || "variant" in deploy || "observer" in deploy))
    throw invalid(
      [what, "deploy"],
      "must not set name, variant or observer: the experiment sets them for each variant",
    );
}

function checkRef(what: string, ref: string): void {
  checkName(what, ref);
  parseModelRef(ref);
}

function checkCommon(
  o: { deployment?: string; deploy?: object; checks?: Record<string, unknown> },
  what: string,
): void {
  if (o.deployment !== undefined) checkName(`${what}.deployment`, o.deployment);
  checkDeploy(o.deploy, what);
  for (const name of Object.keys(o.checks ?? {})) checkName(`${what}.checks`, name);
}

/** Checks the options of `ws.online.split`. */
export function checkSplitOptions(options: SplitOptions): SplitOptions {
  const o = parse<SplitOptions>(splitSchema, options, "split options");
  checkCommon(o, "split options");
  const names = new Set<string>();
  o.variants.forEach((v, i) => {
    checkName(`variants.${i}.name`, v.name);
    if (v.name === "shadow") throw invalid([`variants.${i}.name`], "'shadow' is the name of a shadow's answers");
    if (names.has(v.name)) throw invalid([`variants.${i}.name`], `'${v.name}' is used by another variant`);
    names.add(v.name);
    checkRef(`variants.${i}.ref`, v.ref);
  });
  if (!(o.variants.reduce((s, v) => s + v.weight, 0) > 0))
    throw invalid(["variants"], "the weights must sum to a positive number");
  return o;
}

/** Checks the options of `ws.online.canary` (steps increasing, one bake time per step when several). */
export function checkCanaryOptions(options: CanaryOptions): CanaryOptions {
  const o = parse<CanaryOptions>(canarySchema, options, "canary options");
  checkCommon(o, "canary options");
  checkRef("stable", o.stable);
  checkRef("candidate", o.candidate);
  const steps = o.steps ?? [5, 25, 50, 100];
  steps.forEach((s, i) => {
    if (i > 0 && s <= steps[i - 1]) throw invalid(["steps", i], `must increase: ${s} follows ${steps[i - 1]}`);
  });
  if (Array.isArray(o.bakeMs) && o.bakeMs.length !== steps.length)
    throw invalid(["bakeMs"], `needs one bake time per step (${steps.length}), got ${o.bakeMs.length}`);
  for (const r of o.rules ?? []) {
    if (r.kind === "metric") checkName("rules.metric", r.metric);
    if (r.kind === "check") checkName("rules.name", r.name);
  }
  if (o.promote) {
    checkName("promote.model", o.promote.model);
    checkName("promote.alias", o.promote.alias);
  } else if (o.promote === undefined && parseModelRef(o.stable).kind !== "alias")
    throw invalid(
      ["promote"],
      `the stable reference '${o.stable}' is not an alias: say which alias to move ({ model, alias }), or promote: false`,
    );
  return o;
}

/** Checks the options of `ws.online.shadow`. */
export function checkShadowOptions(options: ShadowOptions): ShadowOptions {
  const o = parse<ShadowOptions>(shadowSchema, options, "shadow options");
  checkCommon(o, "shadow options");
  checkRef("primary", o.primary);
  checkRef("shadow", o.shadow);
  return o;
}

/** Checks the options of `ws.online.bandit`. */
export function checkBanditOptions(options: BanditOptions): BanditOptions {
  const o = parse<BanditOptions>(banditSchema, options, "bandit options");
  checkCommon(o, "bandit options");
  const names = new Set<string>();
  o.arms.forEach((a, i) => {
    checkName(`arms.${i}.name`, a.name);
    if (names.has(a.name)) throw invalid([`arms.${i}.name`], `'${a.name}' is used by another arm`);
    names.add(a.name);
    checkRef(`arms.${i}.ref`, a.ref);
  });
  if (o.metric !== undefined) checkName("metric", o.metric);
  const floor = o.floor ?? 0.01;
  if (floor * o.arms.length > 1)
    throw invalid(["floor"], `must be at most 1/${o.arms.length} (one share per arm), got ${floor}`);
  return o;
}

/** Checks the options of `ws.online.open`. */
export function checkOpenOptions(options: OpenOptions): OpenOptions {
  const o = parse<OpenOptions>(openSchema, options, "open options");
  checkCommon(o, "open options");
  return o;
}

/** Checks the options of `ws.online.analyze`. */
export function checkAnalyzeOptions(options: AnalyzeOptions): AnalyzeOptions {
  const o = parse<AnalyzeOptions>(analyzeSchema, options, "analyze options");
  checkName("metric", o.metric);
  if (o.control !== undefined) checkName("control", o.control);
  return o;
}

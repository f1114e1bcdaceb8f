import type * as z from "zod";
import { invalid } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import type { Serializer } from "./serializers.js";
import type { StepRun } from "./step-run.js";
import type { StepWorkspace } from "./step-workspace.js";

/** A logger whose lines are stored with the step run (`StepRunRecord.logs`). */
export interface StepLogger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

/** What a step function receives besides its input. */
export interface StepContext<P = unknown> {
  /**
   * The step's tracking run (a child of the pipeline run's tracking run), started on first use: a
   * step that does not touch it records no tracking run.
   */
  readonly run: StepRun;
  /** Lines written here are stored with the step run. */
  readonly log: StepLogger;
  /** The workspace the pipeline runs in (registry, features, lineage…). */
  readonly workspace: StepWorkspace;
  /** Fires on timeout or cancellation; long steps should pass it on or check it. */
  readonly signal: AbortSignal;
  /**
   * The pipeline parameters. Which ones a step reads is recorded and becomes part of its cache key,
   * so a step that reads `ctx.params.lr` re-runs when `lr` changes, and only then.
   */
  readonly params: P;
  /** 1 for the first attempt, 2 for the first retry… */
  readonly attempt: number;
  /** Pipeline run id. */
  readonly runId: string;
  /** Name of the step in its pipeline. */
  readonly stepName: string;
  /** For a map step, the item's index; undefined otherwise. */
  readonly index?: number;
}

/**
 * When to try a failed step again.
 *
 * @example
 * ```ts
 * { retries: 3, backoffMs: 200, factor: 2, maxBackoffMs: 5000, retryOn: (e) => !(e instanceof TypeError) }
 * ```
 */
export interface RetryPolicy {
  /** Extra attempts after the first (default 0). */
  retries?: number;
  /** First delay in ms (default 100); the n-th retry waits `backoffMs * factor^(n-1)` with ±50% jitter. */
  backoffMs?: number;
  /** Growth of the delay (default 2). */
  factor?: number;
  /** Cap of one delay in ms (default 30000). */
  maxBackoffMs?: number;
  /** Whether jitter is applied (default true). */
  jitter?: boolean;
  /** Which errors are retried (default: all but `VALIDATION` and `CANCELLED`). */
  retryOn?: (error: unknown, attempt: number) => boolean;
}

/**
 * A step's cache policy. Caching is on by default; `false` turns it off.
 *
 * @example
 * ```ts
 * { ignoreInputs: ["verbose"], expireMs: 86_400_000 }
 * ```
 */
export interface CachePolicy {
  /** Default true. */
  enabled?: boolean;
  /** Top-level input fields left out of the key (e.g. a log level). */
  ignoreInputs?: string[];
  /** Entries older than this are not reused (default: never expire). */
  expireMs?: number;
}

/** The definition of a step, as {@link step} takes it. */
export interface StepDefinition<I extends z.ZodType, O extends z.ZodType, P = any> {
  /** Step name (letters, digits, `_ - . / : @` and spaces). */
  name: string;
  /**
   * Bump it when the behaviour changes: it is part of the cache key. Without it, the function's
   * source text is hashed instead.
   */
  version?: string;
  input: I;
  output: O;
  run: (input: z.output<I>, ctx: StepContext<P>) => z.input<O> | Promise<z.input<O>>;
  retry?: RetryPolicy;
  /** Per attempt, in ms (default none). */
  timeoutMs?: number;
  cache?: boolean | CachePolicy;
  /** How the output is stored (default: inline JSON when small, else an artifact; bytes and typed arrays as such). */
  serializer?: Serializer<z.output<O>>;
}

/** A step: a typed unit of work. Build with {@link step}. */
export interface Step<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType, P = any>
  extends Readonly<StepDefinition<I, O, P>> {
  readonly kind: "mlcycle.step";
}

/** Any step. */
export type AnyStep = Step<any, any, any>;
/** What a step accepts (before its input schema's transforms). */
export type StepInput<S> = S extends Step<infer I, any, any> ? z.input<I> : never;
/** What a step produces (after its output schema's parsing). */
export type StepOutput<S> = S extends Step<any, infer O, any> ? z.output<O> : never;

/**
 * Defines a step.
 *
 * @example
 * ```ts
 * const train = step({
 *   name: "train", version: "1",
 *   input: z.object({ rows: z.array(z.number()), lr: z.number() }),
 *   output: z.object({ weights: z.array(z.number()) }),
 *   retry: { retries: 2 }, timeoutMs: 60_000,
 *   run: async ({ rows, lr }, ctx) => { ctx.run.logMetric("loss", 0.1); return { weights: rows.map((r) => r * lr) }; },
 * });
 * ```
 */
export function step<I extends z.ZodType, O extends z.ZodType, P = any>(
  definition: StepDefinition<I, O, P>,
): Step<I, O, P> {
  checkName("step.name", definition.name);
  if (definition.version !== undefined) checkName("step.version", definition.version, 250);
  if (typeof definition.run !== "function")
    throw invalid(["step.run"], `step '${definition.name}': must be a function`);
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0))
    throw invalid(["step.timeoutMs"], `step '${definition.name}': must be a positive number of ms`);
  return Object.freeze({ ...definition, kind: "mlcycle.step" as const });
}

/** True when `v` is a {@link Step}. */
export function isStep(v: unknown): v is AnyStep {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "mlcycle.step";
}

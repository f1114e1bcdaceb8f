import { fromZodError, MlcycleError } from "../core/errors.js";
import type { PipelineNode } from "./pipeline.js";
import { backoffDelay, defaultRetryOn } from "./retry.js";
import type { AnyStep, StepContext } from "./step.js";
import type { BufferedStepLogger } from "./step-logger.js";
import type { StepRun } from "./step-run.js";
import type { StepWorkspace } from "./step-workspace.js";
import { cancelledError } from "./stored-error.js";

/** What {@link executeStep} runs a node with. */
export interface AttemptEnv {
  params: unknown;
  runId: string;
  run: StepRun;
  log: BufferedStepLogger;
  /** Handed to the step as `ctx.workspace`. */
  workspace: StepWorkspace;
  signal: AbortSignal;
  /** Rejects when `signal` aborts (one per run, so steps add no listener each). */
  gone: Promise<never>;
  state: { attempts: number; items?: number };
  onRetry: (attempt: number, delayMs: number, error: unknown) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A promise that rejects when `signal` aborts (never resolves); its rejection is always handled. */
export function abandonment(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  p.catch(() => undefined);
  return p;
}

/**
 * Runs a node on its (parsed) input: a step through its attempts (retries with backoff, timeout,
 * cancellation), a map node over its items with at most `node.concurrency` at once — the first
 * failing item aborts the others and fails the node. Returns the parsed output.
 */
export async function executeStep(node: PipelineNode, input: unknown, env: AttemptEnv): Promise<unknown> {
  const step = node.step;
  const workspace = env.workspace;
  const parseOut = (raw: unknown, where: string) => {
    const r = step.output.safeParse(raw);
    if (!r.success) throw fromZodError(r.error, where);
    return r.data;
  };
  const attempts = async (
    value: unknown,
    signal: AbortSignal,
    gone: Promise<never>,
    index?: number,
  ): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      if (index === undefined) env.state.attempts = attempt;
      else env.state.attempts = Math.max(env.state.attempts, attempt);
      try {
        return await runAttempt(step, signal, gone, (s) => {
          const ctx: StepContext<any> = {
            run: env.run,
            log: env.log,
            workspace,
            signal: s,
            params: env.params,
            attempt,
            runId: env.runId,
            stepName: node.name,
            ...(index !== undefined ? { index } : {}),
          };
          return step.run(value, ctx);
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const policy = step.retry ?? {};
        if (attempt > (policy.retries ?? 0) || !(policy.retryOn ?? defaultRetryOn)(error, attempt)) throw error;
        const delayMs = backoffDelay(policy, attempt);
        env.onRetry(attempt, delayMs, error);
        await sleep(delayMs, signal);
      }
    }
  };
  if (node.kind === "step") {
    const raw = await attempts(input, env.signal, env.gone);
    return parseOut(raw, `output of step '${node.name}'`);
  }
  const items = input as unknown[];
  env.state.items = items.length;
  const out = new Array<unknown>(items.length);
  const nodeCtl = new AbortController();
  const onRunAbort = () => nodeCtl.abort(env.signal.reason);
  if (env.signal.aborted) onRunAbort();
  else env.signal.addEventListener("abort", onRunAbort, { once: true });
  const nodeGone = abandonment(nodeCtl.signal);
  let failure: { error: unknown; index: number } | undefined;
  let next = 0;
  const worker = async () => {
    while (failure === undefined) {
      const i = next++;
      if (i >= items.length) return;
      try {
        out[i] = parseOut(
          await attempts(items[i], nodeCtl.signal, nodeGone, i),
          `output of step '${node.name}' item ${i}`,
        );
      } catch (error) {
        if (failure === undefined) {
          failure = { error, index: i };
          nodeCtl.abort(cancelledError(`step '${node.name}' (item ${i} failed)`));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(node.concurrency, items.length) }, worker));
  } finally {
    env.signal.removeEventListener("abort", onRunAbort);
  }
  if (failure) {
    const f = failure as { error: unknown; index: number };
    if (env.signal.aborted) throw env.signal.reason;
    if (f.error instanceof MlcycleError)
      throw new MlcycleError(f.error.code, `item ${f.index}: ${f.error.message}`, {
        cause: f.error,
        issues: f.error.issues,
      });
    const wrapped = new Error(`item ${f.index}: ${f.error instanceof Error ? f.error.message : String(f.error)}`, {
      cause: f.error,
    });
    if (f.error instanceof Error && f.error.stack) wrapped.stack = f.error.stack;
    throw wrapped;
  }
  return out;
}

/** One attempt: races the function against its timeout and the run's cancellation. */
async function runAttempt(
  step: AnyStep,
  signal: AbortSignal,
  gone: Promise<never>,
  fn: (signal: AbortSignal) => unknown,
): Promise<unknown> {
  if (step.timeoutMs === undefined) {
    if (signal.aborted) throw signal.reason;
    // A function that returns a value (not a promise) cannot be abandoned: take its result as is.
    const result = fn(signal);
    if (!isThenable(result)) return result;
    const work = Promise.resolve(result);
    work.catch(() => undefined);
    return Promise.race([work, gone]);
  }
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(
    () => ctl.abort(new MlcycleError("TIMEOUT", `step '${step.name}' ran longer than ${step.timeoutMs} ms`)),
    step.timeoutMs,
  );
  try {
    const work = Promise.resolve().then(() => fn(ctl.signal));
    work.catch(() => undefined);
    return await Promise.race([work, abandonment(ctl.signal)]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as any).then === "function";
}

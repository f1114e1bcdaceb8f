import { seededRandom } from "../core/random.js";
import { invalid, isMlcycleError, MlcycleError } from "../core/errors.js";
import { checkJsonValue, checkKey, checkRecord } from "../core/validation.js";
import type { Run } from "./run.js";
import { describeError } from "./run.js";
import { parseOptions, sweepOptionsSchema } from "./tracking-schemas.js";
import { checkTags } from "./tracking-validation.js";

/** A value a sweep can give a param. */
export type SweepValue = string | number | boolean;

/**
 * The values one param may take: a list (choice), a float range (`uniform`, or `loguniform` for
 * scales like learning rates; random search only), or an integer range (inclusive, with `step`).
 */
export type ParamDomain =
  | readonly SweepValue[]
  | { type: "choice"; values: readonly SweepValue[] }
  | { type: "uniform"; min: number; max: number }
  | { type: "loguniform"; min: number; max: number }
  | { type: "int"; min: number; max: number; step?: number };

/** A parameter space: one domain per param. */
export type ParamSpace = Record<string, ParamDomain>;

/** Early stopping of poor trials by the median rule (Optuna's `MedianPruner`, Vizier's median stopping). */
export interface MedianStopping {
  rule?: "median";
  /** Steps before which a trial is never stopped (default 0). */
  warmupSteps?: number;
  /** Completed trials needed before any trial is stopped (default 3). */
  minTrials?: number;
}

/** Options of `ws.experiments.sweep()`. */
export interface SweepOptions<P extends Record<string, unknown> = Record<string, SweepValue>> {
  /** Experiment name or id (created when the name is unknown). */
  experiment: string;
  /** Name of the parent sweep run (default `sweep-<method>`). */
  name?: string;
  /** `grid`: every combination in order; `random`: independent seeded draws. */
  method: "grid" | "random";
  space: ParamSpace;
  /** Trial budget (default: every combination for grid, 10 for random). */
  maxTrials?: number;
  /** Seed of random search (default 0): the same seed draws the same trials. */
  seed?: number;
  /** The metric trials report and the sweep optimises. */
  metric: string;
  goal: "maximize" | "minimize";
  /** Stop poor trials early (default: median rule with its defaults); `false` to run every trial fully. */
  earlyStopping?: MedianStopping | false;
  /** Trials run at once (default 1). */
  concurrency?: number;
  /** Tags of the parent sweep run. */
  tags?: Record<string, string>;
  /**
   * Aborts the sweep: no new trial starts, `trial.report()` throws, trials in flight end `killed`,
   * the parent run ends `killed` and `sweep()` rejects with `CANCELLED`.
   */
  signal?: AbortSignal;
  /**
   * Trains and scores one trial. Report intermediate values with `trial.report(value, step)` so
   * poor trials can be stopped; return the final value (or nothing: the last reported value counts).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an objective may return nothing (its last report counts)
  objective: (trial: Trial<P>) => Promise<number | undefined | void> | number | undefined | void;
}

/** One trial as the objective sees it. */
export interface Trial<P> {
  /** 0-based trial number. */
  number: number;
  params: P;
  /** The trial's child run (params already logged). */
  run: Run;
  /**
   * Logs an intermediate value of the sweep metric at `step`; throws a `CANCELLED` error (caught by
   * the sweep) when the median rule stops the trial.
   */
  report(value: number, step: number): Promise<void>;
  /** True once the trial has been stopped (for objectives that catch errors themselves). */
  readonly stopped: boolean;
  /** Aborted when the sweep is (pass it to long training calls). */
  readonly signal: AbortSignal;
}

/** The outcome of one trial. */
export interface TrialResult<P> {
  number: number;
  runId: string;
  params: P;
  /** `pruned`: stopped early (its run ends `killed`); `failed`: the objective threw. */
  status: "finished" | "pruned" | "failed";
  /** Final value of the metric (for pruned trials, the best value reported). */
  value?: number;
  /** Step at which a pruned trial was stopped. */
  stoppedAtStep?: number;
  error?: string;
}

/** What `sweep()` returns. */
export interface SweepResult<P> {
  /** The parent run; each trial is a child of it. */
  sweepRunId: string;
  /** The finished trial with the best value, when any finished with a number. */
  best?: TrialResult<P>;
  trials: TrialResult<P>[];
}

/** The part of `Experiments` a sweep uses. */
interface SweepHost {
  startRun(opts: {
    experiment: string;
    name?: string;
    parentRunId?: string;
    tags?: Record<string, string>;
    params?: Record<string, SweepValue>;
  }): Promise<Run>;
}

type Domain =
  | { kind: "choice"; values: SweepValue[] }
  | { kind: "uniform" | "loguniform"; min: number; max: number }
  | { kind: "int"; min: number; max: number; step: number };

function normalise(name: string, d: ParamDomain): Domain {
  const where = ["space", name];
  if (Array.isArray(d)) return normalise(name, { type: "choice", values: d });
  const o = d as Exclude<ParamDomain, readonly SweepValue[]>;
  if (typeof o !== "object" || o === null) throw invalid(where, "must be a list of values or { type, … }");
  switch (o.type) {
    case "choice": {
      if (!Array.isArray(o.values) || o.values.length === 0) throw invalid(where, "a choice needs at least one value");
      for (const v of o.values)
        if (!["string", "number", "boolean"].includes(typeof v))
          throw invalid(where, "choices must be strings, numbers or booleans");
      return { kind: "choice", values: [...o.values] };
    }
    case "uniform":
    case "loguniform": {
      if (!Number.isFinite(o.min) || !Number.isFinite(o.max) || o.min > o.max)
        throw invalid(where, "needs finite min ≤ max");
      if (o.type === "loguniform" && o.min <= 0) throw invalid(where, "loguniform needs min > 0");
      return { kind: o.type, min: o.min, max: o.max };
    }
    case "int": {
      const step = o.step ?? 1;
      if (!Number.isSafeInteger(o.min) || !Number.isSafeInteger(o.max) || o.min > o.max)
        throw invalid(where, "needs integers min ≤ max");
      if (!Number.isSafeInteger(step) || step < 1) throw invalid(where, "step must be a positive integer");
      return { kind: "int", min: o.min, max: o.max, step };
    }
  }
  throw invalid(where, `unknown domain type '${String((o as { type?: unknown }).type)}'`);
}

function gridValues(name: string, d: Domain): SweepValue[] {
  if (d.kind === "choice") return d.values;
  if (d.kind === "int") {
    const n = Math.floor((d.max - d.min) / d.step) + 1;
    if (n > 100_000) throw invalid(["space", name], `has ${n} grid values; narrow the range or raise the step`);
    return Array.from({ length: n }, (_, i) => d.min + i * d.step);
  }
  throw invalid(["space", name], "grid search needs discrete values: give a list or an int range");
}

function sample(d: Domain, rand: () => number): SweepValue {
  switch (d.kind) {
    case "choice":
      return d.values[Math.min(d.values.length - 1, Math.floor(rand() * d.values.length))];
    case "uniform":
      return d.min + rand() * (d.max - d.min);
    case "loguniform":
      return Math.exp(Math.log(d.min) + rand() * (Math.log(d.max) - Math.log(d.min)));
    case "int": {
      const n = Math.floor((d.max - d.min) / d.step) + 1;
      return d.min + Math.min(n - 1, Math.floor(rand() * n)) * d.step;
    }
  }
}

/**
 * The trials a sweep will run, in order: the first `maxTrials` grid combinations (last param
 * varying fastest) or `maxTrials` seeded random draws.
 *
 * @example
 * ```ts
 * planTrials({ method: "grid", space: { lr: [0.1, 0.01], depth: { type: "int", min: 2, max: 4 } } }); // 6 trials
 * ```
 */
export function planTrials(opts: {
  method: "grid" | "random";
  space: ParamSpace;
  maxTrials?: number;
  seed?: number;
}): Array<Record<string, SweepValue>> {
  // A list is not a space: its indices would become params named "0", "1"…
  const names = checkRecord("space", opts.space, "an object of param → domain").map(([n]) => n);
  if (names.length === 0) throw invalid(["space"], "must name at least one param");
  for (const n of names) checkKey("param key", n);
  const domains = names.map((n) => normalise(n, opts.space[n]));
  if (opts.maxTrials !== undefined && (!Number.isSafeInteger(opts.maxTrials) || opts.maxTrials < 1))
    throw invalid(["maxTrials"], "must be a positive integer");
  if (opts.method === "grid") {
    const values = names.map((n, i) => gridValues(n, domains[i]));
    const total = values.reduce((a, v) => a * v.length, 1);
    const count = Math.min(total, opts.maxTrials ?? total);
    if (count > 100_000) throw invalid(["maxTrials"], `the grid has ${total} combinations; set maxTrials`);
    const out: Array<Record<string, SweepValue>> = [];
    for (let t = 0; t < count; t++) {
      let rest = t;
      const p: Record<string, SweepValue> = {};
      for (let i = names.length - 1; i >= 0; i--) {
        p[names[i]] = values[i][rest % values[i].length];
        rest = Math.floor(rest / values[i].length);
      }
      out.push(Object.fromEntries(names.map((n) => [n, p[n]])));
    }
    return out;
  }
  if (opts.method !== "random") throw invalid(["method"], `must be grid or random, got '${String(opts.method)}'`);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw invalid(["seed"], "must be an integer");
  const rand = seededRandom(seed);
  return Array.from({ length: opts.maxTrials ?? 10 }, () =>
    Object.fromEntries(names.map((n, i) => [n, sample(domains[i], rand)])),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The median stopping rule, as Optuna's `MedianPruner`: once `minTrials` trials have completed and
 * from step `warmupSteps` on, a trial is stopped at step s when its best value so far is worse than
 * the median of the values the completed trials reported at step s (a NaN value stops it at once).
 */
export class MedianStoppingRule {
  private readonly completed: Array<Map<number, number>> = [];

  constructor(
    private readonly goal: "maximize" | "minimize",
    private readonly warmupSteps = 0,
    private readonly minTrials = 3,
  ) {}

  /** Records a completed trial's intermediate values. */
  complete(curve: Map<number, number>): void {
    this.completed.push(curve);
  }

  /** True when a trial whose reported values are `curve` should stop after reporting `step`. */
  shouldStop(curve: Map<number, number>, step: number): boolean {
    const current = curve.get(step);
    if (current !== undefined && Number.isNaN(current)) return true;
    if (step < this.warmupSteps || this.completed.length < this.minTrials) return false;
    const others = this.completed
      .map((c) => c.get(step))
      .filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (others.length === 0) return false;
    const values = [...curve.values()].filter((v) => !Number.isNaN(v));
    if (values.length === 0) return true;
    const best = this.goal === "maximize" ? Math.max(...values) : Math.min(...values);
    const m = median(others);
    return this.goal === "maximize" ? best < m : best > m;
  }
}

class TrialPruned extends MlcycleError {}

/** Runs a sweep on `host` (see `Experiments.sweep`). */
export async function runSweep<P extends Record<string, unknown>>(
  host: SweepHost,
  opts: SweepOptions<P>,
): Promise<SweepResult<P>> {
  parseOptions(sweepOptionsSchema, opts, "sweep options");
  checkKey("metric", opts.metric);
  const concurrency = opts.concurrency ?? 1;
  const tags = checkTags(opts.tags);
  // Stored as sweep/space.json: what JSON cannot hold is refused before any run starts.
  checkJsonValue("space", opts.space);
  const plan = planTrials(opts);
  const es = opts.earlyStopping === undefined ? {} : opts.earlyStopping;
  const rule = es === false ? undefined : new MedianStoppingRule(opts.goal, es.warmupSteps ?? 0, es.minTrials ?? 3);
  const better = (a: number, b: number) => (opts.goal === "maximize" ? a > b : a < b);
  const signal = opts.signal ?? new AbortController().signal;
  const cancelled = () => new MlcycleError("CANCELLED", "the sweep was aborted", { cause: signal.reason });
  if (signal.aborted) throw cancelled();

  const parent = await host.startRun({
    experiment: opts.experiment,
    name: opts.name ?? `sweep-${opts.method}`,
    tags: { ...tags, "mlcycle.sweep": opts.method },
    params: {
      "sweep.method": opts.method,
      "sweep.metric": opts.metric,
      "sweep.goal": opts.goal,
      "sweep.trials": plan.length,
      ...(opts.method === "random" ? { "sweep.seed": opts.seed ?? 0 } : {}),
      "sweep.early_stopping": rule ? "median" : "none",
    },
  });
  try {
    await parent.logArtifact("sweep/space.json", JSON.stringify(opts.space, null, 2));
    const results: TrialResult<P>[] = new Array(plan.length);
    let next = 0;
    const runTrial = async (number: number): Promise<void> => {
      const params = plan[number] as unknown as P;
      const run = await host.startRun({
        experiment: parent.experimentId,
        name: `trial-${number}`,
        parentRunId: parent.id,
        params: plan[number],
        tags: { "mlcycle.sweep.trial": String(number) },
      });
      const curve = new Map<number, number>();
      let stoppedAt: number | undefined;
      let lastStep: number | undefined;
      const trial: Trial<P> = {
        number,
        params,
        run,
        get stopped() {
          return stoppedAt !== undefined;
        },
        signal,
        async report(value: number, step: number) {
          if (signal.aborted) throw cancelled();
          if (stoppedAt !== undefined) throw new TrialPruned("CANCELLED", `trial ${number} was stopped early`);
          await run.logMetric(opts.metric, value, { step });
          curve.set(step, value);
          lastStep = step;
          if (rule?.shouldStop(curve, step)) {
            stoppedAt = step;
            throw new TrialPruned("CANCELLED", `trial ${number} stopped at step ${step} by the median rule`, {
              details: { trial: number, step },
            });
          }
        },
      };
      const base = { number, runId: run.id, params };
      const bestReported = () => {
        const vs = [...curve.values()].filter((v) => !Number.isNaN(v));
        return vs.length ? vs.reduce((a, b) => (better(b, a) ? b : a)) : undefined;
      };
      try {
        const returned = await opts.objective(trial);
        if (stoppedAt !== undefined) throw new TrialPruned("CANCELLED", `trial ${number} was stopped early`);
        let value: number | undefined;
        if (typeof returned === "number") {
          value = returned;
          await run.logMetric(opts.metric, returned, { step: lastStep ?? 0 });
        } else if (lastStep !== undefined) value = curve.get(lastStep);
        await run.end("finished");
        rule?.complete(curve);
        results[number] = { ...base, status: "finished", ...(value !== undefined ? { value } : {}) };
      } catch (error) {
        if (stoppedAt !== undefined || error instanceof TrialPruned) {
          await run.setTag("mlcycle.sweep.pruned", "true");
          await run.end("killed", { error: `stopped early at step ${stoppedAt}` });
          const v = bestReported();
          results[number] = {
            ...base,
            status: "pruned",
            ...(v !== undefined ? { value: v } : {}),
            ...(stoppedAt !== undefined ? { stoppedAtStep: stoppedAt } : {}),
          };
        } else if (signal.aborted) {
          await run.end("killed", { error: "the sweep was aborted" });
          results[number] = { ...base, status: "failed", error: "the sweep was aborted" };
        } else {
          await run.end("failed", { error });
          results[number] = { ...base, status: "failed", error: describeError(error) };
          if (isMlcycleError(error, "UNAVAILABLE")) throw error;
        }
      }
    };
    const worker = async () => {
      while (next < plan.length && !signal.aborted) await runTrial(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, plan.length) }, worker));
    if (signal.aborted) {
      await parent.end("killed", { error: "the sweep was aborted" });
      throw cancelled();
    }

    let best: TrialResult<P> | undefined;
    for (const r of results)
      if (
        r.status === "finished" &&
        r.value !== undefined &&
        !Number.isNaN(r.value) &&
        (!best || better(r.value, best.value!))
      )
        best = r;
    if (best) {
      await parent.setTags({
        "mlcycle.sweep.best_run_id": best.runId,
        "mlcycle.sweep.best_trial": String(best.number),
      });
      await parent.logMetric(`best_${opts.metric}`, best.value!);
    }
    await parent.end("finished");
    return { sweepRunId: parent.id, ...(best ? { best } : {}), trials: results };
  } catch (error) {
    await parent.end("failed", { error }).catch(() => undefined);
    throw error;
  }
}

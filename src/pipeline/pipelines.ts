import { z } from "zod";
import { closedError, invalid, MlcycleError, notFound } from "../core/errors.js";
import type { PipelineRunFilter, PipelineRunRecord, StepRunRecord } from "../stores/pipeline-store.js";
import { type CacheDifference, type CacheKeyComponents, diffComponents } from "./cache-key.js";
import { PipelineEngine } from "./engine.js";
import type { PipelineEvents } from "./pipeline-events.js";
import type { PipelineRunResult, RunHandle, RunOptions } from "./pipeline-run-types.js";
import type { PipelineMetadata, PipelinesOptions } from "./pipelines-options.js";
import type { AnyPipeline, PipelineOutputs, PipelineParamsInput } from "./pipeline.js";
import {
  checkPipeline,
  checkRunId,
  checkStepName,
  eventTriggerOptionsSchema,
  parseOptions,
  resumeOptionsSchema,
  runOptionsSchema,
  scheduleOptionsSchema,
} from "./pipeline-option-schemas.js";
import { type Trigger, type TriggerEventName, type TriggerOptions, TriggerSet } from "./triggers.js";

const listFilterSchema = z.strictObject({
  pipeline: z.string().min(1).max(500).optional(),
  status: z.enum(["running", "succeeded", "failed", "cancelled"]).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

/** Why a step run hit or missed the cache, as {@link Pipelines.explainCache} answers. */
export interface CacheExplanation {
  runId: string;
  step: string;
  status: StepRunRecord["status"];
  /** The step run's cache key (undefined when it never got one: failed before, skipped, caching off). */
  key?: string;
  components?: CacheKeyComponents;
  hit: boolean;
  /** A sentence for a person. */
  reason: string;
  /** The entry reused (hit), or the closest earlier entry of the same step (miss). */
  previous?: { key: string; runId: string; createdAt: number; expiresAt?: number };
  /** Components that differ from `previous` (empty on a hit). */
  differences: CacheDifference[];
}

/** Options of {@link Pipelines.schedule}. */
export interface ScheduleOptions<T extends AnyPipeline> extends TriggerOptions {
  /** Cron pattern (croner syntax: 5 fields, or 6 with seconds first). */
  cron: string;
  /** Params of each run (or a function computing them at firing time). */
  params?: PipelineParamsInput<T> | (() => PipelineParamsInput<T>);
  timezone?: string;
  /** Run options (cache…). */
  run?: Omit<RunOptions, "runId" | "trigger" | "signal">;
}

/** Options of {@link Pipelines.onEvent}. */
export interface EventTriggerOptions<T extends AnyPipeline> extends TriggerOptions {
  /** Params of the run from the event's payload (default: the pipeline's defaults). */
  params?: (payload: any) => PipelineParamsInput<T>;
  /** Only payloads passing this start a run. */
  filter?: (payload: any) => boolean;
  run?: Omit<RunOptions, "runId" | "trigger" | "signal">;
}

/**
 * `ws.pipelines`: runs typed pipelines with caching, retries, timeouts, resume, lineage and
 * triggers. Runs and step runs are durable records in the metadata store. `E` is the event map of
 * the bus it is built with: event triggers suggest its names.
 *
 * Every method checks its arguments (`VALIDATION` naming the wrong one) and, once the workspace is
 * closed, throws the closed-workspace error (`UNAVAILABLE`, `details.closed`).
 *
 * @example
 * ```ts
 * const run = await ws.pipelines.run(trainPipeline, { lr: 0.1 });
 * if (run.status === "succeeded") console.log(run.outputs.fit);
 * const again = await ws.pipelines.run(trainPipeline, { lr: 0.1 }); // every step "cached"
 * console.log(await ws.pipelines.explainCache(again.id, "fit"));
 * ```
 */
export class Pipelines<E extends PipelineEvents = PipelineEvents> {
  private readonly engine: PipelineEngine;
  private readonly triggerSet: TriggerSet;
  private readonly metadata: PipelineMetadata;
  private closed = false;

  constructor(options: PipelinesOptions<E>) {
    this.metadata = options.metadata;
    this.engine = new PipelineEngine(options);
    const events = options.events;
    this.triggerSet = new TriggerSet((event, listener) =>
      events.on(event as keyof E & string, listener as (payload: E[keyof E & string]) => void),
    );
  }

  /**
   * JSON outputs longer than this many characters go to the artifact store instead of inline
   * (default 64 KiB).
   */
  get inlineLimit(): number {
    return this.engine.outputs.inlineLimit;
  }
  set inlineLimit(chars: number) {
    this.open();
    if (!(Number.isInteger(chars) && chars >= 0)) throw invalid(["inlineLimit"], "must be a non-negative integer");
    this.engine.outputs.inlineLimit = chars;
  }

  /**
   * Makes a definition known by name and version, so that `resume(runId)` and workers of a
   * distributed executor can find it. `run` registers what it runs.
   */
  register<T extends AnyPipeline>(p: T): T {
    this.open();
    checkPipeline(p);
    this.engine.register(p);
    return p;
  }

  /**
   * Runs a pipeline to its end; resolves with the outcome (a failed step does not reject: read
   * `status`). Rejects with `CANCELLED` (and records nothing) when `options.signal` is aborted
   * already; aborted later, the run ends `cancelled`.
   */
  async run<T extends AnyPipeline>(
    p: T,
    params?: PipelineParamsInput<T>,
    options: RunOptions = {},
  ): Promise<PipelineRunResult<PipelineOutputs<T>>> {
    const handle = await this.start(p, params, options);
    return handle.result;
  }

  /** Starts a run and returns at once with its id and a promise of its outcome. */
  async start<T extends AnyPipeline>(
    p: T,
    params?: PipelineParamsInput<T>,
    options: RunOptions = {},
  ): Promise<RunHandle<PipelineOutputs<T>>> {
    this.open();
    checkPipeline(p);
    checkParams(p, params);
    const parsed = parseOptions(runOptionsSchema, options, "run options");
    return this.engine.start(p, params, parsed) as Promise<RunHandle<PipelineOutputs<T>>>;
  }

  /**
   * Finishes a run that did not complete (failed, cancelled, or its process died): completed steps
   * are kept, the rest run again. The definition comes from the registry (see {@link register}) or
   * is passed first.
   *
   * - A `succeeded` run is returned as it is: nothing runs and nothing is written.
   * - A `running` run whose driver (another process or workspace) still renews its lease is
   *   `CONFLICT`, naming when the lease expires; once it has expired (the driver died), the run is
   *   taken over. `PRECONDITION` when this workspace drives the run itself.
   * - With an already aborted `signal`, `CANCELLED` and the run is left as it is.
   *
   * @example
   * ```ts
   * const result = await ws.pipelines.resume(trainPipeline, runId);
   * ```
   */
  resume(runId: string, options?: { signal?: AbortSignal }): Promise<PipelineRunResult>;
  resume<T extends AnyPipeline>(
    p: T,
    runId: string,
    options?: { signal?: AbortSignal },
  ): Promise<PipelineRunResult<PipelineOutputs<T>>>;
  async resume(a: string | AnyPipeline, b?: unknown, c?: unknown): Promise<PipelineRunResult<any>> {
    this.open();
    const [p, id, options] = typeof a === "string" ? [undefined, a, b] : [a, b, c];
    if (p !== undefined) checkPipeline(p);
    const runId = checkRunId(id);
    const parsed = parseOptions(resumeOptionsSchema, options, "resume options");
    const handle = await this.engine.resume(runId, p, parsed);
    return handle.result;
  }

  /**
   * The definitions this workspace knows — those registered with {@link register} and those it ran —
   * in the order they were first registered: what `resume(runId)` finds a run's definition in, and
   * what tools that inspect a workspace (the CLI's `pipelines graph`) read the graphs from.
   *
   * @example
   * ```ts
   * for (const p of ws.pipelines.definitions()) console.log(p.graph().toString());
   * ```
   */
  definitions(): AnyPipeline[] {
    this.open();
    return this.engine.registered();
  }

  /**
   * Attaches the workspace's executor so that tasks delivered to this process run here. Runs do
   * this on their own; a worker process of a distributed executor, which starts no runs, calls it
   * once after registering its pipelines.
   *
   * @example
   * ```ts
   * // `queueExecutor` is a distributed Executor that takes tasks in this process, such as
   * // bullmqExecutor({ connection, worker: true }) from mlcycle/bullmq (whose startWorker does all this).
   * const worker = await openWorkspace(dir, { executor: queueExecutor });
   * worker.pipelines.register(trainPipeline);
   * await worker.pipelines.startWorker();
   * ```
   */
  async startWorker(): Promise<void> {
    this.open();
    await this.engine.executor();
  }

  /** Cancels a running run; true when it was running. Running steps see `ctx.signal` abort. */
  async cancel(runId: string): Promise<boolean> {
    this.open();
    checkRunId(runId);
    return this.engine.cancel(runId);
  }

  /** A run's record and its step records; `NOT_FOUND` when unknown. */
  async get(runId: string): Promise<{ run: PipelineRunRecord; steps: StepRunRecord[] }> {
    this.open();
    checkRunId(runId);
    const run = await this.metadata.pipelines.getRun(runId);
    if (!run) throw notFound("pipeline run", runId);
    return { run, steps: await this.metadata.pipelines.listSteps(runId) };
  }

  /** Runs, newest first. */
  async list(filter: PipelineRunFilter = {}): Promise<PipelineRunRecord[]> {
    this.open();
    const parsed = parseOptions(listFilterSchema, filter, "run filter");
    return this.metadata.pipelines.listRuns(parsed);
  }

  /** One step run's record; `NOT_FOUND` when it has none. */
  async stepRun(runId: string, step: string): Promise<StepRunRecord> {
    this.open();
    checkRunId(runId);
    checkStepName(step);
    const rec = await this.metadata.pipelines.getStep(runId, step);
    if (!rec) throw notFound("step run", `${runId}/${step}`);
    return rec;
  }

  /**
   * The output of a step of a run, read from the store (inline or through its serializer from the
   * artifact store). `NOT_FOUND` when the step has no output.
   *
   * @example
   * ```ts
   * const model = await ws.pipelines.output(p, runId, "fit"); // typed by the pipeline
   * ```
   */
  output(runId: string, step: string): Promise<unknown>;
  output<T extends AnyPipeline, K extends keyof PipelineOutputs<T> & string>(
    p: T,
    runId: string,
    step: K,
  ): Promise<PipelineOutputs<T>[K]>;
  async output(a: string | AnyPipeline, b: string, c?: string): Promise<unknown> {
    this.open();
    const [p, id, name] = typeof a === "string" ? [undefined, a, b] : [a, b, c];
    if (p !== undefined) checkPipeline(p);
    const runId = checkRunId(id);
    const step = checkStepName(name);
    if (p) this.engine.register(p);
    const rec = await this.metadata.pipelines.getStep(runId, step);
    if (!rec) throw notFound("step run", `${runId}/${step}`);
    if (!rec.output)
      throw new MlcycleError("NOT_FOUND", `step '${step}' of run '${runId}' has no output (it is ${rec.status})`, {
        details: { kind: "step output", key: `${runId}/${step}` },
      });
    let stepDef: AnyPipeline["nodes"][number]["step"] | undefined;
    const run = await this.metadata.pipelines.getRun(runId);
    if (run) {
      const def = this.engine.registered().find((x) => x.name === run.pipeline && x.version === run.version);
      stepDef = def?.nodes.find((n) => n.name === step)?.step;
    }
    return this.engine.outputs.read(rec.output, stepDef);
  }

  /**
   * Says why a step run hit or missed the cache: its key's components and, for a miss, which of
   * them differ from the closest earlier entry of the same step.
   */
  async explainCache(runId: string, step: string): Promise<CacheExplanation> {
    this.open();
    checkRunId(runId);
    checkStepName(step);
    const store = this.metadata.pipelines;
    const rec = await store.getStep(runId, step);
    if (!rec) throw notFound("step run", `${runId}/${step}`);
    const base: CacheExplanation = { runId, step, status: rec.status, hit: rec.cacheHit, reason: "", differences: [] };
    if (rec.cacheKey) base.key = rec.cacheKey;
    if (rec.cacheComponents) base.components = rec.cacheComponents;
    const cur = rec.cacheComponents;
    if (!cur) {
      base.reason =
        rec.status === "skipped"
          ? "the step was skipped; no key was computed"
          : `no cache key was recorded (the step is ${rec.status}${rec.error ? `: ${rec.error.message}` : ""})`;
      return base;
    }
    const entries = await store.listCache(cur.step, 200);
    if (rec.cacheHit) {
      const used = entries.find((e) => e.key === rec.cacheKey);
      if (used) base.previous = prev(used);
      base.reason = `hit: the same step, version, input, params read and serializer were stored by run '${used?.runId ?? "?"}'`;
      return base;
    }
    const earlier = entries.filter((e) => !(e.runId === runId && e.key === rec.cacheKey));
    if (earlier.length) {
      let best = earlier[0]!;
      let bestDiff = diffComponents(best.components, cur);
      for (const e of earlier.slice(1)) {
        const d = diffComponents(e.components, cur);
        if (d.length < bestDiff.length) {
          best = e;
          bestDiff = d;
        }
      }
      base.previous = prev(best);
      base.differences = bestDiff;
    }
    const best = base.previous;
    if (rec.reason) base.reason = `miss: ${rec.reason}`;
    else if (!best) base.reason = `miss: no earlier cache entry for step '${cur.step}'`;
    else if (base.differences.length)
      base.reason = `miss: differs from the closest earlier entry (run '${best.runId}') in ${base.differences.map((d) => d.component).join(", ")}`;
    else base.reason = `miss: the same key was stored by run '${best.runId}' while this step ran`;
    return base;
  }

  /** Removes cache entries of a step (by the step's own name) or all; returns how many. */
  async clearCache(step?: string): Promise<number> {
    this.open();
    if (step !== undefined) checkStepName(step);
    return this.metadata.pipelines.clearCache(step);
  }

  /**
   * Runs a pipeline on a cron schedule. Overlap policy `skip` (default) drops a firing while the
   * previous run goes on; `queue` runs it afterwards. Stopped by `trigger.stop()` or `ws.close()`.
   *
   * @example
   * ```ts
   * ws.pipelines.schedule(train, { cron: "0 3 * * *", params: { lr: 0.1 } }); // 03:00 daily
   * ```
   */
  schedule<T extends AnyPipeline>(p: T, options: ScheduleOptions<T>): Trigger {
    this.open();
    checkPipeline(p);
    if (options === null || typeof options !== "object") throw invalid(["options"], "must be an object with `cron`");
    parseOptions(scheduleOptionsSchema, options, "schedule options");
    if (options.params !== undefined && typeof options.params !== "function") checkParams(p, options.params);
    this.engine.register(p);
    return this.triggerSet.cron(
      options.cron,
      async (source) => {
        const params = typeof options.params === "function" ? (options.params as () => unknown)() : options.params;
        const h = await this.engine.start(p, params, { ...options.run, trigger: source });
        return { runId: h.runId, done: h.result };
      },
      options,
    );
  }

  /**
   * Runs a pipeline on each workspace event of a name — a monitor alert, new feature data, any
   * event emitted on `ws.events` — with an overlap policy.
   *
   * @example
   * ```ts
   * ws.pipelines.onEvent(train, "monitor.alert", { params: (alert) => ({ reason: alert.kind }), overlap: "queue" });
   * ```
   */
  onEvent<T extends AnyPipeline>(p: T, event: TriggerEventName<E>, options: EventTriggerOptions<T> = {}): Trigger {
    this.open();
    checkPipeline(p);
    if (typeof event !== "string" || event.length === 0) throw invalid(["event"], "must be an event name");
    parseOptions(eventTriggerOptionsSchema, options, "event trigger options");
    this.engine.register(p);
    return this.triggerSet.event(
      event,
      async (source, payload) => {
        const params = options.params ? options.params(payload) : undefined;
        const h = await this.engine.start(p, params, { ...options.run, trigger: source });
        return { runId: h.runId, done: h.result };
      },
      options,
    );
  }

  /** The live triggers of this workspace (none once it is closed: `close()` stops them). */
  triggers(): Trigger[] {
    return this.triggerSet.list();
  }

  /** Throws the closed-workspace error once {@link close} has begun. */
  private open(): void {
    if (this.closed) throw closedError();
  }

  /** Stops triggers, waits for runs in progress in this process, releases the executor it made. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.triggerSet.close();
    await this.engine.idle();
    await this.engine.closeExecutor();
  }
}

function prev(e: { key: string; runId: string; createdAt: number; expiresAt?: number }) {
  return {
    key: e.key,
    runId: e.runId,
    createdAt: e.createdAt,
    ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}),
  };
}

/** Params are the pipeline's schema's to check; without a schema they must be an object (or omitted). */
function checkParams(p: AnyPipeline, params: unknown): void {
  if (p.paramsSchema || params === undefined) return;
  if (params === null || typeof params !== "object" || Array.isArray(params))
    throw invalid(["params"], `pipeline '${p.name}' declares no params schema: params must be an object or omitted`);
}

import { lineageIds } from "../lineage/external-ids.js";
import { fromZodError, isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import { hashValue, sha256 } from "../core/hash.js";
import { newId } from "../core/ids.js";
import { checkName } from "../core/validation.js";
import {
  COMPLETED_STEP_STATUSES,
  type CacheEntry,
  type OutputRef,
  type PipelineRunRecord,
  type PipelineRunStatus,
  type PipelineStore,
  type StepRunRecord,
  type StepRunStatus,
  type StoredError,
} from "../stores/pipeline-store.js";
import { putLineageBatch } from "../stores/lineage-store.js";
import type { LineageBatchEdge } from "../stores/lineage-store.js";
import type { WorkspaceContext } from "../workspace-context.js";
import { baseCacheKey, cacheKey, entryMatches, inputHash, paramHashes } from "./cache-key.js";
import type { Executor, StepTask } from "../stores/executor.js";
import { inProcessExecutor } from "../stores/in-process-executor.js";
import type { AnyPipeline, PipelineNode } from "./pipeline.js";
import { readRef, resolveTemplate } from "./refs.js";
import { backoffDelay, defaultRetryOn } from "./retry.js";
import {
  AUTO_SERIALIZER,
  builtinSerializer,
  chooseSerializer,
  isPlainJson,
  jsonSerializer,
  type Serializer,
  unknownSerializer,
} from "./serializers.js";
import type { AnyStep, CachePolicy, StepContext } from "./step.js";
import { BufferedStepLogger } from "./step-logger.js";
import { LazyStepRun, type StepRun, type TrackedRun, trackingOf, untrackedRun } from "./step-run.js";
import "./pipeline-events.js";

/** Options of one pipeline run. */
export interface RunOptions {
  /** The run id (default a new ULID); `CONFLICT` when taken. */
  runId?: string;
  /** Whether steps may reuse cached outputs (default true); entries are written either way. */
  cache?: boolean;
  /** Whether step runs are recorded in `ws.lineage` (default true). */
  lineage?: boolean;
  /** Whether the run and its executed steps are logged as tracking runs (default true). */
  tracking?: boolean;
  /** What started the run, stored with it (default `manual`). */
  trigger?: string;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
}

/** The outcome of a pipeline run. */
export interface PipelineRunResult<O = Record<string, unknown>> {
  id: string;
  pipeline: string;
  version: string;
  status: PipelineRunStatus;
  error?: StoredError;
  /** Step records by step name (steps that never started have none). */
  steps: Record<string, StepRunRecord>;
  /** Outputs of the steps that succeeded or were cached. */
  outputs: Partial<O>;
  durationMs: number;
}

/** A run in progress in this process. */
export interface RunHandle<O = Record<string, unknown>> {
  runId: string;
  /** Settles when the run ends (it never rejects for a step failure: read `status`). */
  result: Promise<PipelineRunResult<O>>;
}

interface ActiveRun {
  id: string;
  pipeline: AnyPipeline;
  params: unknown;
  startedAt: number;
  controller: AbortController;
  cancelled: boolean;
  values: Map<string, unknown>;
  statuses: Map<string, StepRunStatus>;
  artifactIds: Map<string, string>;
  trackingRunId?: string;
  contextId?: string;
  /** The run's stored options (cache, lineage, tracking). */
  options: NonNullable<PipelineRunRecord["options"]>;
  /** Rejects when the run is cancelled. */
  gone?: Promise<never>;
  /** A frozen copy of the params, shared by the run's steps. */
  frozenParams?: unknown;
  /** True when the run was resumed (its completed steps are read from the store). */
  resumed?: boolean;
  /** Steps whose task is being run by this process now. */
  handling: Set<string>;
  /**
   * Set by the scheduler: called when a step's outcome has been handed to the store but is not yet
   * committed, so its dependants start (and their claims join the same commit on SQLite).
   */
  early?: (step: string) => void;
  /** Per step handed over early: settles true once its outcome is committed, false if it was not. */
  finishing: Map<string, Promise<boolean>>;
}

/** Where step outputs larger than this (JSON text, in characters) go to the artifact store. */
export const DEFAULT_INLINE_LIMIT = 64 * 1024;

const cancelledError = (what: string) => new MlcycleError("CANCELLED", `${what} was cancelled`);

function storedError(error: unknown): StoredError {
  if (error instanceof Error) {
    const e: StoredError = { name: error.name, message: error.message };
    if (error.stack) e.stack = error.stack;
    if (isMlcycleError(error)) e.code = error.code;
    return e;
  }
  return { name: "Error", message: String(error) };
}

function cachePolicy(step: AnyStep): Required<Pick<CachePolicy, "enabled" | "ignoreInputs">> & CachePolicy {
  const c = step.cache;
  if (c === false) return { enabled: false, ignoreInputs: [] };
  if (c === true || c === undefined) return { enabled: true, ignoreInputs: [] };
  return { ...c, enabled: c.enabled ?? true, ignoreInputs: [...(c.ignoreInputs ?? [])].sort() };
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** Params as seen by a step: reads of top-level members are recorded (they join the cache key). */
function recordingParams(params: unknown, read: Set<string>): unknown {
  if (params === null || typeof params !== "object") return params;
  return new Proxy(params as object, {
    get(t, k, r) {
      if (typeof k === "string") read.add(k);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      if (typeof k === "string") read.add(k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      for (const k of Reflect.ownKeys(t)) if (typeof k === "string") read.add(k);
      return Reflect.ownKeys(t);
    },
    set: () => false,
    deleteProperty: () => false,
  });
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
function abandonment(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  p.catch(() => undefined);
  return p;
}

/**
 * The pipeline engine of one workspace: schedules a run's graph, hands step tasks to the executor,
 * and runs tasks delivered to this process (claim, condition, cache, retries, timeout, commit,
 * lineage, tracking). Executor-agnostic: everything a task needs is in the stores or the registered
 * definitions.
 */
export class PipelineEngine {
  private readonly definitions = new Map<string, AnyPipeline>();
  private readonly active = new Map<string, ActiveRun>();
  private readonly contexts = new Map<string, string>();
  private executorReady?: Promise<Executor>;
  /** Outputs larger than this many characters of JSON go to the artifact store. */
  inlineLimit = DEFAULT_INLINE_LIMIT;
  /** Claim tokens: unique per engine (random prefix) and per claim (counter). */
  private readonly tokenPrefix = `${newId()}.`;
  private tokenCount = 0;

  constructor(private readonly ctx: WorkspaceContext) {}

  private get store(): PipelineStore {
    return this.ctx.metadata.pipelines;
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  /** The executor: `options.executor`, else an in-process one; attached on first use. */
  executor(): Promise<Executor> {
    this.executorReady ??= (async () => {
      const ex = this.ctx.workspace.options.executor ?? inProcessExecutor();
      await ex.attach((task) => this.runTask(task));
      return ex;
    })();
    return this.executorReady;
  }

  /** Closes the executor when the engine made it (a user-given one is the user's to close). */
  async closeExecutor(): Promise<void> {
    if (!this.executorReady) return;
    const ex = await this.executorReady;
    if (ex !== this.ctx.workspace.options.executor) await ex.close();
  }

  /** Makes a definition known by name and version (resume and remote workers find it so). */
  register(p: AnyPipeline): void {
    const key = `${p.name}@${p.version}`;
    const known = this.definitions.get(key);
    if (known && known !== p) {
      const shape = (x: AnyPipeline) => hashValue(x.graph().edges) + hashValue(x.graph().nodes);
      if (shape(known) !== shape(p))
        throw new MlcycleError(
          "CONFLICT",
          `pipeline '${p.name}' version '${p.version}' is registered with another graph: give the new definition another version`,
        );
    }
    this.definitions.set(key, p);
  }

  /** A registered definition; `NOT_FOUND` naming what to register. */
  definition(name: string, version: string): AnyPipeline {
    const p = this.definitions.get(`${name}@${version}`);
    if (!p)
      throw notFound(
        "pipeline definition",
        `${name}@${version}`,
        "register it with ws.pipelines.register(p) or pass it to resume(p, runId)",
      );
    return p;
  }

  /** Registered definitions. */
  registered(): AnyPipeline[] {
    return [...this.definitions.values()];
  }

  /** Validates params, records the run and starts driving it. */
  async start(p: AnyPipeline, params: unknown, options: RunOptions = {}): Promise<RunHandle<any>> {
    this.register(p);
    let parsed: unknown = params ?? {};
    if (p.paramsSchema) {
      const r = p.paramsSchema.safeParse(params ?? {});
      if (!r.success) throw fromZodError(r.error, `params of pipeline '${p.name}'`);
      parsed = r.data;
    }
    const id = options.runId ?? newId(this.now());
    checkName("runId", id, 64);
    const now = this.now();
    const record: PipelineRunRecord = {
      id,
      pipeline: p.name,
      version: p.version,
      status: "running",
      params: parsed,
      trigger: options.trigger ?? "manual",
      createdAt: now,
      updatedAt: now,
    };
    const stored: NonNullable<PipelineRunRecord["options"]> = {};
    for (const k of ["cache", "lineage", "tracking"] as const) if (options[k] === false) stored[k] = false;
    if (Object.keys(stored).length) record.options = stored;
    await this.store.createRun(record);
    const active = this.activate(id, p, parsed, now, options.signal);
    active.options = stored;
    return { runId: id, result: this.drive(active, record, false) };
  }

  /** Re-runs what did not complete in a run; completed steps are kept and reused. */
  async resume(runId: string, p?: AnyPipeline, options: { signal?: AbortSignal } = {}): Promise<RunHandle<any>> {
    if (this.active.has(runId))
      throw new MlcycleError("PRECONDITION", `pipeline run '${runId}' is still running in this process`);
    const record = await this.store.getRun(runId);
    if (!record) throw notFound("pipeline run", runId);
    if (p) {
      if (p.name !== record.pipeline || p.version !== record.version)
        throw new MlcycleError(
          "CONFLICT",
          `run '${runId}' was made by pipeline '${record.pipeline}' version '${record.version}', not '${p.name}' version '${p.version}'`,
        );
      this.register(p);
    }
    const def = this.definition(record.pipeline, record.version);
    await this.store.resetIncomplete(runId, this.now());
    const active = this.activate(runId, def, record.params, this.now(), options.signal);
    active.resumed = true;
    if (record.trackingRunId) active.trackingRunId = record.trackingRunId;
    active.options = record.options ?? {};
    return { runId, result: this.drive(active, { ...record, status: "running" }, true) };
  }

  /** Cancels a run: running steps see their signal abort, nothing new starts. */
  async cancel(runId: string): Promise<boolean> {
    const active = this.active.get(runId);
    const record = await this.store.getRun(runId);
    if (!record) throw notFound("pipeline run", runId);
    if (record.status !== "running") return false;
    await this.store.updateRun(runId, { status: "cancelled", updatedAt: this.now() });
    if (active && !active.cancelled) {
      active.cancelled = true;
      active.controller.abort(cancelledError(`pipeline run '${runId}'`));
    }
    return true;
  }

  /** Waits for every run driven by this process to end. */
  async idle(): Promise<void> {
    const pending = [...this.active.values()].map((a) => this.finished.get(a.id));
    await Promise.allSettled(pending);
  }

  private readonly finished = new Map<string, Promise<unknown>>();

  private activate(id: string, p: AnyPipeline, params: unknown, now: number, signal?: AbortSignal): ActiveRun {
    const active: ActiveRun = {
      id,
      pipeline: p,
      params,
      startedAt: now,
      controller: new AbortController(),
      cancelled: false,
      values: new Map(),
      statuses: new Map(),
      artifactIds: new Map(),
      handling: new Set(),
      finishing: new Map(),
      options: {},
    };
    if (signal) {
      const onAbort = () => void this.cancel(id).catch(() => undefined);
      if (signal.aborted) queueMicrotask(onAbort);
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    this.active.set(id, active);
    return active;
  }

  private drive(active: ActiveRun, record: PipelineRunRecord, resumed: boolean): Promise<PipelineRunResult> {
    const promise = this.driveInner(active, record, resumed).finally(() => {
      this.active.delete(active.id);
      this.finished.delete(active.id);
      this.contexts.delete(active.id);
    });
    this.finished.set(active.id, promise);
    return promise;
  }

  private async driveInner(active: ActiveRun, record: PipelineRunRecord, resumed: boolean): Promise<PipelineRunResult> {
    const p = active.pipeline;
    const events = this.ctx.events;
    events.emit("pipeline.run.started", {
      runId: active.id,
      pipeline: p.name,
      version: p.version,
      resumed,
      ...(record.trigger ? { trigger: record.trigger } : {}),
    });
    let parent: TrackedRun | undefined;
    let outcome: { status: PipelineRunStatus; error?: StoredError; failedSteps: string[] } = {
      status: "failed",
      failedSteps: [],
    };
    try {
      const tracking = active.options.tracking === false ? undefined : trackingOf(this.ctx.workspace.experiments);
      if (tracking && active.trackingRunId && tracking.resumeRun) {
        parent = await tracking.resumeRun(active.trackingRunId).catch(() => undefined);
      } else if (tracking && !active.trackingRunId) {
        parent = await tracking.startRun({
          experiment: p.experiment,
          name: `${p.name} ${active.id}`,
          tags: {
            "mlcycle.pipeline": p.name,
            "mlcycle.pipeline_version": p.version,
            "mlcycle.pipeline_run": active.id,
          },
          params: flatParams(active.params),
        });
        active.trackingRunId = parent.id;
        await this.store.updateRun(active.id, { trackingRunId: parent.id });
      }
      if (active.options.lineage !== false) active.contextId = await this.lineageContext(active.id, p, active.params);
      outcome = await this.schedule(active);
    } catch (error) {
      outcome = { status: active.cancelled ? "cancelled" : "failed", error: storedError(error), failedSteps: [] };
    }
    const finishedAt = this.now();
    const patch: Partial<PipelineRunRecord> = { status: outcome.status, finishedAt, updatedAt: finishedAt };
    if (outcome.error) patch.error = outcome.error;
    await this.store.updateRun(active.id, patch);
    if (parent)
      await parent
        .end(outcome.status === "succeeded" ? "finished" : outcome.status === "cancelled" ? "killed" : "failed", {
          ...(outcome.error ? { error: outcome.error.message } : {}),
        })
        .catch(() => undefined);
    const stepList = await this.store.listSteps(active.id);
    const steps: Record<string, StepRunRecord> = {};
    for (const s of stepList) steps[s.step] = s;
    const outputs: Record<string, unknown> = {};
    for (const s of stepList) {
      if (!(s.status === "succeeded" || s.status === "cached")) continue;
      if (active.values.has(s.step)) outputs[s.step] = active.values.get(s.step);
      else if (s.output) outputs[s.step] = await this.readOutput(s.output).catch(() => undefined);
    }
    const durationMs = finishedAt - active.startedAt;
    if (outcome.status === "failed")
      events.emit("pipeline.run.failed", {
        runId: active.id,
        pipeline: p.name,
        error: outcome.error?.message ?? "failed",
        failedSteps: outcome.failedSteps,
        durationMs,
      });
    else
      events.emit("pipeline.run.finished", { runId: active.id, pipeline: p.name, status: outcome.status, durationMs });
    const result: PipelineRunResult = {
      id: active.id,
      pipeline: p.name,
      version: p.version,
      status: outcome.status,
      steps,
      outputs,
      durationMs,
    };
    if (outcome.error) result.error = outcome.error;
    return result;
  }

  /** Dispatches ready steps until nothing more can run. */
  private async schedule(
    active: ActiveRun,
  ): Promise<{ status: PipelineRunStatus; error?: StoredError; failedSteps: string[] }> {
    const p = active.pipeline;
    const done = new Map<string, StepRunStatus>();
    if (active.resumed)
      for (const s of await this.store.listSteps(active.id))
        if (COMPLETED_STEP_STATUSES.includes(s.status)) done.set(s.step, s.status);
    const isComplete = (s: StepRunStatus | undefined) => s !== undefined && COMPLETED_STEP_STATUSES.includes(s);
    // Steps become ready when their last dependency completes: counts, not a rescan per completion.
    const waiting = new Map<string, number>();
    const dependants = new Map<string, string[]>();
    const ready: string[] = [];
    for (const n of p.nodes) {
      if (done.has(n.name)) continue;
      let count = 0;
      for (const d of n.dependsOn) {
        if (isComplete(done.get(d))) continue;
        count++;
        const list = dependants.get(d);
        if (list) list.push(n.name);
        else dependants.set(d, [n.name]);
      }
      waiting.set(n.name, count);
      if (count === 0) ready.push(n.name);
    }
    const complete = (name: string, status: StepRunStatus) => {
      done.set(name, status);
      if (!isComplete(status)) return;
      for (const dep of dependants.get(name) ?? []) {
        const left = waiting.get(dep)! - 1;
        waiting.set(dep, left);
        if (left === 0) ready.push(dep);
      }
    };
    const inflight = new Map<string, Promise<void>>();
    const failedSteps: string[] = [];
    let deliveryError: unknown;
    const executor = await this.executor();
    // Steps this process handed over before their commit: complete for scheduling, checked again
    // when their task settles.
    const provisional = new Set<string>();
    let poke: () => void = () => undefined;
    let woken = new Promise<void>((r) => {
      poke = r;
    });
    active.early = (name) => {
      if (done.has(name)) return;
      provisional.add(name);
      complete(name, "succeeded");
      poke();
    };
    for (;;) {
      while (ready.length && !active.cancelled && failedSteps.length === 0 && deliveryError === undefined) {
        const n = p.getNode(ready.shift()!);
        const skippedDep = n.dependsOn.find((d) => done.get(d) === "skipped");
        if (skippedDep) {
          const reason = `upstream step '${skippedDep}' was skipped`;
          await this.store.putStep({
            runId: active.id,
            step: n.name,
            status: "skipped",
            attempts: 0,
            cacheHit: false,
            reason,
            updatedAt: this.now(),
          });
          complete(n.name, "skipped");
          this.ctx.events.emit("pipeline.step.skipped", { runId: active.id, pipeline: p.name, step: n.name, reason });
          continue;
        }
        const task: StepTask = { runId: active.id, step: n.name, pipeline: p.name, version: p.version };
        const settle = async () => {
          let status = active.statuses.get(n.name);
          if (status === undefined) status = (await this.store.getStep(active.id, n.name))?.status;
          if (!status || !isComplete(status)) failedSteps.push(n.name);
          if (provisional.delete(n.name)) done.set(n.name, status ?? "failed");
          else complete(n.name, status ?? "failed");
        };
        inflight.set(
          n.name,
          executor
            .submit(task)
            .then(settle, (error: unknown) => {
              deliveryError ??= error;
              failedSteps.push(n.name);
              complete(n.name, "failed");
            })
            .finally(() => inflight.delete(n.name)),
        );
      }
      if (inflight.size === 0) break;
      await Promise.race([woken, ...inflight.values()]);
      woken = new Promise<void>((r) => {
        poke = r;
      });
    }
    active.early = undefined;
    if (active.cancelled) {
      const now = this.now();
      for (const n of p.nodes) {
        if (done.has(n.name)) continue;
        await this.store.putStep({
          runId: active.id,
          step: n.name,
          status: "cancelled",
          attempts: 0,
          cacheHit: false,
          reason: "the run was cancelled",
          updatedAt: now,
        });
      }
      return { status: "cancelled", failedSteps };
    }
    if (deliveryError !== undefined) return { status: "failed", error: storedError(deliveryError), failedSteps };
    if (failedSteps.length) {
      const first = await this.store.getStep(active.id, failedSteps[0]!);
      const error: StoredError = first?.error
        ? { ...first.error, message: `step '${failedSteps[0]}' ${first.status}: ${first.error.message}` }
        : { name: "MlcycleError", message: `step '${failedSteps[0]}' did not complete`, code: "INTERNAL" };
      return { status: "failed", error, failedSteps };
    }
    const missing = p.nodes.filter((n) => !done.has(n.name)).map((n) => n.name);
    if (missing.length)
      return {
        status: "failed",
        error: storedError(new MlcycleError("INTERNAL", `steps never became ready: ${missing.join(", ")}`)),
        failedSteps,
      };
    return { status: "succeeded", failedSteps };
  }

  /**
   * Runs one step task (what executors call): claim, condition, input, cache, attempts, commit.
   * Resolves once the outcome is committed; a task whose step is claimed elsewhere does nothing.
   */
  async runTask(task: StepTask): Promise<void> {
    const active = this.active.get(task.runId);
    if (!active) return this.runStep(task, undefined);
    // A duplicate delivery of a step this process already runs or ran would lose the claim: skip
    // it before its inputs are read and a tracking run is opened for nothing.
    if (active.statuses.has(task.step) || active.handling.has(task.step)) return;
    active.handling.add(task.step);
    try {
      await this.runStep(task, active);
    } finally {
      active.handling.delete(task.step);
    }
  }

  private async runStep(task: StepTask, active: ActiveRun | undefined): Promise<void> {
    const p = this.definition(task.pipeline, task.version);
    const node = p.getNode(task.step);
    let params: unknown;
    let runOptions: NonNullable<PipelineRunRecord["options"]> = active?.options ?? {};
    let trackingRunId: string | undefined;
    if (active) {
      params = active.params;
      trackingRunId = active.trackingRunId;
    } else {
      const rec = await this.store.getRun(task.runId);
      if (!rec) throw notFound("pipeline run", task.runId);
      params = rec.params;
      runOptions = rec.options ?? {};
      trackingRunId = rec.trackingRunId;
    }
    const token = `${this.tokenPrefix}${(this.tokenCount++).toString(36)}`;
    const startedAt = this.now();
    // The claim is taken once, when the step is about to write or run: the inputs and the cache
    // lookup are read before it. The step's tracking run is started only if the step uses it.
    let claiming: Promise<boolean> | undefined;
    const claim = () =>
      (claiming ??= this.store
        .claimStep(task.runId, node.name, { token, now: startedAt })
        .then((c) => c !== undefined));
    const events = this.ctx.events;
    const base = { runId: task.runId, pipeline: p.name, step: node.name };
    const logger = new BufferedStepLogger(() => this.now());
    const state = {
      attempts: 0,
      items: undefined as number | undefined,
      trackingRunId: undefined as string | undefined,
    };
    let tracked: LazyStepRun | undefined;
    const commit = (patch: Partial<StepRunRecord> & { status: StepRunStatus }, cache?: CacheEntry) => {
      const now = this.now();
      const rec: Omit<StepRunRecord, "runId" | "step" | "claimToken"> = {
        attempts: state.attempts,
        cacheHit: false,
        startedAt,
        finishedAt: now,
        updatedAt: now,
        ...patch,
      };
      if (state.items !== undefined) rec.items = state.items;
      if (state.trackingRunId) rec.trackingRunId = state.trackingRunId;
      const logs = logger.entries();
      if (logs.length) rec.logs = logs;
      return this.store.completeStep(task.runId, node.name, token, rec, cache).then((ok) => {
        if (ok) active?.statuses.set(node.name, patch.status);
        return ok;
      });
    };
    const lineageOn = runOptions.lineage !== false;
    // Claimed at once: on SQLite the claim then joins the commit of the upstream step's outcome
    // when that step handed this one over before its commit.
    claim().catch(() => undefined);
    try {
      if (active && !(await this.upstreamCommitted(active, node))) return;
      const values =
        this.knownValues(node, params, active) ?? (await this.upstreamValues(task.runId, p, node, params, active));
      if (node.when && !node.when(guardedValues(p, node, values))) {
        if (!(await claim())) return;
        const reason = "condition is false";
        await commit({ status: "skipped", reason });
        events.emit("pipeline.step.skipped", { ...base, reason });
        return;
      }
      const input = this.resolveInput(node, values);
      const policy = cachePolicy(node.step);
      const components = {
        step: node.step.name,
        version: node.version,
        input: inputHash(input, policy.ignoreInputs),
        ignoredInputs: policy.ignoreInputs,
        serializer: node.step.serializer?.id ?? AUTO_SERIALIZER,
      };
      const baseKey = baseCacheKey(components);
      const runCache = runOptions.cache !== false;
      let missReason: string | undefined = !policy.enabled
        ? "caching is off for this step"
        : !runCache
          ? "the run was started with cache: false"
          : undefined;
      if (policy.enabled && runCache) {
        const now = this.now();
        const entries = await this.store.findCache(baseKey);
        const fresh = (e: CacheEntry) =>
          !(e.expiresAt !== undefined && e.expiresAt <= now) &&
          !(policy.expireMs !== undefined && e.createdAt + policy.expireMs <= now);
        const hit = entries.find((e) => fresh(e) && entryMatches(e, params));
        const stale = entries.find((e) => !fresh(e) && entryMatches(e, params));
        if (!hit && stale) missReason = `the entry with the same key (run '${stale.runId}') had expired`;
        if (hit) {
          if (!(await claim())) return;
          const value = await this.readOutput(hit.output, node.step);
          const patch = {
            status: "cached" as const,
            cacheHit: true,
            output: hit.output,
            cacheKey: hit.key,
            cacheComponents: hit.components,
          };
          const [ok] = await Promise.all([
            commit(patch),
            lineageOn ? this.recordLineage(task.runId, p, node, hit.output, "cached", hit.key, active) : undefined,
          ]);
          if (ok) {
            active?.values.set(node.name, value);
            events.emit("pipeline.step.cached", { ...base, cacheKey: hit.key, fromRunId: hit.runId });
          }
          return;
        }
      }
      if (!(await claim())) return;
      const tracking = runOptions.tracking === false ? undefined : trackingOf(this.ctx.workspace.experiments);
      if (tracking)
        tracked = new LazyStepRun(
          (runId) =>
            tracking.startRun({
              runId,
              experiment: p.experiment,
              name: node.name,
              ...(trackingRunId ? { parentRunId: trackingRunId } : {}),
              tags: { "mlcycle.pipeline": p.name, "mlcycle.pipeline_run": task.runId, "mlcycle.step": node.name },
            }),
          () => (state.trackingRunId = newId(this.now())),
        );
      events.emit("pipeline.step.started", {
        ...base,
        ...(node.kind === "map" ? { items: (input as unknown[]).length } : {}),
      });
      const paramsRead = new Set<string>();
      const runSignal = active?.controller.signal ?? new AbortController().signal;
      const gone = active ? (active.gone ??= abandonment(runSignal)) : abandonment(runSignal);
      const output = await this.execute(node, input, {
        params: recordingParams(
          active ? (active.frozenParams ??= deepFreeze(structuredClone(params))) : deepFreeze(structuredClone(params)),
          paramsRead,
        ),
        runId: task.runId,
        run: tracked ?? untrackedRun,
        log: logger,
        signal: runSignal,
        gone,
        state,
        onRetry: (attempt, delayMs, error) =>
          events.emit("pipeline.step.retrying", {
            ...base,
            attempt,
            delayMs,
            error: String(storedError(error).message),
          }),
      });
      // A tracking run the step used but that could not be written fails the step.
      const trackStart = tracked?.started();
      if (trackStart) await trackStart;
      const ref = this.inlineOutput(output, node.step) ?? (await this.writeOutput(output, node.step));
      const full = { ...components, params: paramHashes(params, [...paramsRead].sort()) };
      const key = cacheKey(full);
      const now = this.now();
      const entry: CacheEntry | undefined = policy.enabled
        ? {
            key,
            baseKey,
            step: node.step.name,
            components: full,
            output: ref,
            runId: task.runId,
            createdAt: now,
            ...(policy.expireMs !== undefined ? { expiresAt: now + policy.expireMs } : {}),
          }
        : undefined;
      // The outcome, the tracking run's end and the lineage records are written together (one
      // transaction on SQLite). Lineage is recorded even if another runner took the claim over
      // meanwhile: the execution did happen and produced this output.
      const writing = Promise.all([
        commit(
          {
            status: "succeeded",
            output: ref,
            cacheKey: key,
            cacheComponents: full,
            ...(missReason ? { reason: missReason } : {}),
          },
          entry,
        ),
        tracked?.end("finished").catch(() => undefined),
        lineageOn
          ? this.recordLineage(task.runId, p, node, ref, "succeeded", key, active, state.trackingRunId)
          : undefined,
      ]);
      if (active?.early) {
        // Dependants start now and wait for this commit before they run (see upstreamCommitted).
        const finishing = writing.then(
          ([ok]) => {
            if (ok) this.stepSucceeded(base, now - startedAt, state.attempts);
            else active.values.delete(node.name);
            return ok;
          },
          () => {
            active.values.delete(node.name);
            return false;
          },
        );
        active.finishing.set(node.name, finishing);
        active.values.set(node.name, output);
        active.early(node.name);
      }
      const [ok] = await writing;
      if (ok && !active?.finishing.has(node.name)) {
        active?.values.set(node.name, output);
        this.stepSucceeded(base, now - startedAt, state.attempts);
      }
    } catch (error) {
      // Not claimed: another runner has the step (a failing claim itself rethrows).
      if (!(await claim())) return;
      const status: StepRunStatus = isMlcycleError(error, "TIMEOUT")
        ? "timed_out"
        : isMlcycleError(error, "CANCELLED")
          ? "cancelled"
          : "failed";
      const stored = storedError(error);
      await Promise.all([
        tracked?.end(status === "cancelled" ? "killed" : "failed", { error: stored.message }).catch(() => undefined),
        commit({ status, error: stored }),
      ]);
      if (status === "cancelled")
        events.emit("pipeline.step.finished", {
          ...base,
          status,
          durationMs: this.now() - startedAt,
          attempts: state.attempts,
        });
      else events.emit("pipeline.step.failed", { ...base, status, error: stored.message, attempts: state.attempts });
    }
  }

  private stepSucceeded(base: { runId: string; pipeline: string; step: string }, durationMs: number, attempts: number) {
    this.ctx.events.emit("pipeline.step.finished", { ...base, status: "succeeded", durationMs, attempts });
  }

  /** Waits for the commits of upstream steps handed over early; false when one was not committed. */
  private async upstreamCommitted(active: ActiveRun, node: PipelineNode): Promise<boolean> {
    for (const d of node.dependsOn) {
      const f = active.finishing.get(d);
      if (f && !(await f)) return false;
    }
    return true;
  }

  /** The upstream values when this process holds them all (the usual case), without a store read. */
  private knownValues(
    node: PipelineNode,
    params: unknown,
    active: ActiveRun | undefined,
  ): Record<string, unknown> | undefined {
    if (!active) return undefined;
    const values: Record<string, unknown> = { params };
    for (const d of node.dependsOn) {
      if (!active.values.has(d)) return undefined;
      values[d] = active.values.get(d);
    }
    return values;
  }

  private async upstreamValues(
    runId: string,
    p: AnyPipeline,
    node: PipelineNode,
    params: unknown,
    active: ActiveRun | undefined,
  ): Promise<Record<string, unknown>> {
    const values: Record<string, unknown> = { params };
    for (const d of node.dependsOn) {
      if (active?.values.has(d)) values[d] = active.values.get(d);
      else {
        const rec = await this.store.getStep(runId, d);
        if (!rec?.output) throw new MlcycleError("INTERNAL", `step '${node.name}' needs '${d}', which has no output`);
        const v = await this.readOutput(rec.output, p.getNode(d).step);
        active?.values.set(d, v);
        values[d] = v;
      }
    }
    return values;
  }

  private resolveInput(node: PipelineNode, values: Record<string, unknown>): unknown {
    const parse = (raw: unknown, where: string) => {
      const r = node.step.input.safeParse(raw);
      if (!r.success) throw fromZodError(r.error, where);
      return r.data;
    };
    if (node.kind === "step") {
      const raw = node.input === undefined ? {} : resolveTemplate(node.input, values);
      return parse(raw, `input of step '${node.name}'`);
    }
    const list = readRef(node.over!, values);
    if (!Array.isArray(list))
      throw new MlcycleError(
        "VALIDATION",
        `map step '${node.name}': '${node.over}' is not a list (got ${typeof list})`,
      );
    const scope: Record<string, unknown> = { ...values };
    return list.map((item, i) => {
      scope.$item = item;
      scope.$index = i;
      return parse(resolveTemplate(node.input, scope), `input of step '${node.name}' item ${i}`);
    });
  }

  private async execute(
    node: PipelineNode,
    input: unknown,
    env: {
      params: unknown;
      runId: string;
      run: StepRun;
      log: BufferedStepLogger;
      signal: AbortSignal;
      /** Rejects when `signal` aborts (one per run, so steps add no listener each). */
      gone: Promise<never>;
      state: { attempts: number; items?: number };
      onRetry: (attempt: number, delayMs: number, error: unknown) => void;
    },
  ): Promise<unknown> {
    const step = node.step;
    const workspace = this.ctx.workspace;
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
          return await this.attempt(step, signal, gone, (s) => {
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
  private async attempt(
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

  /** Stores an output: inline when small plain JSON, else through a serializer into the artifact store. */
  /** The reference of an output stored inline (small plain JSON, no serializer), else undefined. */
  private inlineOutput(value: unknown, step: AnyStep): OutputRef | undefined {
    if (step.serializer || value === undefined || !isPlainJson(value)) return undefined;
    const text = JSON.stringify(value);
    return text.length <= this.inlineLimit ? { kind: "inline", value, hash: sha256(text) } : undefined;
  }

  async writeOutput(value: unknown, step: AnyStep): Promise<OutputRef> {
    let serializer: Serializer<any> | undefined = step.serializer;
    if (!serializer) {
      if (value === undefined) return { kind: "inline", value: null, hash: hashValue(null) };
      if (isPlainJson(value)) {
        const text = JSON.stringify(value);
        // The JSON text is already at hand: its digest identifies the content (lineage uses it).
        if (text.length <= this.inlineLimit) return { kind: "inline", value, hash: sha256(text) };
        serializer = jsonSerializer;
      } else serializer = chooseSerializer(value);
    }
    const bytes = serializer.serialize(value);
    const info = await this.ctx.artifacts.put(bytes);
    return { kind: "artifact", digest: info.digest, size: info.size, serializer: serializer.id, hash: info.digest };
  }

  /** Reads a stored output back. */
  async readOutput(ref: OutputRef, step?: AnyStep): Promise<unknown> {
    if (ref.kind === "inline") return ref.value;
    const serializer =
      (step?.serializer?.id === ref.serializer ? step.serializer : undefined) ??
      builtinSerializer(ref.serializer) ??
      this.findSerializer(ref.serializer);
    if (!serializer) throw unknownSerializer(ref.serializer);
    return serializer.deserialize(await this.ctx.artifacts.get(ref.digest));
  }

  private findSerializer(id: string): Serializer<any> | undefined {
    for (const p of this.definitions.values())
      for (const n of p.nodes) if (n.step.serializer?.id === id) return n.step.serializer;
    return undefined;
  }

  private async lineageContext(runId: string, p: AnyPipeline, params?: unknown): Promise<string> {
    const known = this.contexts.get(runId);
    if (known) return known;
    const properties: Record<string, unknown> = { pipeline: p.name, version: p.version, runId };
    if (params !== undefined) {
      // The params a run used, with the context when small (their hash always).
      const text = JSON.stringify(params ?? null);
      properties.paramsHash = hashValue(params ?? null);
      if (text.length <= 8192) properties.params = params;
    }
    const node = await this.ctx.metadata.lineage.putNode({
      kind: "context",
      type: "pipeline_run",
      name: `${p.name}/${runId}`,
      externalId: lineageIds.pipelineRun(runId),
      properties,
    });
    if (this.contexts.size > 1000) this.contexts.clear();
    this.contexts.set(runId, node.id);
    return node.id;
  }

  /** Records a step run as an execution with its input and output artifacts in the run's context. */
  private async recordLineage(
    runId: string,
    p: AnyPipeline,
    node: PipelineNode,
    output: OutputRef,
    status: StepRunStatus,
    key: string,
    active: ActiveRun | undefined,
    trackingRunId?: string,
  ): Promise<void> {
    const store = this.ctx.metadata.lineage;
    const contextId = active?.contextId ?? (await this.lineageContext(runId, p));
    const slots = new Map<string, string[]>();
    for (const e of node.edges) {
      if (e.kind === "control" || e.from === "params") continue;
      const list = slots.get(e.from);
      if (list) list.push(e.toPath);
      else slots.set(e.from, [e.toPath]);
    }
    // Execution (0), output artifact (1) and their edges, written at once.
    const edges: LineageBatchEdge[] = [
      { type: "event", from: 0, to: 1, direction: "output", slot: "output" },
      { type: "association", from: 0, to: contextId },
      { type: "attribution", from: 1, to: contextId },
    ];
    for (const [from, paths] of slots) {
      let artId = active?.artifactIds.get(from);
      if (!artId) {
        const rec = await this.store.getStep(runId, from);
        if (rec?.output) artId = (await store.findByExternalId("artifact", `step_output:${rec.output.hash}`))?.id;
      }
      if (artId) edges.push({ type: "event", from: 0, to: artId, direction: "input", slot: paths.join(",") });
    }
    const [, art] = await putLineageBatch(
      store,
      [
        {
          kind: "execution",
          type: "step_run",
          name: node.name,
          externalId: lineageIds.stepRun(runId, node.name),
          properties: {
            pipeline: p.name,
            pipelineRunId: runId,
            step: node.step.name,
            version: node.version,
            status,
            cacheKey: key,
            ...(trackingRunId ? { trackingRunId } : {}),
          },
        },
        {
          kind: "artifact",
          type: "step_output",
          name: `${p.name}/${node.name}`,
          externalId: lineageIds.stepOutput(output.hash),
          ...(output.kind === "artifact" ? { digest: output.digest } : {}),
          properties:
            output.kind === "artifact" ? { serializer: output.serializer, size: output.size } : { inline: true },
        },
      ],
      edges,
    );
    active?.artifactIds.set(node.name, art!.id);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as any).then === "function";
}

/** What a condition may read: params and the node's dependencies; any other step is an error. */
function guardedValues(p: AnyPipeline, node: PipelineNode, values: Record<string, unknown>): unknown {
  return new Proxy(values, {
    get(t, k) {
      if (typeof k === "string" && !(k in t) && p.nodes.some((n) => n.name === k))
        throw new MlcycleError(
          "PRECONDITION",
          `the condition of step '${node.name}' reads '${k}', which is not among its dependencies: add it to 'after'`,
        );
      return Reflect.get(t, k);
    },
  });
}

/** Top-level params as tracking params (objects as JSON text; nulls and over-long values left out). */
function flatParams(params: unknown): Record<string, string | number | boolean> {
  if (params === null || typeof params !== "object" || Array.isArray(params)) return {};
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    const value = typeof v === "object" ? JSON.stringify(v) : typeof v === "bigint" ? String(v) : v;
    if (typeof value === "string" && value.length > 6000) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[k] = value;
  }
  return out;
}

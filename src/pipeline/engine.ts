import type { EventBus } from "../core/events.js";
import { fromZodError, MlcycleError, notFound } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { checkName } from "../core/validation.js";
import type { Executor, StepDelivery, StepTask } from "../stores/executor.js";
import { inProcessExecutor } from "../stores/in-process-executor.js";
import {
  COMPLETED_STEP_STATUSES,
  type PipelineRunRecord,
  type PipelineStore,
  type StepRunStatus,
  type StoredError,
} from "../stores/pipeline-store.js";
import type { AnyPipeline } from "./pipeline.js";
import { PipelineDefinitions } from "./pipeline-definitions.js";
import type { PipelineEvents } from "./pipeline-events.js";
import { PipelineLineage } from "./pipeline-lineage.js";
import type {
  ActiveRun,
  PipelineRunResult,
  RunHandle,
  RunOptions,
  RunOutcome,
  StoredRunOptions,
} from "./pipeline-run-types.js";
import { parseOptions, pipelineSettingsSchema } from "./pipeline-option-schemas.js";
import type { PipelinesOptions } from "./pipelines-options.js";
import { DEFAULT_LEASE_MS, RunLeases, takenOverError } from "./run-lease.js";
import { readRunSteps, storedRunResult } from "./run-result.js";
import { prepareResume } from "./run-resume.js";
import { endRunTracking, openRunTracking } from "./run-tracking.js";
import { StepOutputs } from "./step-output.js";
import type { TrackedRun } from "./step-run.js";
import { StepRunner } from "./step-runner.js";
import { abortedError, cancelledError, storedError } from "./stored-error.js";
import { checkValue } from "./value-guard.js";

export { DEFAULT_LEASE_MS } from "./run-lease.js";

/**
 * The pipeline engine of one workspace: the run lifecycle (start, resume, cancel, the run's
 * tracking run and lineage context) and scheduling (ready steps handed to the executor). Tasks
 * delivered to this process run through the {@link StepRunner}. Executor-agnostic: everything a
 * task needs is in the stores or the registered definitions.
 */
export class PipelineEngine {
  private readonly definitions = new PipelineDefinitions();
  private readonly active = new Map<string, ActiveRun>();
  private executorReady?: Promise<Executor>;
  /** Writes and reads step outputs (inline or in the artifact store). */
  readonly outputs: StepOutputs;
  private readonly lineage: PipelineLineage;
  private readonly runner: StepRunner;
  private readonly events: EventBus<PipelineEvents>;
  private readonly leases: RunLeases;

  constructor(private readonly options: PipelinesOptions) {
    this.events = options.events;
    const leaseMs =
      parseOptions(pipelineSettingsSchema, options.settings, "pipeline settings").leaseMs ?? DEFAULT_LEASE_MS;
    this.leases = new RunLeases(() => this.store, options.clock, leaseMs);
    this.outputs = new StepOutputs(options.artifacts, (id) => this.definitions.findSerializer(id));
    this.lineage = new PipelineLineage(options.metadata.lineage, options.metadata.pipelines);
    this.runner = new StepRunner({
      metadata: options.metadata,
      events: this.events,
      clock: options.clock,
      tracking: options.tracking,
      workspace: options.workspace,
      outputs: this.outputs,
      lineage: this.lineage,
      definition: (name, version) => this.definition(name, version),
      active: (runId) => this.active.get(runId),
    });
  }

  private get store(): PipelineStore {
    return this.options.metadata.pipelines;
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** The executor: `options.executor`, else an in-process one; attached on first use. */
  executor(): Promise<Executor> {
    this.executorReady ??= (async () => {
      const ex = this.options.executor ?? inProcessExecutor();
      await ex.attach((task, delivery) => this.runner.runTask(task, delivery));
      return ex;
    })();
    return this.executorReady;
  }

  /** Closes the executor when the engine made it (a user-given one is the user's to close). */
  async closeExecutor(): Promise<void> {
    if (!this.executorReady) return;
    const ex = await this.executorReady;
    if (ex !== this.options.executor) await ex.close();
  }

  /** Makes a definition known by name and version (resume and remote workers find it so). */
  register(p: AnyPipeline): void {
    this.definitions.register(p);
  }

  /** A registered definition; `NOT_FOUND` naming what to register. */
  definition(name: string, version: string): AnyPipeline {
    return this.definitions.get(name, version);
  }

  /** Registered definitions. */
  registered(): AnyPipeline[] {
    return this.definitions.all();
  }

  /** Validates params, records the run and starts driving it. */
  async start(p: AnyPipeline, params: unknown, options: RunOptions = {}): Promise<RunHandle<any>> {
    if (options.signal?.aborted) throw abortedError(`a run of pipeline '${p.name}'`, options.signal);
    this.register(p);
    checkValue(params, "params", { bigint: true });
    let parsed: unknown = params ?? {};
    if (p.paramsSchema) {
      const r = p.paramsSchema.safeParse(params ?? {});
      if (!r.success) throw fromZodError(r.error, `params of pipeline '${p.name}'`);
      parsed = r.data;
      // A schema may add or transform values (defaults, z.any() passing anything on).
      checkValue(parsed, "params", { bigint: true });
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
      lease: this.leases.lease(now),
    };
    const stored: StoredRunOptions = {};
    for (const k of ["cache", "lineage", "tracking"] as const) if (options[k] === false) stored[k] = false;
    if (Object.keys(stored).length) record.options = stored;
    await this.store.createRun(record);
    const active = this.activate(id, p, parsed, now, options.signal);
    active.options = stored;
    return { runId: id, result: this.drive(active, record, false) };
  }

  /**
   * Re-runs what did not complete in a run; completed steps are kept and reused. A `succeeded` run
   * is returned as it is; a `running` run whose driver's lease is live is `CONFLICT`; with an
   * aborted signal nothing is changed (`CANCELLED`).
   */
  async resume(runId: string, p?: AnyPipeline, options: { signal?: AbortSignal } = {}): Promise<RunHandle<any>> {
    const plan = await prepareResume(
      {
        store: this.store,
        leases: this.leases,
        isActive: (id) => this.active.has(id),
        register: (def) => this.register(def),
        definition: (name, version) => this.definition(name, version),
      },
      runId,
      p,
      options.signal,
    );
    const { record, pipeline: def } = plan;
    if (plan.succeeded) return { runId, result: storedRunResult(this.store, this.outputs, record, def) };
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
      handling: new Map(),
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
    const stopLease = this.leases.keep(active);
    const promise = this.driveInner(active, record, resumed).finally(() => {
      stopLease();
      this.active.delete(active.id);
      this.finished.delete(active.id);
      this.lineage.forget(active.id);
    });
    this.finished.set(active.id, promise);
    return promise;
  }

  private async driveInner(active: ActiveRun, record: PipelineRunRecord, resumed: boolean): Promise<PipelineRunResult> {
    const p = active.pipeline;
    const events = this.events;
    events.emit("pipeline.run.started", {
      runId: active.id,
      pipeline: p.name,
      version: p.version,
      resumed,
      ...(record.trigger ? { trigger: record.trigger } : {}),
    });
    let parent: TrackedRun | undefined;
    let outcome: RunOutcome = {
      status: "failed",
      failedSteps: [],
    };
    try {
      const tracking = active.options.tracking === false ? undefined : this.options.tracking;
      parent = await openRunTracking(tracking, active, this.store);
      if (active.options.lineage !== false) active.contextId = await this.lineage.context(active.id, p, active.params);
      outcome = await this.schedule(active);
    } catch (error) {
      outcome = { status: active.cancelled ? "cancelled" : "failed", error: storedError(error), failedSteps: [] };
    }
    const finishedAt = this.now();
    await this.leases.confirm(active, finishedAt);
    if (active.leaseLost)
      outcome = { status: "failed", error: storedError(takenOverError(active.id)), failedSteps: outcome.failedSteps };
    const patch: Partial<PipelineRunRecord> = { status: outcome.status, finishedAt, updatedAt: finishedAt };
    if (outcome.error) patch.error = outcome.error;
    if (!active.leaseLost) await this.store.updateRun(active.id, patch);
    if (parent && !active.leaseLost) await endRunTracking(parent, outcome);
    const { steps, outputs } = await readRunSteps(this.store, this.outputs, active.id, active.values);
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
  private async schedule(active: ActiveRun): Promise<RunOutcome> {
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
      while (
        ready.length &&
        !active.cancelled &&
        !active.leaseLost &&
        failedSteps.length === 0 &&
        deliveryError === undefined
      ) {
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
          this.events.emit("pipeline.step.skipped", { runId: active.id, pipeline: p.name, step: n.name, reason });
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
    // Steps not run here belong to the driver that took the run over: nothing is written for them.
    if (active.leaseLost) return { status: "failed", failedSteps };
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

  /** Runs one step task delivered to this process (see {@link StepRunner.runTask}). */
  runTask(task: StepTask, delivery?: StepDelivery): Promise<void> {
    return this.runner.runTask(task, delivery);
  }
}

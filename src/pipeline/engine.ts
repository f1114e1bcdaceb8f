import type { EventBus } from "../core/events.js";
import { fromZodError, MlcycleError, notFound } from "../core/errors.js";
import { hashValue } from "../core/hash.js";
import { newId } from "../core/ids.js";
import { checkName } from "../core/validation.js";
import type { Executor, StepTask } from "../stores/executor.js";
import { inProcessExecutor } from "../stores/in-process-executor.js";
import {
  COMPLETED_STEP_STATUSES,
  type PipelineRunRecord,
  type PipelineStore,
  type StepRunRecord,
  type StepRunStatus,
  type StoredError,
} from "../stores/pipeline-store.js";
import type { AnyPipeline } from "./pipeline.js";
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
import type { Serializer } from "./serializers.js";
import { StepOutputs } from "./step-output.js";
import type { TrackedRun } from "./step-run.js";
import { StepRunner } from "./step-runner.js";
import { cancelledError, storedError } from "./stored-error.js";
import { checkValue } from "./value-guard.js";

/** Default length of a run driver's lease (see `PipelineSettings.leaseMs`). */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * The pipeline engine of one workspace: the run lifecycle (start, resume, cancel, the run's
 * tracking run and lineage context) and scheduling (ready steps handed to the executor). Tasks
 * delivered to this process run through the {@link StepRunner}. Executor-agnostic: everything a
 * task needs is in the stores or the registered definitions.
 */
export class PipelineEngine {
  private readonly definitions = new Map<string, AnyPipeline>();
  private readonly active = new Map<string, ActiveRun>();
  private executorReady?: Promise<Executor>;
  /** Writes and reads step outputs (inline or in the artifact store). */
  readonly outputs: StepOutputs;
  private readonly lineage: PipelineLineage;
  private readonly runner: StepRunner;
  private readonly events: EventBus<PipelineEvents>;
  /** This engine's id as the holder of run leases. */
  private readonly driverId = newId();
  private readonly leaseMs: number;

  constructor(private readonly options: PipelinesOptions) {
    this.events = options.events;
    this.leaseMs =
      parseOptions(pipelineSettingsSchema, options.settings, "pipeline settings").leaseMs ?? DEFAULT_LEASE_MS;
    this.outputs = new StepOutputs(options.artifacts, (id) => this.findSerializer(id));
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
      await ex.attach((task) => this.runner.runTask(task));
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
      lease: this.lease(now),
    };
    const stored: StoredRunOptions = {};
    for (const k of ["cache", "lineage", "tracking"] as const) if (options[k] === false) stored[k] = false;
    if (Object.keys(stored).length) record.options = stored;
    await this.store.createRun(record);
    const active = this.activate(id, p, parsed, now, options.signal);
    active.options = stored;
    return { runId: id, result: this.drive(active, record, false) };
  }

  private lease(now: number) {
    return { holder: this.driverId, expiresAt: now + this.leaseMs };
  }

  /**
   * Re-runs what did not complete in a run; completed steps are kept and reused. A `succeeded` run
   * is returned as it is; a `running` run whose driver's lease is live is `CONFLICT`; with an
   * aborted signal nothing is changed (`CANCELLED`).
   */
  async resume(runId: string, p?: AnyPipeline, options: { signal?: AbortSignal } = {}): Promise<RunHandle<any>> {
    if (this.active.has(runId))
      throw new MlcycleError("PRECONDITION", `pipeline run '${runId}' is still running in this process`);
    let record = await this.store.getRun(runId);
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
    if (record.status === "succeeded") return { runId, result: this.storedResult(record, def) };
    if (options.signal?.aborted) throw abortedError(`resuming pipeline run '${runId}'`, options.signal);
    if (this.store.acquireRun) {
      const now = this.now();
      const taken = await this.store.acquireRun(runId, this.lease(now), now);
      if (!taken.run) throw notFound("pipeline run", runId);
      if (!taken.acquired) {
        if (taken.run.status === "succeeded") return { runId, result: this.storedResult(taken.run, def) };
        throw leaseConflict(runId, taken.run, now);
      }
      record = taken.run;
    }
    // Taken in this process meanwhile (two resumes at once): the lease is this engine's either way.
    if (this.active.has(runId))
      throw new MlcycleError("PRECONDITION", `pipeline run '${runId}' is still running in this process`);
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

  /** The outcome of a run that has ended, read from the store (what `resume` of a succeeded run gives). */
  private async storedResult(record: PipelineRunRecord, p: AnyPipeline): Promise<PipelineRunResult> {
    const stepList = await this.store.listSteps(record.id);
    const steps: Record<string, StepRunRecord> = {};
    const outputs: Record<string, unknown> = {};
    for (const s of stepList) {
      steps[s.step] = s;
      if ((s.status === "succeeded" || s.status === "cached") && s.output) {
        const def = p.nodes.find((n) => n.name === s.step)?.step;
        outputs[s.step] = await this.outputs.read(s.output, def).catch(() => undefined);
      }
    }
    const result: PipelineRunResult = {
      id: record.id,
      pipeline: record.pipeline,
      version: record.version,
      status: record.status,
      steps,
      outputs,
      durationMs: (record.finishedAt ?? record.updatedAt) - record.createdAt,
    };
    if (record.error) result.error = record.error;
    return result;
  }

  /**
   * Renews the run's lease every third of its length while this process drives it. When another
   * driver has taken the run over (this process stalled past the lease), the run stops here: its
   * steps see their signal abort and nothing more of it is written by this process.
   */
  private keepLease(active: ActiveRun): () => void {
    const renew = this.store.renewLease?.bind(this.store);
    if (!renew) return () => undefined;
    const timer = setInterval(
      () => {
        if (active.leaseLost) return;
        renew(active.id, this.lease(this.now())).then(
          (held) => {
            if (!held) this.loseLease(active);
          },
          () => undefined,
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    timer.unref?.();
    return () => clearInterval(timer);
  }

  private loseLease(active: ActiveRun): void {
    if (active.leaseLost) return;
    active.leaseLost = true;
    active.controller.abort(
      new MlcycleError(
        "CONFLICT",
        `pipeline run '${active.id}' was taken over by another driver after its lease expired`,
      ),
    );
  }

  private drive(active: ActiveRun, record: PipelineRunRecord, resumed: boolean): Promise<PipelineRunResult> {
    const stopLease = this.keepLease(active);
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
      if (active.options.lineage !== false) active.contextId = await this.lineage.context(active.id, p, active.params);
      outcome = await this.schedule(active);
    } catch (error) {
      outcome = { status: active.cancelled ? "cancelled" : "failed", error: storedError(error), failedSteps: [] };
    }
    const finishedAt = this.now();
    // The last check that the run is still this driver's before its end is written.
    if (!active.leaseLost && this.store.renewLease) {
      const held = await this.store.renewLease(active.id, this.lease(finishedAt)).catch(() => true);
      if (!held) this.loseLease(active);
    }
    if (active.leaseLost)
      outcome = {
        status: "failed",
        error: storedError(
          new MlcycleError(
            "CONFLICT",
            `pipeline run '${active.id}' was taken over by another driver after this one's lease expired; its outcome is the new driver's`,
          ),
        ),
        failedSteps: outcome.failedSteps,
      };
    const patch: Partial<PipelineRunRecord> = { status: outcome.status, finishedAt, updatedAt: finishedAt };
    if (outcome.error) patch.error = outcome.error;
    if (!active.leaseLost) await this.store.updateRun(active.id, patch);
    if (parent && !active.leaseLost)
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
      else if (s.output) outputs[s.step] = await this.outputs.read(s.output).catch(() => undefined);
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
  runTask(task: StepTask): Promise<void> {
    return this.runner.runTask(task);
  }

  private findSerializer(id: string): Serializer<any> | undefined {
    for (const p of this.definitions.values())
      for (const n of p.nodes) if (n.step.serializer?.id === id) return n.step.serializer;
    return undefined;
  }
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

/** `CANCELLED` for an operation whose signal was aborted before it began; nothing was written. */
function abortedError(what: string, signal: AbortSignal): MlcycleError {
  return new MlcycleError("CANCELLED", `${what} was cancelled: its signal was aborted before it began`, {
    cause: signal.reason,
  });
}

/** `CONFLICT` for a resume of a run whose driver's lease is live, saying when it expires. */
function leaseConflict(runId: string, run: PipelineRunRecord, now: number): MlcycleError {
  const lease = run.lease;
  const until = lease ? new Date(lease.expiresAt).toISOString() : "?";
  const inMs = lease ? Math.max(0, lease.expiresAt - now) : 0;
  return new MlcycleError(
    "CONFLICT",
    `pipeline run '${runId}' is being driven by another process (lease held until ${until}, in ${inMs} ms): resume it after that if its driver died`,
    {
      details: {
        runId,
        status: run.status,
        ...(lease ? { leaseHolder: lease.holder, leaseExpiresAt: lease.expiresAt } : {}),
      },
    },
  );
}

import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import { isMlcycleError, notFound } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { StepDelivery, StepTask } from "../stores/executor.js";
import { type LineageNode, type LineageStore, putLineageBatch } from "../stores/lineage-store.js";
import type {
  CacheEntry,
  PipelineStore,
  StepClaim,
  StepCommit,
  StepRunRecord,
  StepRunStatus,
} from "../stores/pipeline-store.js";
import { baseCacheKey, cacheKey, entryMatches, inputHash, paramHashes } from "./cache-key.js";
import type { AnyPipeline, PipelineNode } from "./pipeline.js";
import type { PipelineEvents } from "./pipeline-events.js";
import type { PipelineLineage, StepLineage, StepLineageInput } from "./pipeline-lineage.js";
import type { PipelineMetadata } from "./pipelines-options.js";
import type { ActiveRun, StoredRunOptions } from "./pipeline-run-types.js";
import { AUTO_SERIALIZER } from "./serializers.js";
import { abandonment, executeStep } from "./step-attempts.js";
import {
  cachePolicy,
  deepFreeze,
  guardedValues,
  knownValues,
  recordingParams,
  resolveInput,
  upstreamValues,
} from "./step-input.js";
import { BufferedStepLogger } from "./step-logger.js";
import type { StepOutputs } from "./step-output.js";
import { LazyStepRun, type PipelineTracking, type TrackedRun, untrackedRun } from "./step-run.js";
import type { StepWorkspace } from "./step-workspace.js";
import { storedError } from "./stored-error.js";
import { valueProblem } from "./value-guard.js";

/** Where {@link commitStepRecords} writes. */
export interface StepCommitStores {
  pipelines: PipelineStore;
  lineage: LineageStore;
  /** The step's tracking run: its metrics are flushed and its end recorded through tracking's API. */
  trackingRun?: Pick<TrackedRun, "end" | "flush" | "markEnded">;
}

type RunEndStatus = "finished" | "failed" | "killed";

/**
 * Writes a step's records. A store with `commitStep` takes them as one unit (one transaction);
 * otherwise the outcome (`completeStep`), the tracking run's end (its buffered metrics flushed
 * first) and the lineage batch are written side by side. `committed` is the outcome's commit: false
 * when another runner holds the claim. Lineage is written either way — the execution happened.
 */
export async function commitStepRecords(
  stores: StepCommitStores,
  commit: StepCommit,
): Promise<{ committed: boolean; lineage: LineageNode[] }> {
  const store = stores.pipelines;
  const run = commit.trackingRun ? stores.trackingRun : undefined;
  const status = (commit.trackingRun?.patch.status ?? "finished") as RunEndStatus;
  const endOptions = commit.trackingRun?.patch.error !== undefined ? { error: commit.trackingRun.patch.error } : {};
  if (store.commitStep) {
    // The run's end is committed with the outcome: its metrics must be in the store before it.
    await run?.flush?.();
    const result = await store.commitStep(commit);
    // The tracking module still holds the run open (heartbeat, `run.ended`): close it there — without
    // a second write when the commit carried its end; with one when the commit was refused.
    const close = result.committed && run?.markEnded ? run.markEnded(status) : run?.end(status, endOptions);
    await close?.catch(() => undefined);
    return result;
  }
  const [committed, , lineage] = await Promise.all([
    store.completeStep(commit.runId, commit.step, commit.token, commit.record, commit.cache),
    run?.end(status, endOptions).catch(() => undefined),
    commit.lineage ? putLineageBatch(stores.lineage, commit.lineage.nodes, commit.lineage.edges) : [],
  ]);
  return { committed, lineage };
}

/** What the {@link StepRunner} runs with; the engine provides it. */
export interface StepRunnerDeps {
  metadata: PipelineMetadata;
  events: EventBus<PipelineEvents>;
  clock: Clock;
  tracking: PipelineTracking | undefined;
  workspace: StepWorkspace;
  outputs: StepOutputs;
  lineage: PipelineLineage;
  /** A registered definition, or `NOT_FOUND`. */
  definition(name: string, version: string): AnyPipeline;
  /** The run when this process drives it. */
  active(runId: string): ActiveRun | undefined;
}

/**
 * Runs one step task where the executor delivers it: claim, condition, input, cache lookup,
 * attempts, and the commit of the step's records as one {@link StepCommit}.
 */
export class StepRunner {
  /** Claim tokens: unique per runner (random prefix) and per claim (counter). */
  private readonly tokenPrefix = `${newId()}.`;
  private tokenCount = 0;

  constructor(private readonly deps: StepRunnerDeps) {}

  private get store(): PipelineStore {
    return this.deps.metadata.pipelines;
  }

  private now(): number {
    return this.deps.clock.now();
  }

  /**
   * Runs one step task (what executors call). Resolves once the outcome is committed; a task whose
   * step is claimed elsewhere does nothing — unless `delivery.redelivered` says the holder's delivery
   * was abandoned: then the claim is taken over from it.
   */
  async runTask(task: StepTask, delivery?: StepDelivery): Promise<void> {
    const active = this.deps.active(task.runId);
    if (!active) return this.runStep(task, undefined, delivery);
    // A duplicate delivery of a step this process already runs or ran would lose the claim: skip
    // it before its inputs are read and a tracking run is opened for nothing. It settles with the
    // run in progress, so that an executor reporting it done reports the step committed.
    if (active.statuses.has(task.step)) return;
    const running = active.handling.get(task.step);
    if (running) return running;
    const work = this.runStep(task, active, delivery).finally(() => active.handling.delete(task.step));
    active.handling.set(task.step, work);
    return work;
  }

  /**
   * Claims the step; on a redelivery, takes the claim over from a holder whose delivery was
   * abandoned (a `running` record under another token).
   */
  private async takeClaim(task: StepTask, claim: StepClaim, delivery: StepDelivery | undefined): Promise<boolean> {
    const store = this.store;
    if (await store.claimStep(task.runId, task.step, claim)) return true;
    if (!delivery?.redelivered) return false;
    const held = await store.getStep(task.runId, task.step);
    if (held?.status !== "running" || held.claimToken === undefined || held.claimToken === claim.token) return false;
    return (await store.claimStep(task.runId, task.step, { ...claim, replaces: held.claimToken })) !== undefined;
  }

  private async runStep(task: StepTask, active: ActiveRun | undefined, delivery?: StepDelivery): Promise<void> {
    const p = this.deps.definition(task.pipeline, task.version);
    const node = p.getNode(task.step);
    let params: unknown;
    let runOptions: StoredRunOptions = active?.options ?? {};
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
    const claim = () => (claiming ??= this.takeClaim(task, { token, now: startedAt }, delivery));
    const events = this.deps.events;
    const base = { runId: task.runId, pipeline: p.name, step: node.name };
    const logger = new BufferedStepLogger(() => this.now());
    const state = {
      attempts: 0,
      items: undefined as number | undefined,
      trackingRunId: undefined as string | undefined,
    };
    let tracked: LazyStepRun | undefined;
    const commit = async (
      patch: Partial<StepRunRecord> & { status: StepRunStatus },
      extra: { cache?: CacheEntry; lineage?: StepLineage; trackingEnd?: { status: RunEndStatus; error?: string } } = {},
    ): Promise<boolean> => {
      const now = this.now();
      const record: StepCommit["record"] = {
        attempts: state.attempts,
        cacheHit: false,
        startedAt,
        finishedAt: now,
        updatedAt: now,
        ...patch,
      };
      if (state.items !== undefined) record.items = state.items;
      if (state.trackingRunId) record.trackingRunId = state.trackingRunId;
      const logs = logger.entries();
      if (logs.length) record.logs = logs;
      const unit: StepCommit = { runId: task.runId, step: node.name, token, record };
      if (extra.cache) unit.cache = extra.cache;
      if (extra.trackingEnd && tracked?.used && state.trackingRunId) {
        const { status, error } = extra.trackingEnd;
        unit.trackingRun = {
          id: state.trackingRunId,
          patch: { status, endTime: now, ...(error !== undefined ? { error } : {}) },
        };
      }
      if (extra.lineage) unit.lineage = extra.lineage;
      const written = await commitStepRecords(
        {
          pipelines: this.store,
          lineage: this.deps.metadata.lineage,
          ...(tracked ? { trackingRun: tracked } : {}),
        },
        unit,
      );
      if (written.committed) active?.statuses.set(node.name, patch.status);
      const artifact = extra.lineage ? written.lineage[1] : undefined;
      if (artifact) active?.artifactIds.set(node.name, artifact.id);
      return written.committed;
    };
    const lineageOn = runOptions.lineage !== false;
    const stepLineage = (input: StepLineageInput) => this.deps.lineage.stepLineage(input);
    // Claimed at once: on SQLite the claim then joins the commit of the upstream step's outcome
    // when that step handed this one over before its commit.
    claim().catch(() => undefined);
    try {
      if (active && !(await this.upstreamCommitted(active, node))) return;
      const values =
        knownValues(node, params, active) ??
        (await upstreamValues(this.store, this.deps.outputs, task.runId, p, node, params, active));
      if (node.when && !node.when(guardedValues(p, node, values))) {
        if (!(await claim())) return;
        const reason = "condition is false";
        await commit({ status: "skipped", reason });
        events.emit("pipeline.step.skipped", { ...base, reason });
        return;
      }
      const input = resolveInput(node, values);
      const policy = cachePolicy(node.step);
      const components = {
        step: node.step.name,
        version: node.version,
        input: explained(() => inputHash(input, policy.ignoreInputs), input, `input of step '${node.name}'`),
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
        // An entry whose output can no longer be read (its bytes changed or are gone) is a miss: the
        // step runs again and its fresh output replaces the entry.
        const cached = hit ? await this.readCached(hit, node) : undefined;
        if (hit && !cached?.ok) missReason = cached?.reason;
        if (hit && cached?.ok) {
          if (!(await claim())) return;
          const [value, lineage] = await Promise.all([
            cached.value,
            lineageOn
              ? stepLineage({
                  runId: task.runId,
                  pipeline: p,
                  node,
                  output: hit.output,
                  status: "cached",
                  cacheKey: hit.key,
                  active,
                })
              : undefined,
          ]);
          const patch = {
            status: "cached" as const,
            cacheHit: true,
            output: hit.output,
            cacheKey: hit.key,
            cacheComponents: hit.components,
          };
          const ok = await commit(patch, lineage ? { lineage } : {});
          if (ok) {
            active?.values.set(node.name, value);
            events.emit("pipeline.step.cached", { ...base, cacheKey: hit.key, fromRunId: hit.runId });
          }
          return;
        }
      }
      if (!(await claim())) return;
      const tracking = runOptions.tracking === false ? undefined : this.deps.tracking;
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
      const output = await executeStep(node, input, {
        params: recordingParams(
          active ? (active.frozenParams ??= deepFreeze(structuredClone(params))) : deepFreeze(structuredClone(params)),
          paramsRead,
        ),
        runId: task.runId,
        run: tracked ?? untrackedRun,
        log: logger,
        workspace: this.deps.workspace,
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
      // Serialisers may accept a cycle (structured clone does) that a dependant's cache key cannot
      // hash: refuse it here, where the step that made it is named.
      const problem = valueProblem(output, `output of step '${node.name}'`, { bigint: false });
      if (problem) throw problem;
      const written = this.deps.outputs.write(output, node.step);
      const ref = written instanceof Promise ? await written : written;
      const full = { params: paramHashes(params, [...paramsRead].sort()), ...components };
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
      const lineage = lineageOn
        ? await stepLineage({
            runId: task.runId,
            pipeline: p,
            node,
            output: ref,
            status: "succeeded",
            cacheKey: key,
            active,
            ...(state.trackingRunId ? { trackingRunId: state.trackingRunId } : {}),
          })
        : undefined;
      // The outcome, the tracking run's end and the lineage records go as one unit. Lineage is
      // recorded even if another runner took the claim over meanwhile: the execution did happen
      // and produced this output.
      const writing = commit(
        {
          status: "succeeded",
          output: ref,
          cacheKey: key,
          cacheComponents: full,
          ...(missReason ? { reason: missReason } : {}),
        },
        { trackingEnd: { status: "finished" }, ...(entry ? { cache: entry } : {}), ...(lineage ? { lineage } : {}) },
      );
      if (active?.early) {
        // Dependants start now and wait for this commit before they run (see upstreamCommitted).
        const finishing = writing.then(
          (ok) => {
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
      const ok = await writing;
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
      await commit(
        { status, error: stored },
        { trackingEnd: { status: status === "cancelled" ? "killed" : "failed", error: stored.message } },
      );
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

  /**
   * Reads a cache entry's output. An unreadable one (`INTEGRITY`, `NOT_FOUND`) is reported as a
   * miss; corrupt bytes are deleted first, so that the step's fresh output is written in their place.
   */
  private async readCached(
    hit: CacheEntry,
    node: PipelineNode,
  ): Promise<{ ok: true; value: unknown } | { ok: false; reason: string }> {
    try {
      return { ok: true, value: await this.deps.outputs.read(hit.output, node.step) };
    } catch (error) {
      const code = isMlcycleError(error, "INTEGRITY")
        ? "INTEGRITY"
        : isMlcycleError(error, "NOT_FOUND")
          ? "NOT_FOUND"
          : undefined;
      if (!code) throw error;
      if (code === "INTEGRITY" && hit.output.kind === "artifact")
        await this.deps.outputs.discard(hit.output).catch(() => undefined);
      return {
        ok: false,
        reason: `the cached output of run '${hit.runId}' could not be read (${code}: ${(error as Error).message})`,
      };
    }
  }

  private stepSucceeded(base: { runId: string; pipeline: string; step: string }, durationMs: number, attempts: number) {
    this.deps.events.emit("pipeline.step.finished", { status: "succeeded", durationMs, attempts, ...base });
  }

  /** Waits for the commits of upstream steps handed over early; false when one was not committed. */
  private async upstreamCommitted(active: ActiveRun, node: PipelineNode): Promise<boolean> {
    for (const d of node.dependsOn) {
      const f = active.finishing.get(d);
      if (f && !(await f)) return false;
    }
    return true;
  }
}

/**
 * Runs `work` (hashing a step value); when it throws, the value is walked once to say
 * what is wrong with it (a cycle, nesting too deep) and where. The walk happens only on failure, so
 * the usual step pays nothing for it.
 */
function explained<T>(work: () => T, value: unknown, where: string): T {
  try {
    return work();
  } catch (error) {
    throw valueProblem(value, where, { bigint: false }) ?? error;
  }
}

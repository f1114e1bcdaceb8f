import { MlcycleError, notFound } from "../../core/errors.js";
import { checkBatchEdges, type LineageNode, type LineageStore, putLineageBatch } from "../lineage-store.js";
import {
  COMPLETED_STEP_STATUSES,
  type CacheEntry,
  type PipelineRunFilter,
  type PipelineRunRecord,
  type PipelineStore,
  type RunLease,
  type RunLeaseOutcome,
  type StepClaim,
  type StepCommit,
  type StepRunRecord,
  claimedStep,
} from "../pipeline-store.js";
import type { TrackingStore } from "../tracking-store.js";
import { copyJson as clone } from "./copy-json.js";

/** Options of {@link MemoryPipelineStore}: the stores {@link MemoryPipelineStore.commitStep} also writes. */
export interface MemoryPipelineStoreOptions {
  /** Where a committed step's tracking run is ended (`memoryStore()` passes its own). */
  tracking?: TrackingStore;
  /** Where a committed step's lineage goes (`memoryStore()` passes its own). */
  lineage?: LineageStore;
}

/** The in-memory {@link PipelineStore}: the reference implementation. */
export class MemoryPipelineStore implements PipelineStore {
  private readonly runs = new Map<string, PipelineRunRecord>();
  private readonly steps = new Map<string, Map<string, StepRunRecord>>();
  /** Cache entries by key, in the order they were last written. */
  private readonly cache = new Map<string, CacheEntry>();
  /**
   * Cache keys by base key: usually one, so a short array. Entries by step are found by a scan of
   * {@link cache} (`listCache` and `clearCache` explain and clear; no step writes through them).
   */
  private readonly byBase = new Map<string, string[]>();

  constructor(private readonly options: MemoryPipelineStoreOptions = {}) {}

  private newestFirst(entries: CacheEntry[]): CacheEntry[] {
    return entries.sort((a, b) => b.createdAt - a.createdAt);
  }

  private unindex(e: CacheEntry): void {
    const keys = this.byBase.get(e.baseKey);
    const i = keys ? keys.indexOf(e.key) : -1;
    if (i < 0) return;
    if (keys!.length === 1) this.byBase.delete(e.baseKey);
    else keys!.splice(i, 1);
  }

  async createRun(run: PipelineRunRecord): Promise<void> {
    if (this.runs.has(run.id)) throw new MlcycleError("CONFLICT", `pipeline run '${run.id}' exists already`);
    this.runs.set(run.id, clone(run));
    this.steps.set(run.id, new Map());
  }

  async getRun(id: string) {
    const r = this.runs.get(id);
    return r ? clone(r) : undefined;
  }

  async updateRun(id: string, patch: Partial<PipelineRunRecord>): Promise<void> {
    const r = this.runs.get(id);
    if (!r) throw new MlcycleError("NOT_FOUND", `pipeline run '${id}' not found`);
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (r as any)[k] = clone(v);
  }

  async listRuns(filter: PipelineRunFilter = {}) {
    return [...this.runs.values()]
      .filter(
        (r) =>
          (filter.pipeline === undefined || r.pipeline === filter.pipeline) &&
          (!filter.status || r.status === filter.status),
      )
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, filter.limit ?? 100)
      .map(clone);
  }

  async acquireRun(runId: string, lease: RunLease, now: number): Promise<RunLeaseOutcome> {
    const r = this.runs.get(runId);
    if (!r) return { acquired: false, run: undefined };
    const held = r.lease;
    const free =
      r.status === "failed" ||
      r.status === "cancelled" ||
      (r.status === "running" && (!held || held.expiresAt <= now || held.holder === lease.holder));
    if (!free) return { acquired: false, run: clone(r) };
    r.status = "running";
    r.lease = { holder: lease.holder, expiresAt: lease.expiresAt };
    r.updatedAt = now;
    return { acquired: true, run: clone(r) };
  }

  async renewLease(runId: string, lease: RunLease): Promise<boolean> {
    const r = this.runs.get(runId);
    if (r?.lease?.holder !== lease.holder) return false;
    r.lease = { holder: lease.holder, expiresAt: lease.expiresAt };
    return true;
  }

  async claimStep(runId: string, step: string, claim: StepClaim) {
    const run = this.runs.get(runId);
    if (run?.status !== "running") return undefined;
    const steps = this.steps.get(runId)!;
    const cur = steps.get(step);
    const takeOver = cur?.status === "running" && claim.replaces !== undefined && cur.claimToken === claim.replaces;
    if (cur && cur.status !== "queued" && !takeOver) return undefined;
    const rec = claimedStep(runId, step, claim);
    steps.set(step, rec);
    return { ...rec };
  }

  async completeStep(
    runId: string,
    step: string,
    token: string,
    record: Omit<StepRunRecord, "runId" | "step" | "claimToken">,
    cache?: CacheEntry,
  ) {
    const steps = this.steps.get(runId);
    const cur = steps?.get(step);
    if (!steps || !cur || cur.status !== "running" || cur.claimToken !== token) return false;
    // Written records are never mutated by the engine; reads hand out clones.
    steps.set(step, stepRecord(runId, step, record));
    if (cache) this.insertCache(cache);
    return true;
  }

  private holdsClaim(runId: string, step: string, token: string): boolean {
    const cur = this.steps.get(runId)?.get(step);
    return cur !== undefined && cur.status === "running" && cur.claimToken === token;
  }

  /**
   * Everything that could fail is checked before anything is written (the tracking run exists,
   * every batch edge names a node), so the commit is all-or-nothing.
   */
  async commitStep(c: StepCommit): Promise<{ committed: boolean; lineage: LineageNode[] }> {
    if (!this.holdsClaim(c.runId, c.step, c.token)) return { committed: false, lineage: [] };
    const { tracking, lineage } = this.options;
    if (c.trackingRun) {
      if (!tracking)
        throw new MlcycleError("UNAVAILABLE", "this pipeline store was built without a tracking store to end runs in");
      if (!(await tracking.getRun(c.trackingRun.id))) throw notFound("run", c.trackingRun.id);
    }
    if (c.lineage) {
      if (!lineage)
        throw new MlcycleError("UNAVAILABLE", "this pipeline store was built without a lineage store to write to");
      checkBatchEdges(c.lineage.nodes.length, c.lineage.edges);
    }
    // Checked again: another commit may have taken the step while the tracking run was read.
    if (!this.holdsClaim(c.runId, c.step, c.token)) return { committed: false, lineage: [] };
    this.steps.get(c.runId)!.set(c.step, stepRecord(c.runId, c.step, c.record));
    if (c.cache) this.insertCache(c.cache);
    if (c.trackingRun) await tracking!.updateRun(c.trackingRun.id, c.trackingRun.patch);
    const nodes = c.lineage ? await putLineageBatch(lineage!, c.lineage.nodes, c.lineage.edges) : [];
    return { committed: true, lineage: nodes };
  }

  async putStep(record: StepRunRecord): Promise<void> {
    const steps = this.steps.get(record.runId);
    if (!steps) throw new MlcycleError("NOT_FOUND", `pipeline run '${record.runId}' not found`);
    const cur = steps.get(record.step);
    if (cur && COMPLETED_STEP_STATUSES.includes(cur.status)) return;
    steps.set(record.step, clone(record));
  }

  async getStep(runId: string, step: string) {
    const r = this.steps.get(runId)?.get(step);
    return r ? clone(r) : undefined;
  }

  async listSteps(runId: string) {
    return [...(this.steps.get(runId)?.values() ?? [])].map(clone);
  }

  async resetIncomplete(runId: string, now: number) {
    const run = this.runs.get(runId);
    if (!run) throw new MlcycleError("NOT_FOUND", `pipeline run '${runId}' not found`);
    const steps = this.steps.get(runId)!;
    const reset: string[] = [];
    for (const [name, s] of steps) {
      if (!COMPLETED_STEP_STATUSES.includes(s.status)) {
        steps.delete(name);
        reset.push(name);
      }
    }
    run.status = "running";
    run.updatedAt = now;
    delete run.finishedAt;
    delete run.error;
    return reset;
  }

  async findCache(baseKey: string) {
    const keys = this.byBase.get(baseKey);
    if (!keys) return [];
    return this.newestFirst(keys.map((k) => this.cache.get(k)!)).map(clone);
  }

  async listCache(step: string, limit = 50) {
    const entries: CacheEntry[] = [];
    for (const e of this.cache.values()) if (e.step === step) entries.push(e);
    return this.newestFirst(entries).slice(0, limit).map(clone);
  }

  async putCache(entry: CacheEntry): Promise<void> {
    this.insertCache(entry);
  }

  private insertCache(entry: CacheEntry): void {
    const old = this.cache.get(entry.key);
    if (old) {
      this.unindex(old);
      this.cache.delete(entry.key);
    }
    this.cache.set(entry.key, { ...entry });
    const keys = this.byBase.get(entry.baseKey);
    if (keys) keys.push(entry.key);
    else this.byBase.set(entry.baseKey, [entry.key]);
  }

  async clearCache(step?: string) {
    let n = 0;
    for (const [k, e] of this.cache) {
      if (step === undefined || e.step === step) {
        this.cache.delete(k);
        this.unindex(e);
        n++;
      }
    }
    return n;
  }
}

/**
 * A step's record under its run and name. The outcome is spread last (adding fields to a spread copy
 * is slow in V8); the run and name are set again after it, so a stray field cannot move the record.
 */
function stepRecord(runId: string, step: string, outcome: Omit<StepRunRecord, "runId" | "step">): StepRunRecord {
  const rec: StepRunRecord = { runId, step, ...outcome };
  rec.runId = runId;
  rec.step = step;
  return rec;
}

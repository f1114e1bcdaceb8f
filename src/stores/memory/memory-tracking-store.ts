import { downsampleMinMax } from "../metric-downsample.js";
import { checkMetricHistoryPage } from "../metric-history-page.js";
import { MlcycleError, notFound } from "../../core/errors.js";
import type {
  DatasetInputRecord,
  ExperimentLifecycle,
  ExperimentPatch,
  ExperimentRecord,
  MetricPoint,
  RunArtifactRecord,
  RunPatch,
  RunQuery,
  RunRecord,
  StoredRun,
  TrackingStore,
} from "../tracking-store.js";
import { compareRuns, type EvaluatedRun, matchesFilter } from "./memory-run-filter.js";
import { supersedes } from "../newest-wins.js";

interface Observation {
  value: number;
  step: number;
  timestamp: number;
}

interface RunState {
  record: RunRecord;
  params: Map<string, string>;
  tags: Map<string, string>;
  latest: Map<string, Observation>;
  history: Map<string, Observation[]>;
  artifacts: Map<string, RunArtifactRecord>;
  inputs: DatasetInputRecord[];
}

/** True when `o` replaces `cur` as a metric's latest value: higher step, then later timestamp. */
const isNewer = (o: Observation, cur: Observation) => supersedes(o.step, o.timestamp, cur.step, cur.timestamp);

/** The in-memory {@link TrackingStore}: the reference implementation. */
export class MemoryTrackingStore implements TrackingStore {
  private readonly experiments = new Map<string, ExperimentRecord>();
  private readonly runs = new Map<string, RunState>();

  async createExperiment(experiment: ExperimentRecord): Promise<void> {
    if (this.byName(experiment.name))
      throw new MlcycleError("CONFLICT", `an experiment named '${experiment.name}' already exists`, {
        details: { name: experiment.name },
      });
    if (this.experiments.has(experiment.id))
      throw new MlcycleError("CONFLICT", `experiment id '${experiment.id}' already exists`);
    this.experiments.set(experiment.id, structuredClone(experiment));
  }

  private byName(name: string): ExperimentRecord | undefined {
    for (const e of this.experiments.values()) if (e.name === name) return e;
    return undefined;
  }

  async getExperiment(id: string) {
    const e = this.experiments.get(id);
    return e ? copyExperiment(e) : undefined;
  }

  async getExperimentByName(name: string) {
    const e = this.byName(name);
    return e ? copyExperiment(e) : undefined;
  }

  async listExperiments(options: { lifecycle?: ExperimentLifecycle | "all"; limit?: number }) {
    const lifecycle = options.lifecycle ?? "active";
    return [...this.experiments.values()]
      .filter((e) => lifecycle === "all" || e.lifecycle === lifecycle)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .slice(0, options.limit ?? 1000)
      .map((e) => structuredClone(e));
  }

  async updateExperiment(id: string, patch: ExperimentPatch) {
    const e = this.experiments.get(id);
    if (!e) throw notFound("experiment", id);
    if (patch.name !== undefined && patch.name !== e.name && this.byName(patch.name))
      throw new MlcycleError("CONFLICT", `an experiment named '${patch.name}' already exists`, {
        details: { name: patch.name },
      });
    if (patch.name !== undefined) e.name = patch.name;
    if (patch.description !== undefined) e.description = patch.description;
    if (patch.lifecycle !== undefined) e.lifecycle = patch.lifecycle;
    if (patch.tags !== undefined) e.tags = { ...e.tags, ...patch.tags };
    e.updatedAt = patch.updatedAt;
    return structuredClone(e);
  }

  async createRun(run: RunRecord, params: Record<string, string>, tags: Record<string, string>) {
    if (this.runs.has(run.id)) throw new MlcycleError("CONFLICT", `run '${run.id}' already exists`);
    if (!this.experiments.has(run.experimentId)) throw notFound("experiment", run.experimentId);
    this.runs.set(run.id, {
      record: { ...run },
      params: new Map(Object.entries(params)),
      tags: new Map(Object.entries(tags)),
      latest: new Map(),
      history: new Map(),
      artifacts: new Map(),
      inputs: [],
    });
  }

  private state(id: string): RunState {
    const s = this.runs.get(id);
    if (!s) throw notFound("run", id);
    return s;
  }

  private toStored(s: RunState): StoredRun {
    const metrics: Record<string, number> = {};
    for (const [k, o] of s.latest) metrics[k] = o.value;
    const { lifecycle, ...record } = s.record;
    return {
      ...record,
      ...(lifecycle === "deleted" ? { lifecycle } : {}),
      params: Object.fromEntries(s.params),
      tags: Object.fromEntries(s.tags),
      metrics,
    };
  }

  async getRun(id: string) {
    const s = this.runs.get(id);
    return s ? this.toStored(s) : undefined;
  }

  async updateRun(id: string, patch: RunPatch) {
    const r = this.state(id).record;
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
  }

  async heartbeat(runIds: readonly string[], at: number) {
    for (const id of runIds) {
      const s = this.runs.get(id);
      if (s && s.record.status === "running") s.record.heartbeatAt = at;
    }
  }

  async childRunIds(parentRunId: string) {
    return [...this.runs.values()]
      .filter((s) => s.record.parentRunId === parentRunId)
      .sort((a, b) => a.record.startTime - b.record.startTime || (a.record.id < b.record.id ? -1 : 1))
      .map((s) => s.record.id);
  }

  async logParams(runId: string, params: Record<string, string>) {
    const s = this.state(runId);
    for (const [k, v] of Object.entries(params)) {
      const cur = s.params.get(k);
      if (cur !== undefined && cur !== v)
        throw new MlcycleError(
          "CONFLICT",
          `param '${k}' of run ${runId} is '${cur.slice(0, 100)}'; params are immutable, cannot set '${v.slice(0, 100)}'`,
          { details: { runId, key: k, stored: cur, value: v } },
        );
    }
    for (const [k, v] of Object.entries(params)) s.params.set(k, v);
  }

  async setTags(runId: string, tags: Record<string, string>) {
    const s = this.state(runId);
    for (const [k, v] of Object.entries(tags)) s.tags.set(k, v);
  }

  async deleteTag(runId: string, key: string) {
    this.state(runId).tags.delete(key);
  }

  async logMetrics(points: readonly MetricPoint[]) {
    for (const p of points) this.state(p.runId);
    for (const p of points) {
      const s = this.runs.get(p.runId)!;
      const o = { value: p.value, step: p.step, timestamp: p.timestamp };
      let h = s.history.get(p.key);
      if (!h) s.history.set(p.key, (h = []));
      h.push(o);
      const cur = s.latest.get(p.key);
      if (!cur || isNewer(o, cur)) s.latest.set(p.key, o);
    }
  }

  async metricHistory(runId: string, key: string, range: { startStep?: number; endStep?: number } = {}) {
    const h = this.state(runId).history.get(key) ?? [];
    return h
      .filter(
        (o) =>
          (range.startStep === undefined || o.step >= range.startStep) &&
          (range.endStep === undefined || o.step <= range.endStep),
      )
      .map((o) => ({ ...o }))
      .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  async metricHistoryDownsampled(
    runId: string,
    key: string,
    maxPoints: number,
    range: { startStep?: number; endStep?: number } = {},
  ) {
    return downsampleMinMax(await this.metricHistory(runId, key, range), maxPoints);
  }

  async metricHistoryPage(runId: string, key: string, page: { offset: number; limit: number }) {
    checkMetricHistoryPage(page);
    return (await this.metricHistory(runId, key)).slice(page.offset, page.offset + page.limit);
  }

  async putArtifact(runId: string, artifact: RunArtifactRecord) {
    this.state(runId).artifacts.set(artifact.path, { ...artifact });
  }

  async listArtifacts(runId: string) {
    return [...this.state(runId).artifacts.values()]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((a) => ({ ...a }));
  }

  async getArtifact(runId: string, path: string) {
    const a = this.state(runId).artifacts.get(path);
    return a ? { ...a } : undefined;
  }

  async logInput(runId: string, input: DatasetInputRecord) {
    const s = this.state(runId);
    const ctx = input.context ?? "";
    if (s.inputs.some((i) => i.digest === input.digest && (i.context ?? "") === ctx)) return;
    s.inputs.push(structuredClone(input));
  }

  async listInputs(runId: string) {
    return structuredClone(this.state(runId).inputs);
  }

  async searchRuns(query: RunQuery): Promise<StoredRun[]> {
    const experiments = new Set(query.experimentIds);
    const cache = new Map<string, RegExp>();
    const matched: EvaluatedRun[] = [];
    for (const s of this.runs.values()) {
      if (experiments.size > 0 && !experiments.has(s.record.experimentId)) continue;
      const lifecycle = query.lifecycle ?? "active";
      if (lifecycle !== "all" && (s.record.lifecycle ?? "active") !== lifecycle) continue;
      const run: EvaluatedRun = {
        ...this.toStored(s),
        effectiveStatus:
          s.record.status === "running" && s.record.heartbeatAt < query.crashedBefore ? "crashed" : s.record.status,
        inputs: s.inputs,
      };
      if (query.filter && !matchesFilter(run, query.filter, cache)) continue;
      matched.push(run);
    }
    matched.sort((a, b) => compareRuns(a, b, query.orderBy));
    return matched
      .slice(query.offset, query.offset + query.limit)
      .map(({ effectiveStatus: _, inputs: __, ...run }) => run);
  }
}

/** A copy of an experiment record (flat but for its string tags): cheaper than structuredClone on the run-start path. */
function copyExperiment(e: ExperimentRecord): ExperimentRecord {
  return { ...e, tags: { ...e.tags } };
}

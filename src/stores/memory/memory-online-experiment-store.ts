import { notFound } from "../../core/errors.js";
import { checkName } from "../../core/validation.js";
import {
  aggregateKey,
  addSums,
  checkAggregateDeltas,
  checkEvent,
  checkExperimentFilter,
  checkNewExperiment,
  checkPatch,
  compareAggregates,
  compareExperiments,
  mergeAggregateDeltas,
  nameTaken,
  staleRevision,
  storedEvent,
  storedExperiment,
} from "../online-experiment-rules.js";
import type {
  NewOnlineExperiment,
  OnlineExperimentEventRecord,
  OnlineExperimentPatch,
  OnlineExperimentRecord,
  OnlineExperimentStatus,
  OnlineExperimentStore,
  VariantAggregateRecord,
} from "../online-experiment-store.js";

interface Entry {
  record: OnlineExperimentRecord;
  events: OnlineExperimentEventRecord[];
  sums: Map<string, VariantAggregateRecord>;
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * The in-memory {@link OnlineExperimentStore}: the reference implementation. Records are kept as
 * `storedExperiment` and `storedEvent` give them (JSON values as their JSON text reads back), so it
 * answers exactly what a SQL store reads back.
 */
export class MemoryOnlineExperimentStore implements OnlineExperimentStore {
  private readonly entries = new Map<string, Entry>();

  async createExperiment(experiment: NewOnlineExperiment): Promise<OnlineExperimentRecord> {
    checkNewExperiment(experiment);
    if (this.entries.has(experiment.name)) throw nameTaken(experiment.name);
    const record = storedExperiment({ ...experiment, revision: 1, updatedAt: experiment.createdAt });
    this.entries.set(record.name, { record, events: [], sums: new Map() });
    return clone(record);
  }

  async getExperiment(name: string): Promise<OnlineExperimentRecord | undefined> {
    checkName("name", name);
    const e = this.entries.get(name);
    return e ? clone(e.record) : undefined;
  }

  async listExperiments(filter: { deployment?: string; status?: OnlineExperimentStatus } = {}) {
    checkExperimentFilter(filter);
    return [...this.entries.values()]
      .map((e) => e.record)
      .filter((r) => filter.deployment === undefined || r.deployment === filter.deployment)
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .sort(compareExperiments)
      .map(clone);
  }

  async updateExperiment(
    name: string,
    expectedRevision: number,
    patch: OnlineExperimentPatch,
    event?: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentRecord> {
    checkPatch(expectedRevision, patch, event);
    const e = this.entry(name);
    if (e.record.revision !== expectedRevision) throw staleRevision(name, expectedRevision, e.record.revision);
    const prev = e.record;
    e.record = storedExperiment({
      ...prev,
      status: patch.status ?? prev.status,
      variants: patch.variants ?? prev.variants,
      config: patch.config ?? prev.config,
      state: patch.state ?? prev.state,
      revision: prev.revision + 1,
      updatedAt: patch.updatedAt,
    });
    if (event) this.push(e, event);
    return clone(e.record);
  }

  async appendEvent(
    name: string,
    event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentEventRecord> {
    checkEvent(event);
    return clone(this.push(this.entry(name), event));
  }

  async listEvents(name: string): Promise<OnlineExperimentEventRecord[]> {
    return clone(this.entry(name).events);
  }

  async addAggregates(name: string, deltas: readonly VariantAggregateRecord[]): Promise<void> {
    checkAggregateDeltas(deltas);
    const e = this.entry(name);
    for (const d of mergeAggregateDeltas(deltas)) {
      const key = aggregateKey(d.variant, d.metric);
      const prev = e.sums.get(key);
      e.sums.set(key, prev ? { ...prev, sums: addSums(prev.sums, d.sums) } : d);
    }
  }

  async getAggregates(name: string): Promise<VariantAggregateRecord[]> {
    return [...this.entry(name).sums.values()].sort(compareAggregates).map(clone);
  }

  async deleteExperiment(name: string): Promise<boolean> {
    checkName("name", name);
    return this.entries.delete(name);
  }

  private entry(name: string): Entry {
    checkName("name", name);
    const e = this.entries.get(name);
    if (!e) throw notFound("online experiment", name);
    return e;
  }

  private push(e: Entry, event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">): OnlineExperimentEventRecord {
    const stored = storedEvent(e.record.name, e.events.length + 1, event);
    e.events.push(stored);
    return stored;
  }
}

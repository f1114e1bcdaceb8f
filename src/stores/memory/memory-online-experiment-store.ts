import { notFound } from "../../core/errors.js";
import { checkName } from "../../core/validation.js";
import {
  addSums,
  checkAggregateDeltas,
  checkEvent,
  checkNewExperiment,
  checkPatch,
  nameTaken,
  staleRevision,
  zeroSums,
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

/** The in-memory {@link OnlineExperimentStore}: the reference implementation. */
export class MemoryOnlineExperimentStore implements OnlineExperimentStore {
  private readonly entries = new Map<string, Entry>();

  async createExperiment(experiment: NewOnlineExperiment): Promise<OnlineExperimentRecord> {
    checkNewExperiment(experiment);
    if (this.entries.has(experiment.name)) throw nameTaken(experiment.name);
    const record: OnlineExperimentRecord = structuredClone({
      ...experiment,
      revision: 1,
      updatedAt: experiment.createdAt,
    });
    this.entries.set(record.name, { record, events: [], sums: new Map() });
    return structuredClone(record);
  }

  async getExperiment(name: string): Promise<OnlineExperimentRecord | undefined> {
    checkName("name", name);
    const e = this.entries.get(name);
    return e ? structuredClone(e.record) : undefined;
  }

  async listExperiments(filter: { deployment?: string; status?: OnlineExperimentStatus } = {}) {
    return [...this.entries.values()]
      .map((e) => e.record)
      .filter((r) => filter.deployment === undefined || r.deployment === filter.deployment)
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => structuredClone(r));
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
    const next: OnlineExperimentRecord = { ...e.record, revision: e.record.revision + 1, updatedAt: patch.updatedAt };
    if (patch.status !== undefined) next.status = patch.status;
    if (patch.variants !== undefined) next.variants = structuredClone(patch.variants);
    if (patch.config !== undefined) next.config = structuredClone(patch.config);
    if (patch.state !== undefined) next.state = structuredClone(patch.state);
    e.record = next;
    if (event) this.push(e, event);
    return structuredClone(next);
  }

  async appendEvent(
    name: string,
    event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
  ): Promise<OnlineExperimentEventRecord> {
    checkEvent(event);
    return structuredClone(this.push(this.entry(name), event));
  }

  async listEvents(name: string): Promise<OnlineExperimentEventRecord[]> {
    return structuredClone(this.entry(name).events);
  }

  async addAggregates(name: string, deltas: readonly VariantAggregateRecord[]): Promise<void> {
    checkAggregateDeltas(deltas);
    const e = this.entry(name);
    for (const d of deltas) {
      const key = `${d.variant}\u0000${d.metric}`;
      const prev = e.sums.get(key);
      e.sums.set(key, { variant: d.variant, metric: d.metric, sums: addSums(prev?.sums ?? zeroSums(), d.sums) });
    }
  }

  async getAggregates(name: string): Promise<VariantAggregateRecord[]> {
    return [...this.entry(name).sums.values()]
      .sort((a, b) => cmp(a.variant, b.variant) || cmp(a.metric, b.metric))
      .map((r) => structuredClone(r));
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
    const stored: OnlineExperimentEventRecord = {
      ...structuredClone(event),
      seq: e.events.length + 1,
      experiment: e.record.name,
    };
    e.events.push(stored);
    return stored;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

import { MlcycleError, notFound } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import { type LineageNode, type LineageStore, putLineageBatch, resolveBatchEdge } from "../lineage-store.js";
import {
  type AliasEventRecord,
  type AliasMoveInput,
  type AliasPolicyRecord,
  type AliasRecord,
  type ApprovalRecord,
  type EvaluationRecord,
  foldModelName,
  type ModelFilter,
  type ModelPatch,
  type ModelVersionInput,
  type ModelVersionRecord,
  type RegisteredModelRecord,
  type RegistryStore,
  type VersionLineageBuilder,
  type VersionPatch,
} from "../registry-store.js";

/**
 * Converts a SQL LIKE pattern to an anchored regular expression over case-folded names (the pattern
 * is folded here; `_` is one code point, as on SQL).
 */
function likeToRegExp(pattern: string): RegExp {
  let re = "";
  for (const ch of foldModelName(pattern)) {
    if (ch === "%") re += ".*";
    else if (ch === "_") re += ".";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "su");
}

const clone = <T>(v: T): T => structuredClone(v);

function applyTags(tags: Record<string, string>, patch: Record<string, string | null> | undefined) {
  if (!patch) return;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete tags[k];
    else tags[k] = v;
  }
}

/** Options of {@link MemoryRegistryStore}. */
export interface MemoryRegistryStoreOptions {
  /**
   * Where a version's lineage goes with the version itself (`memoryStore()` passes its own). Without
   * it the store has no `createVersionWithLineage` and the registry writes lineage separately.
   */
  lineage?: LineageStore;
}

/** The in-memory {@link RegistryStore}: the reference implementation. */
export class MemoryRegistryStore implements RegistryStore {
  /** Present when the store was built with a lineage store (see {@link RegistryStore.createVersionWithLineage}). */
  readonly createVersionWithLineage?: (
    input: ModelVersionInput,
    lineage: VersionLineageBuilder,
  ) => Promise<{ version: ModelVersionRecord; lineage: LineageNode[] }>;

  private readonly models = new Map<string, RegisteredModelRecord>();
  private readonly versions = new Map<string, ModelVersionRecord>();
  private readonly versionsByModel = new Map<string, ModelVersionRecord[]>();
  private readonly aliases = new Map<string, AliasRecord>();
  private readonly events: AliasEventRecord[] = [];
  private readonly policies = new Map<string, AliasPolicyRecord>();
  private readonly approvals: ApprovalRecord[] = [];
  private readonly evaluations: EvaluationRecord[] = [];

  constructor(options: MemoryRegistryStoreOptions = {}) {
    const { lineage } = options;
    if (lineage) this.createVersionWithLineage = (input, build) => this.versionWithLineage(lineage, input, build);
  }

  async createModel(input: Omit<RegisteredModelRecord, "id">): Promise<RegisteredModelRecord> {
    if (this.byName(input.name))
      throw new MlcycleError("CONFLICT", `registered model '${input.name}' already exists`, {
        details: { name: input.name },
      });
    const m: RegisteredModelRecord = { ...clone(input), id: newId() };
    this.models.set(m.id, m);
    this.versionsByModel.set(m.id, []);
    return clone(m);
  }

  async getModel(name: string) {
    const m = this.byName(name);
    return m ? clone(m) : undefined;
  }

  async getModelById(id: string) {
    const m = this.models.get(id);
    return m ? clone(m) : undefined;
  }

  async listModels(filter: ModelFilter = {}) {
    const like = filter.nameLike === undefined ? undefined : likeToRegExp(filter.nameLike);
    const out = [...this.models.values()]
      .filter((m) => !like || like.test(foldModelName(m.name)))
      .filter((m) => filter.after === undefined || m.name > filter.after)
      .filter((m) => Object.entries(filter.tags ?? {}).every(([k, v]) => m.tags[k] === v))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out.slice(0, filter.limit ?? 100).map(clone);
  }

  async updateModel(id: string, patch: ModelPatch) {
    const m = this.models.get(id);
    if (!m) throw notFound("registered model", id);
    if (patch.name !== undefined && patch.name !== m.name && this.byName(patch.name))
      throw new MlcycleError("CONFLICT", `registered model '${patch.name}' already exists`, {
        details: { name: patch.name },
      });
    if (patch.name !== undefined) m.name = patch.name;
    if (patch.description !== undefined) m.description = patch.description;
    applyTags(m.tags, patch.tags);
    m.updatedAt = patch.updatedAt;
    return clone(m);
  }

  async createVersion(input: ModelVersionInput) {
    return clone(this.insertVersion(input));
  }

  /**
   * The version is numbered and inserted synchronously (so concurrent writers get distinct numbers)
   * and taken out again when its lineage cannot be written: both or neither stay.
   */
  private async versionWithLineage(
    lineage: LineageStore,
    input: ModelVersionInput,
    build: VersionLineageBuilder,
  ): Promise<{ version: ModelVersionRecord; lineage: LineageNode[] }> {
    const v = this.insertVersion(input);
    try {
      const batch = build(clone(v));
      const placeholders = batch.nodes.map(() => ({ id: "" }));
      for (const e of batch.edges) resolveBatchEdge(e, placeholders);
      const nodes = await putLineageBatch(lineage, batch.nodes, batch.edges);
      return { version: clone(v), lineage: nodes };
    } catch (error) {
      const list = this.versionsByModel.get(v.modelId);
      if (list) list.splice(list.indexOf(v), 1);
      this.versions.delete(v.id);
      throw error;
    }
  }

  private insertVersion(input: ModelVersionInput): ModelVersionRecord {
    const list = this.versionsByModel.get(input.modelId);
    if (!list) throw notFound("registered model", input.modelId);
    const v: ModelVersionRecord = {
      ...clone(input),
      id: newId(),
      version: (list.at(-1)?.version ?? 0) + 1,
    };
    list.push(v);
    this.versions.set(v.id, v);
    return v;
  }

  async getVersion(modelId: string, version: number) {
    const v = this.versionsByModel.get(modelId)?.find((x) => x.version === version);
    return v ? clone(v) : undefined;
  }

  async getVersionById(id: string) {
    const v = this.versions.get(id);
    return v ? clone(v) : undefined;
  }

  async latestVersion(modelId: string) {
    const v = this.versionsByModel.get(modelId)?.findLast((x) => x.deletedAt === undefined);
    return v ? clone(v) : undefined;
  }

  async listVersions(modelId: string) {
    return (this.versionsByModel.get(modelId) ?? []).map(clone);
  }

  async updateVersion(id: string, patch: VersionPatch) {
    const v = this.versions.get(id);
    if (!v) throw notFound("model version", id);
    if (patch.description !== undefined) v.description = patch.description;
    if (patch.modelCard !== undefined) v.modelCard = patch.modelCard;
    applyTags(v.tags, patch.tags);
    if (patch.metrics) Object.assign(v.metrics, patch.metrics);
    if (patch.deletedAt !== undefined) v.deletedAt = patch.deletedAt;
    return clone(v);
  }

  async getAlias(modelId: string, alias: string) {
    const a = this.aliases.get(`${modelId}|${alias}`);
    return a ? clone(a) : undefined;
  }

  async listAliases(modelId: string) {
    return [...this.aliases.values()]
      .filter((a) => a.modelId === modelId)
      .sort((a, b) => (a.alias < b.alias ? -1 : 1))
      .map(clone);
  }

  async moveAlias(modelId: string, alias: string, move: AliasMoveInput) {
    if (!this.models.has(modelId)) throw notFound("registered model", modelId);
    const key = `${modelId}|${alias}`;
    const current = this.aliases.get(key);
    if (move.expected !== undefined && (current?.version ?? null) !== move.expected)
      throw new MlcycleError(
        "CONFLICT",
        `alias '${alias}' moved meanwhile (expected ${move.expected ?? "absent"}, found ${current?.version ?? "absent"})`,
        { details: { alias, expected: move.expected, found: current?.version ?? null } },
      );
    if (move.to === undefined) this.aliases.delete(key);
    else this.aliases.set(key, { modelId, alias, version: move.to, updatedAt: move.at });
    const e: AliasEventRecord = {
      id: newId(move.at),
      modelId,
      alias,
      action: move.action,
      actor: move.actor,
      reason: move.reason,
      at: move.at,
    };
    if (current) e.from = current.version;
    if (move.to !== undefined) e.to = move.to;
    this.events.push(e);
    return clone(e);
  }

  async aliasEvents(modelId: string, alias?: string, limit = 1000) {
    const out: AliasEventRecord[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.events[i];
      if (e.modelId === modelId && (alias === undefined || e.alias === alias)) out.push(clone(e));
    }
    return out;
  }

  async setPolicy(modelId: string, alias: string, policy: AliasPolicyRecord | undefined) {
    const key = `${modelId}|${alias}`;
    if (policy) this.policies.set(key, clone(policy));
    else this.policies.delete(key);
  }

  async getAliasState(modelId: string, alias: string) {
    const [a, policy] = [await this.getAlias(modelId, alias), await this.getPolicy(modelId, alias)];
    return { ...(a ? { alias: a } : {}), ...(policy ? { policy } : {}) };
  }

  async getPolicy(modelId: string, alias: string) {
    const p = this.policies.get(`${modelId}|${alias}`);
    return p ? clone(p) : undefined;
  }

  async listPolicies(modelId: string) {
    return [...this.policies.values()]
      .filter((p) => p.modelId === modelId)
      .sort((a, b) => (a.alias < b.alias ? -1 : 1))
      .map(clone);
  }

  async addApproval(input: Omit<ApprovalRecord, "id">) {
    const a = { ...clone(input), id: newId(input.at) };
    this.approvals.push(a);
    return clone(a);
  }

  async listApprovals(versionId: string) {
    return this.approvals.filter((a) => a.versionId === versionId).map(clone);
  }

  async addEvaluation(input: Omit<EvaluationRecord, "id">) {
    const e = { ...clone(input), id: newId(input.at) };
    this.evaluations.push(e);
    return clone(e);
  }

  async listEvaluations(versionId: string) {
    return this.evaluations.filter((e) => e.versionId === versionId).map(clone);
  }

  private byName(name: string): RegisteredModelRecord | undefined {
    for (const m of this.models.values()) if (m.name === name) return m;
    return undefined;
  }
}

import {
  type DefinitionFilter,
  type EntityDefinition,
  type FeatureRegistryStore,
  type FeatureServiceDefinition,
  type FeatureViewDefinition,
  joinKeysConflict,
  type MaterializationState,
  matchesDefinitionFilter,
  type PutEntityOptions,
  sameJoinKeys,
  type StoredFields,
} from "../feature-registry-store.js";

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The in-memory {@link FeatureRegistryStore}: the reference implementation. */
export class MemoryFeatureRegistryStore implements FeatureRegistryStore {
  private readonly entities = new Map<string, EntityDefinition>();
  private readonly views = new Map<string, FeatureViewDefinition>();
  private readonly services = new Map<string, FeatureServiceDefinition>();
  private readonly progress = new Map<string, MaterializationState>();

  async putEntity(
    entity: Omit<EntityDefinition, "createdAt" | "updatedAt">,
    now: number,
    options: PutEntityOptions = {},
  ): Promise<EntityDefinition> {
    const existing = this.entities.get(entity.name);
    // No await between this check and the write below: the two are one step.
    if (existing && options.expectJoinKeys && !sameJoinKeys(existing.joinKeys, options.expectJoinKeys))
      throw joinKeysConflict(entity.name, existing.joinKeys);
    const stored: EntityDefinition = {
      ...structuredClone(entity),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    this.entities.set(entity.name, stored);
    return structuredClone(stored);
  }

  async getEntity(name: string) {
    const e = this.entities.get(name);
    return e && structuredClone(e);
  }

  async listEntities(filter?: DefinitionFilter) {
    return [...this.entities.values()]
      .filter((e) => filter?.entity === undefined && matchesDefinitionFilter(e, filter))
      .sort(byName)
      .map((e) => structuredClone(e));
  }

  async applyFeatureView(view: Omit<FeatureViewDefinition, StoredFields>, now: number) {
    const { stored, changed } = apply(this.views, view, now);
    return { view: stored, changed };
  }

  async getFeatureView(name: string) {
    const v = this.views.get(name);
    return v && structuredClone(v);
  }

  async listFeatureViews(filter?: DefinitionFilter) {
    return [...this.views.values()]
      .filter((v) => matchesDefinitionFilter(v, filter))
      .sort(byName)
      .map((v) => structuredClone(v));
  }

  async applyFeatureService(service: Omit<FeatureServiceDefinition, StoredFields>, now: number) {
    const { stored, changed } = apply(this.services, service, now);
    return { service: stored, changed };
  }

  async getFeatureService(name: string) {
    const s = this.services.get(name);
    return s && structuredClone(s);
  }

  async listFeatureServices(filter?: DefinitionFilter) {
    return [...this.services.values()]
      .filter((s) => filter?.entity === undefined && matchesDefinitionFilter(s, filter))
      .sort(byName)
      .map((s) => structuredClone(s));
  }

  async deleteDefinition(kind: "entity" | "feature_view" | "feature_service", name: string) {
    const map = kind === "entity" ? this.entities : kind === "feature_view" ? this.views : this.services;
    if (kind === "feature_view") this.progress.delete(name);
    return map.delete(name);
  }

  async getMaterialization(view: string) {
    const s = this.progress.get(view);
    return s && structuredClone(s);
  }

  async putMaterialization(state: MaterializationState) {
    this.progress.set(state.view, structuredClone(state));
  }
}

function apply<T extends { name: string; digest: string; version: number; createdAt: number; updatedAt: number }>(
  map: Map<string, T>,
  input: Omit<T, StoredFields>,
  now: number,
): { stored: T; changed: boolean } {
  const existing = map.get(input.name);
  if (existing && existing.digest === input.digest) return { stored: structuredClone(existing), changed: false };
  const stored = {
    ...structuredClone(input),
    version: (existing?.version ?? 0) + 1,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  } as T;
  map.set(input.name, stored);
  return { stored: structuredClone(stored), changed: true };
}

import { invalid, notFound } from "../core/errors.js";
import type { ModelVersionRecord, RegisteredModelRecord, RegistryStore } from "../stores/registry-store.js";
import { type ModelRef, type ParsedRef, parseModelRef } from "./model-ref.js";
import type { ModelVersion, RegisteredModel, ResolvedVersion } from "./registry-types.js";

/**
 * Turns names and references into the registry's records, and records into what the registry
 * reports (with aliases): every part of the registry reads models and versions through it, so a
 * missing or deleted one is the same `NOT_FOUND` everywhere.
 */
export class ModelResolver {
  constructor(private readonly store: RegistryStore) {}

  /** A registered model's record by name; `NOT_FOUND` naming it. */
  async model(name: string): Promise<RegisteredModelRecord> {
    if (typeof name !== "string" || name.length === 0) throw invalid(["model"], "must be a non-empty string");
    const m = await this.store.getModel(name);
    if (!m) throw notFound("registered model", name);
    return m;
  }

  /** Version `n` of a model; `NOT_FOUND` when it does not exist or was deleted. */
  async version(model: RegisteredModelRecord, n: number): Promise<ModelVersionRecord> {
    if (!Number.isInteger(n) || n < 1) throw invalid(["version"], `must be a positive integer, got ${n}`);
    const v = await this.store.getVersion(model.id, n);
    if (!v) throw notFound("model version", `${model.name}@${n}`);
    if (v.deletedAt !== undefined) throw notFound("model version", `${model.name}@${n}`, "it was deleted");
    return v;
  }

  /** Resolves a reference to its model and version records; `NOT_FOUND` naming what is missing. */
  async resolve(ref: ModelRef): Promise<ResolvedVersion> {
    const p: ParsedRef = parseModelRef(ref);
    if (p.kind === "id") {
      const version = await this.store.getVersionById(p.id);
      if (!version) throw notFound("model version", p.id);
      if (version.deletedAt !== undefined) throw notFound("model version", p.id, "it was deleted");
      const model = await this.store.getModelById(version.modelId);
      if (!model) throw notFound("registered model", version.modelId);
      return { model, version };
    }
    const model = await this.model(p.model);
    if (p.kind === "version") return { model, version: await this.version(model, p.version) };
    if (p.kind === "latest") {
      const version = await this.store.latestVersion(model.id);
      if (!version) throw notFound("model version", `${model.name}@latest`, "the model has no versions yet");
      return { model, version };
    }
    const alias = await this.store.getAlias(model.id, p.alias);
    if (!alias) throw notFound("alias", `${model.name}@${p.alias}`);
    return { model, version: await this.version(model, alias.version) };
  }

  /** A model as the registry reports it: where its aliases point and its highest version. */
  async describeModel(m: RegisteredModelRecord): Promise<RegisteredModel> {
    const [aliases, latest] = await Promise.all([this.store.listAliases(m.id), this.store.latestVersion(m.id)]);
    return {
      ...m,
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
      ...(latest ? { latestVersion: latest.version } : {}),
    };
  }

  /** A version as the registry reports it: with its model's name and the aliases pointing at it. */
  async describeVersion(model: RegisteredModelRecord, v: ModelVersionRecord): Promise<ModelVersion> {
    const aliases = await this.store.listAliases(model.id);
    return {
      ...v,
      model: model.name,
      aliases: aliases.filter((a) => a.version === v.version).map((a) => a.alias),
    };
  }
}

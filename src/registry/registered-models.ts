import type { Clock } from "../core/clock.js";
import { checkKey, checkString } from "../core/validation.js";
import type { RegistryStore } from "../stores/registry-store.js";
import type { ModelResolver } from "./model-resolver.js";
import {
  checkStringArgument,
  createModelOptionsSchema,
  modelFilterSchema,
  modelPatchSchema,
  parseArgument,
} from "./registry-arguments.js";
import type { RegisteredModel } from "./registry-types.js";
import { checkModelName, checkTags } from "./registry-validation.js";

/** What {@link RegisteredModels} is built with. */
export interface RegisteredModelsDeps {
  store: RegistryStore;
  clock: Clock;
  resolver: ModelResolver;
}

/** Registered models: creation, reading, search, renaming, description and tags, arguments checked. */
export class RegisteredModels {
  constructor(private readonly deps: RegisteredModelsDeps) {}

  /** See `ModelRegistry.createModel`. */
  async create(name: string, options: { description?: string; tags?: Record<string, string> }) {
    checkModelName(name);
    parseArgument("options", createModelOptionsSchema, options);
    const now = this.deps.clock.now();
    const rec = await this.deps.store.createModel({
      name,
      description: checkString("description", options.description ?? "", 100_000),
      tags: checkTags(options.tags),
      createdAt: now,
      updatedAt: now,
    });
    return this.deps.resolver.describeModel(rec);
  }

  /** See `ModelRegistry.getModel`. */
  async get(name: string): Promise<RegisteredModel> {
    checkStringArgument("model", name);
    return this.deps.resolver.describeModel(await this.deps.resolver.model(name));
  }

  /** See `ModelRegistry.searchModels`. */
  async search(filter: {
    nameLike?: string;
    tags?: Record<string, string>;
    after?: string;
    limit?: number;
  }): Promise<RegisteredModel[]> {
    const f = parseArgument("filter", modelFilterSchema, filter);
    const rows = await this.deps.store.listModels({
      ...(f.nameLike !== undefined ? { nameLike: f.nameLike } : {}),
      ...(f.after !== undefined ? { after: f.after } : {}),
      ...(f.limit !== undefined ? { limit: f.limit } : {}),
      ...(f.tags !== undefined ? { tags: checkTags(f.tags) } : {}),
    });
    return Promise.all(rows.map((r) => this.deps.resolver.describeModel(r)));
  }

  /** See `ModelRegistry.listModels`. */
  async list(options: { after?: string; limit?: number }): Promise<RegisteredModel[]> {
    const o = parseArgument("options", modelFilterSchema.pick({ after: true, limit: true }), options);
    return this.search(o);
  }

  /** See `ModelRegistry.renameModel`. */
  async rename(name: string, newName: string): Promise<RegisteredModel> {
    checkStringArgument("model", name);
    checkModelName(newName);
    const m = await this.deps.resolver.model(name);
    return this.deps.resolver.describeModel(
      await this.deps.store.updateModel(m.id, { name: newName, updatedAt: this.deps.clock.now() }),
    );
  }

  /** See `ModelRegistry.updateModel`. */
  async update(name: string, patch: { description?: string }): Promise<RegisteredModel> {
    checkStringArgument("model", name);
    parseArgument("patch", modelPatchSchema, patch);
    const m = await this.deps.resolver.model(name);
    const description =
      patch.description === undefined ? undefined : checkString("description", patch.description, 100_000);
    return this.deps.resolver.describeModel(
      await this.deps.store.updateModel(m.id, { description, updatedAt: this.deps.clock.now() }),
    );
  }

  /** See `ModelRegistry.setModelTag`. */
  async setTag(name: string, key: string, value: string): Promise<void> {
    checkStringArgument("model", name);
    const m = await this.deps.resolver.model(name);
    await this.deps.store.updateModel(m.id, { tags: checkTags({ [key]: value }), updatedAt: this.deps.clock.now() });
  }

  /** See `ModelRegistry.deleteModelTag`. */
  async deleteTag(name: string, key: string): Promise<void> {
    checkStringArgument("model", name);
    const m = await this.deps.resolver.model(name);
    await this.deps.store.updateModel(m.id, {
      tags: { [checkKey("tag", key)]: null },
      updatedAt: this.deps.clock.now(),
    });
  }
}

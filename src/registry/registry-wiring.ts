import { AliasMoveFeed } from "./alias-move-feed.js";
import { AliasPolicies } from "./alias-policies.js";
import { ModelFlavors } from "./flavors/model-flavors.js";
import { guardedRegistryStore } from "./guarded-store.js";
import { ModelAliases } from "./model-aliases.js";
import { RegistryModelLoader } from "./model-loader.js";
import { ModelResolver } from "./model-resolver.js";
import { ModelVersions } from "./model-versions.js";
import { RegisteredModels } from "./registered-models.js";
import type { ModelRegistryOptions } from "./registry-options.js";
import type { SchemaLike } from "./signature.js";
import { VersionEvaluations } from "./version-evaluations.js";

/** The parts `ModelRegistry` delegates to, all sharing one guarded store, resolver and flavor set. */
export interface RegistryParts {
  /** Zod schemas of versions registered in this process, so validation uses them instead of JSON Schema. */
  schemas: Map<string, SchemaLike>;
  flavors: ModelFlavors;
  resolver: ModelResolver;
  loader: RegistryModelLoader;
  models: RegisteredModels;
  versions: ModelVersions;
  policies: AliasPolicies;
  aliases: ModelAliases;
  evaluations: VersionEvaluations;
  /** Alias moves of other processes, when the store announces them. */
  aliasMoves: AliasMoveFeed;
}

/**
 * Builds the parts of a registry from its (already checked) options. The store is wrapped by
 * {@link guardedRegistryStore} with `isClosed`; `schemas` is written by the versions part and read
 * by the loader.
 */
export function wireRegistry(options: ModelRegistryOptions, isClosed: () => boolean): RegistryParts {
  const schemas = new Map<string, SchemaLike>();
  const { artifacts, clock, lineage, tracking, events } = options;
  const store = guardedRegistryStore(options.store, isClosed);
  const flavors = new ModelFlavors(options.flavors);
  const resolver = new ModelResolver(store);
  const loader = new RegistryModelLoader({ resolver, artifacts, flavor: (name) => flavors.get(name), schemas });
  const versions = new ModelVersions({
    store,
    artifacts,
    clock,
    events,
    resolver,
    flavors,
    lineage,
    tracking,
    schemas,
    versionLineageInStore: options.versionLineageInStore === true,
  });
  const models = new RegisteredModels({ store, clock, resolver });
  const policies = new AliasPolicies({ store, clock, events, resolver });
  const aliases = new ModelAliases({ store, clock, events, resolver, policies });
  const evaluations = new VersionEvaluations({ store, clock, events, resolver, loader, tracking });
  // The unguarded store: a deployment stops listening while the registry closes.
  const aliasMoves = new AliasMoveFeed(options.store);
  return { schemas, flavors, resolver, loader, models, versions, policies, aliases, evaluations, aliasMoves };
}

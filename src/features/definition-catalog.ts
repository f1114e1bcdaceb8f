import type { Clock } from "../core/clock.js";
import { MlcycleError, notFound } from "../core/errors.js";
import { LIMITS } from "../core/validation.js";
import { lineageIds } from "../lineage/external-ids.js";
import type {
  DefinitionFilter,
  EntityDefinition,
  FeatureRegistryStore,
  FeatureServiceDefinition,
  FeatureViewDefinition,
} from "../stores/feature-registry-store.js";
import type { LineageStore } from "../stores/lineage-store.js";
import type { OfflineStore } from "../stores/offline-store.js";
import type { OnlineStore } from "../stores/online-store.js";
import { z } from "zod";
import {
  buildFeatureService,
  buildFeatureView,
  checkTags,
  checkViewName,
  type EntityInput,
  type FeatureServiceInput,
  type FeatureViewInput,
  normaliseJoinKeys,
  optionalText,
} from "./definitions.js";
import {
  checkLookupName,
  checkObjectArgument,
  definitionFilterSchema,
  deleteOptionsSchema,
  parseArgument,
  parseOptions,
} from "./feature-arguments.js";
import { OnDemandFeatureView, type OnDemandFeatureViewInput } from "./on-demand.js";
import type { SelectionPlanner } from "./selection-plan.js";
import { isFeatureSource } from "./sources/feature-source.js";

/** What a {@link DefinitionCatalog} is built with: the feature store's registry, lineage, planner and stores. */
export interface DefinitionCatalogOptions {
  registry: FeatureRegistryStore;
  lineage: LineageStore;
  /** The feature store's planner: its cached definitions are forgotten when they change. */
  planner: SelectionPlanner;
  clock: Clock;
  /** Whose rows a deleted view loses (absent: nothing to delete). */
  offline?: OfflineStore;
  /** Whose values a deleted view loses (absent: nothing to delete). */
  online?: OnlineStore;
}

/**
 * The definition side of a {@link FeatureStore}: applying, reading, listing, searching and deleting
 * entities, feature views and services (with their lineage records), and declaring on-demand views.
 * The feature store's public methods of the same names guard each call and delegate here; the
 * documentation of the behaviour is theirs.
 */
export class DefinitionCatalog {
  private readonly registry: FeatureRegistryStore;
  private readonly lineage: LineageStore;
  private readonly planner: SelectionPlanner;
  private readonly clock: Clock;
  private readonly offline?: OfflineStore;
  private readonly online?: OnlineStore;

  constructor(options: DefinitionCatalogOptions) {
    this.registry = options.registry;
    this.lineage = options.lineage;
    this.planner = options.planner;
    this.clock = options.clock;
    this.offline = options.offline;
    this.online = options.online;
  }

  /** See {@link FeatureStore.applyEntity}. */
  async applyEntity(input: EntityInput): Promise<EntityDefinition> {
    checkObjectArgument("entity", input);
    const name = checkViewName("name", input.name);
    const joinKeys = normaliseJoinKeys(input.joinKeys);
    const description =
      input.description !== undefined ? { description: optionalText("description", input.description) } : {};
    const tags = checkTags(input.tags);
    // One conditional write: a concurrent apply with other join keys cannot slip in between.
    return this.registry.putEntity({ name, joinKeys, ...description, tags }, this.clock.now(), {
      expectJoinKeys: joinKeys,
    });
  }

  /** See {@link FeatureStore.getEntity}. */
  getEntity(name: string): Promise<EntityDefinition> {
    return this.planner.entity(checkLookupName("name", name));
  }

  /** See {@link FeatureStore.listEntities}. */
  listEntities(filter?: DefinitionFilter): Promise<EntityDefinition[]> {
    return this.registry.listEntities(this.filter(filter));
  }

  /** See {@link FeatureStore.applyFeatureView}. */
  async applyFeatureView<S extends z.ZodObject>(input: FeatureViewInput<S>): Promise<FeatureViewDefinition> {
    checkObjectArgument("featureView", input);
    if (typeof input.name === "string" && this.planner.onDemandView(input.name))
      throw new MlcycleError("CONFLICT", `'${input.name}' is already an on-demand feature view`);
    const entities = new Map<string, EntityDefinition>();
    for (const e of Array.isArray(input.entities) ? input.entities : []) {
      const def = typeof e === "string" ? await this.registry.getEntity(e) : undefined;
      if (def) entities.set(e, def);
    }
    const built = buildFeatureView(input as FeatureViewInput, (e) => {
      const def = entities.get(e);
      if (!def) throw notFound("entity", e, "apply it before the feature views that use it");
      return def.joinKeys;
    });
    const { view } = await this.registry.applyFeatureView(built, this.clock.now());
    this.planner.rememberSchema(view.name, view.digest, input.schema);
    if (isFeatureSource(input.source)) this.planner.rememberSource(view.name, view.digest, input.source);
    this.planner.forgetView(view.name);
    await this.lineage.putNode({
      kind: "artifact",
      type: "feature_view",
      name: view.name,
      externalId: lineageIds.featureView(view.name),
      digest: view.digest,
      properties: { version: view.version, entities: view.entities, features: view.features.map((f) => f.name) },
    });
    return view;
  }

  /** See {@link FeatureStore.getFeatureView}. */
  async getFeatureView(name: string): Promise<FeatureViewDefinition> {
    return (await this.planner.resolveView(checkLookupName("name", name))).def;
  }

  /** See {@link FeatureStore.listFeatureViews}. */
  listFeatureViews(filter?: DefinitionFilter): Promise<FeatureViewDefinition[]> {
    return this.registry.listFeatureViews(this.filter(filter));
  }

  /** See {@link FeatureStore.applyFeatureService}. */
  async applyFeatureService(input: FeatureServiceInput): Promise<FeatureServiceDefinition> {
    checkObjectArgument("featureService", input);
    const built = buildFeatureService(input);
    await this.planner.plan(built.features, false);
    const { service } = await this.registry.applyFeatureService(built, this.clock.now());
    this.planner.forgetService(service.name);
    await this.lineage.putNode({
      kind: "artifact",
      type: "feature_service",
      name: service.name,
      externalId: lineageIds.featureService(service.name),
      digest: service.digest,
      properties: { version: service.version, features: service.features },
    });
    return service;
  }

  /** See {@link FeatureStore.getFeatureService}. */
  async getFeatureService(name: string): Promise<FeatureServiceDefinition> {
    const s = await this.registry.getFeatureService(checkLookupName("name", name));
    if (!s) throw notFound("feature service", name);
    return s;
  }

  /** See {@link FeatureStore.listFeatureServices}. */
  listFeatureServices(filter?: DefinitionFilter): Promise<FeatureServiceDefinition[]> {
    return this.registry.listFeatureServices(this.filter(filter));
  }

  /** See {@link FeatureStore.search}. */
  async search(query: string): Promise<{
    entities: EntityDefinition[];
    featureViews: FeatureViewDefinition[];
    featureServices: FeatureServiceDefinition[];
  }> {
    const filter = { query: parseArgument(z.string().max(LIMITS.nameLength), query, "search() input", "query") };
    const [entities, featureViews, featureServices] = await Promise.all([
      this.registry.listEntities(filter),
      this.registry.listFeatureViews(filter),
      this.registry.listFeatureServices(filter),
    ]);
    return { entities, featureViews, featureServices };
  }

  /** See {@link FeatureStore.deleteFeatureView}. */
  async deleteFeatureView(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    checkLookupName("name", name);
    const { keepData } = parseOptions(deleteOptionsSchema, options, "deleteFeatureView options");
    if (!(await this.registry.deleteDefinition("feature_view", name))) throw notFound("feature view", name);
    this.planner.forgetView(name, { schema: true });
    if (!keepData) {
      await this.offline?.deleteView(name);
      await this.online?.deleteView(name);
    }
  }

  /** See {@link FeatureStore.defineOnDemandFeatureView}. */
  async defineOnDemandFeatureView<R extends z.ZodObject, O extends z.ZodObject>(
    input: OnDemandFeatureViewInput<R, O>,
  ): Promise<OnDemandFeatureView> {
    checkObjectArgument("onDemandFeatureView", input);
    const view = new OnDemandFeatureView(input as unknown as OnDemandFeatureViewInput<z.ZodObject, z.ZodObject>);
    if (await this.registry.getFeatureView(view.name))
      throw new MlcycleError("CONFLICT", `'${view.name}' is already a stored feature view`);
    for (const s of view.sources) {
      const source = await this.planner.resolveView(s.view);
      if (!source.featureNames.includes(s.feature))
        throw notFound("feature", `${s.view}:${s.feature}`, `view '${s.view}' has ${source.featureNames.join(", ")}`);
    }
    this.planner.addOnDemandView(view);
    return view;
  }

  private filter(filter: unknown): DefinitionFilter | undefined {
    return filter === undefined ? undefined : parseArgument(definitionFilterSchema, filter, "list filter", "filter");
  }
}

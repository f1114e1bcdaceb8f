import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { invalid, notFound } from "../core/errors.js";
import type {
  EntityDefinition,
  FeatureRegistryStore,
  FeatureServiceDefinition,
} from "../stores/feature-registry-store.js";
import { encodeEntityKey } from "./entity-key.js";
import { parseFeatureRef } from "./feature-ref.js";
import type { FeatureSelection } from "./feature-types.js";
import type { OnDemandFeatureView } from "./on-demand.js";
import type { ResolvedView } from "./rows.js";
import type { FeatureSource } from "./sources/feature-source.js";
import { parseSourceSpec, sourceFromSpec } from "./sources/source-spec.js";

/** One feature a plan reads from a stored view. */
export interface PlanFeature {
  feature: string;
  /** Output column; undefined for features read only as an on-demand source. */
  column?: string;
}

/** The stored features a plan reads from one view. */
export interface PlanGroup {
  view: string;
  /** The view as resolved when the plan was made: its columns are laid out from this definition. */
  resolved: ResolvedView;
  features: PlanFeature[];
}

/** The computed features a plan takes from one on-demand view. */
export interface PlanOnDemand {
  view: OnDemandFeatureView;
  features: Array<{ feature: string; column: string }>;
}

/**
 * A feature selection resolved to what to read: output columns in request order, the stored views
 * and their features, the on-demand views and the service it came from.
 */
export interface SelectionPlan {
  columns: string[];
  refs: string[];
  stored: PlanGroup[];
  /** Clock time until which the resolved views may be used without reading the registry again. */
  validUntil: number;
  generation: number;
  onDemand: PlanOnDemand[];
  service?: FeatureServiceDefinition;
}

/** What a {@link SelectionPlanner} reads definitions through. */
export interface SelectionPlannerOptions {
  registry: FeatureRegistryStore;
  clock: Clock;
  /** How long definitions read from the registry are reused before being read again, in ms. */
  cacheMs: number;
}

/**
 * Resolves feature references and services to the views and columns to read, caching resolved
 * views (with their validators) and plans for `cacheMs`. Any definition change seen through it
 * (apply, delete, a changed digest on re-read) invalidates every plan.
 */
export class SelectionPlanner {
  private readonly registry: FeatureRegistryStore;
  private readonly clock: Clock;
  private readonly cacheMs: number;
  private readonly views = new Map<string, ResolvedView>();
  private readonly zodSchemas = new Map<string, { digest: string; schema: z.ZodObject }>();
  private readonly sources = new Map<string, { digest: string; source: FeatureSource }>();
  private readonly services = new Map<string, { def: FeatureServiceDefinition; loadedAt: number }>();
  private readonly plans = new Map<string, SelectionPlan>();
  /** Plans by the identity of the caller's reference array: the online hot path skips building a key. */
  private plansByArray = [
    new WeakMap<readonly string[], SelectionPlan>(),
    new WeakMap<readonly string[], SelectionPlan>(),
  ];
  private generation = 0;
  private readonly servicePlans = new Map<string, SelectionPlan>();
  private readonly onDemand = new Map<string, OnDemandFeatureView>();

  constructor(options: SelectionPlannerOptions) {
    this.registry = options.registry;
    this.clock = options.clock;
    this.cacheMs = options.cacheMs;
  }

  /** An entity; `NOT_FOUND` when absent. */
  async entity(name: string): Promise<EntityDefinition> {
    const e = await this.registry.getEntity(name);
    if (!e) throw notFound("entity", name, "apply it with ws.features.applyEntity");
    return e;
  }

  /** The on-demand view of that name, if one was defined. */
  onDemandView(name: string): OnDemandFeatureView | undefined {
    return this.onDemand.get(name);
  }

  /** Adds an on-demand view (its sources checked by the caller). */
  addOnDemandView(view: OnDemandFeatureView): void {
    this.onDemand.set(view.name, view);
    this.clearPlans();
  }

  /** Keeps the zod schema a view was applied with, used as its validator while its digest matches. */
  rememberSchema(view: string, digest: string, schema: z.ZodObject): void {
    this.zodSchemas.set(view, { digest, schema });
  }

  /** Keeps the source object a view was applied with (a pool or an iterable cannot be rebuilt from its spec). */
  rememberSource(view: string, digest: string, source: FeatureSource): void {
    this.sources.set(view, { digest, source });
  }

  /** Drops what is cached of a view (and every plan). */
  forgetView(view: string, options: { schema?: boolean } = {}): void {
    this.views.delete(view);
    if (options.schema) {
      this.zodSchemas.delete(view);
      this.sources.delete(view);
    }
    this.clearPlans();
  }

  /** Drops a cached service (and every plan). */
  forgetService(service: string): void {
    this.services.delete(service);
    this.clearPlans();
  }

  private clearPlans(): void {
    this.plans.clear();
    this.servicePlans.clear();
    this.plansByArray = [new WeakMap(), new WeakMap()];
    this.generation++;
  }

  /** A cached plan for the same reference array (same identity and contents), while still valid. */
  fastPlan(features: FeatureSelection, full: boolean, now = this.clock.now()): SelectionPlan | undefined {
    if (!Array.isArray(features)) return undefined;
    const plan = this.plansByArray[full ? 1 : 0].get(features);
    if (!plan || plan.generation !== this.generation || now >= plan.validUntil) return undefined;
    const refs = plan.refs;
    if (refs.length !== features.length) return undefined;
    for (let i = 0; i < refs.length; i++) if (refs[i] !== features[i]) return undefined;
    return plan;
  }

  /** A view with its join keys and validator, from the cache while fresh; `NOT_FOUND` when absent. */
  async resolveView(name: string): Promise<ResolvedView> {
    const now = this.clock.now();
    const cached = this.views.get(name);
    if (cached && now - cached.loadedAt < this.cacheMs) return cached;
    if (typeof name !== "string") throw invalid(["view"], "must be a feature view name");
    const def = await this.registry.getFeatureView(name);
    if (!def) throw notFound("feature view", name);
    const joinKeys = [];
    for (const e of def.entities) joinKeys.push(...(await this.entity(e)).joinKeys);
    const zod = this.zodSchemas.get(name);
    let validator: z.ZodType;
    if (zod && zod.digest === def.digest) validator = zod.schema;
    else {
      try {
        validator = z.fromJSONSchema(def.schema as Parameters<typeof z.fromJSONSchema>[0]);
      } catch {
        validator = z.record(z.string(), z.unknown());
      }
    }
    const resolved: ResolvedView = {
      def,
      joinKeys,
      validator,
      featureNames: def.features.map((f) => f.name),
      loadedAt: now,
    };
    const spec = parseSourceSpec(def.source);
    if (spec) {
      resolved.sourceSpec = spec;
      const remembered = this.sources.get(name);
      const source = remembered && remembered.digest === def.digest ? remembered.source : sourceFromSpec(spec);
      if (source) resolved.source = source;
    }
    if (cached && cached.def.digest !== def.digest) this.clearPlans();
    this.views.set(name, resolved);
    return resolved;
  }

  /** The plan of a selection: references, or a service (read through the cache). */
  async selection(features: FeatureSelection, full: boolean): Promise<SelectionPlan> {
    if (Array.isArray(features)) {
      const plan = await this.plan(features as string[], full);
      this.plansByArray[full ? 1 : 0].set(features, plan);
      return plan;
    }
    const service = (features as { service?: unknown })?.service;
    if (typeof service !== "string")
      throw invalid(["features"], "must be a list of 'view:feature' references or { service: name }");
    const now = this.clock.now();
    let cached = this.services.get(service);
    if (!cached || now - cached.loadedAt >= this.cacheMs) {
      const def = await this.registry.getFeatureService(service);
      if (!def) throw notFound("feature service", service);
      cached = { def, loadedAt: now };
      this.services.set(service, cached);
    }
    const key = `${full ? 1 : 0}\n${service}`;
    const known = this.servicePlans.get(key);
    if (
      known &&
      known.service === cached.def &&
      known.generation === this.generation &&
      this.clock.now() < known.validUntil
    )
      return known;
    const plan: SelectionPlan = { ...(await this.plan(cached.def.features, full)), service: cached.def };
    this.servicePlans.set(key, plan);
    return plan;
  }

  /** Resolves references to the views to read and the output columns (cached per selection). */
  async plan(refs: readonly string[], full: boolean): Promise<SelectionPlan> {
    if (!Array.isArray(refs) || refs.length === 0) throw invalid(["features"], "name at least one feature");
    const cacheKey = `${full ? 1 : 0}\n${refs.join("\n")}`;
    const cached = this.plans.get(cacheKey);
    if (cached && cached.generation === this.generation && this.clock.now() < cached.validUntil) return cached;
    const stored = new Map<string, PlanFeature[]>();
    const onDemand = new Map<string, PlanOnDemand>();
    const columns: string[] = [];
    const seen = new Set<string>();
    const addStored = (view: string, feature: string, column?: string) => {
      let list = stored.get(view);
      if (!list) stored.set(view, (list = []));
      const existing = list.find((f) => f.feature === feature);
      if (existing) {
        if (column !== undefined) existing.column ??= column;
      } else list.push({ feature, ...(column !== undefined ? { column } : {}) });
    };
    for (let i = 0; i < refs.length; i++) {
      const ref = parseFeatureRef(refs[i], ["features", i]);
      if (seen.has(refs[i])) throw invalid(["features", i], `'${refs[i]}' is listed twice`);
      seen.add(refs[i]);
      const column = full ? `${ref.view}__${ref.feature}` : ref.feature;
      if (columns.includes(column))
        throw invalid(
          ["features", i],
          `two features would both be named '${column}'; pass fullFeatureNames: true to name columns view__feature`,
        );
      columns.push(column);
      const od = this.onDemand.get(ref.view);
      if (od) {
        if (!od.features.includes(ref.feature))
          throw notFound("feature", refs[i], `'${ref.view}' computes ${od.features.join(", ")}`);
        let entry = onDemand.get(od.name);
        if (!entry) onDemand.set(od.name, (entry = { view: od, features: [] }));
        entry.features.push({ feature: ref.feature, column });
        for (const s of od.sources) addStored(s.view, s.feature);
        continue;
      }
      const view = await this.resolveView(ref.view);
      if (!view.featureNames.includes(ref.feature))
        throw notFound("feature", refs[i], `view '${ref.view}' has ${view.featureNames.join(", ")}`);
      addStored(ref.view, ref.feature, column);
    }
    const groups: PlanGroup[] = [];
    let validUntil = Number.POSITIVE_INFINITY;
    for (const [view, features] of stored) {
      const resolved = await this.resolveView(view);
      validUntil = Math.min(validUntil, resolved.loadedAt + this.cacheMs);
      groups.push({ view, resolved, features });
    }
    const plan: SelectionPlan = {
      columns,
      refs: [...refs],
      stored: groups,
      validUntil,
      generation: this.generation,
      onDemand: [...onDemand.values()],
    };
    this.plans.set(cacheKey, plan);
    return plan;
  }
}

/** The entity key of entity row `i` for a view; the error path (rare) names the row. */
export function entityKeyAt(view: ResolvedView, row: Record<string, unknown>, i: number): string {
  try {
    return encodeEntityKey(view.joinKeys, row);
  } catch {
    if (typeof row !== "object" || row === null)
      throw invalid(["entityRows", i], `must be an object of join keys, got ${row === null ? "null" : typeof row}`);
    return encodeEntityKey(view.joinKeys, row, ["entityRows", i]);
  }
}

/** The source features of an on-demand view by feature name, from values keyed `view:feature`. */
export function sourceFeatures(view: OnDemandFeatureView, byRef: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of view.sources) out[s.feature] = byRef[`${s.view}:${s.feature}`] ?? null;
  return out;
}

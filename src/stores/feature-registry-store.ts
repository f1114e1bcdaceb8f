/**
 * The feature-definition metadata port: entities, feature views, feature services and the
 * materialisation progress of each view. Domain code (`ws.features`) validates input; a store only
 * keeps what it is given, versions changed feature views atomically, keeps an entity's join keys
 * when asked to, and answers searches.
 */

import { MlcycleError } from "../core/errors.js";

/** The type of an entity join key. */
export type JoinKeyType = "string" | "int";

/** One join key of an entity: the column name in entity and feature rows, and its type. */
export interface JoinKey {
  name: string;
  type: JoinKeyType;
}

/** An entity as stored: the thing features describe (a driver, a customer), named by its join keys. */
export interface EntityDefinition {
  name: string;
  joinKeys: JoinKey[];
  description?: string;
  tags: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** One feature of a view, as derived from the view's JSON Schema. */
export interface FeatureField {
  name: string;
  /** The JSON Schema type of the feature (`number`, `integer`, `string`, `boolean`, `array`…, or `unknown`). */
  type: string;
  /** Whether the schema allows null. */
  nullable: boolean;
}

/** A feature view as stored. */
export interface FeatureViewDefinition {
  name: string;
  /** Entity names; the view's join keys are theirs, in order. */
  entities: string[];
  /** The features' zod schema as JSON Schema (`z.toJSONSchema`). */
  schema: Record<string, unknown>;
  /** The features, in schema order. */
  features: FeatureField[];
  /** Time to live in ms: how long a value stays valid after its event time; 0 = forever. */
  ttlMs: number;
  /** Where the rows come from (a table, a file, a topic…): free text for people. */
  source?: string;
  description?: string;
  owner?: string;
  tags: Record<string, string>;
  /** Field of ingested rows carrying the event time (default `event_timestamp`). */
  timestampField: string;
  /** Field of ingested rows carrying the created time (default `created_timestamp`). */
  createdTimestampField: string;
  /** 1 on first apply; each apply of a changed definition adds one. */
  version: number;
  /** sha256 of the canonical definition (what a change is detected by). */
  digest: string;
  createdAt: number;
  updatedAt: number;
}

/** A named set of features a model uses (`"view:feature"` references). */
export interface FeatureServiceDefinition {
  name: string;
  features: string[];
  description?: string;
  owner?: string;
  tags: Record<string, string>;
  version: number;
  digest: string;
  createdAt: number;
  updatedAt: number;
}

/** Fields of a definition the store fills in itself. */
export type StoredFields = "version" | "createdAt" | "updatedAt";

/** Filter of the `list*` methods; every given member must match. */
export interface DefinitionFilter {
  /** Case-insensitive substring of the name, description, owner or a tag key/value. */
  query?: string;
  owner?: string;
  /** Tags that must all be present with these values (`""` matches any value). */
  tags?: Record<string, string>;
  /** Feature views only: views over this entity. */
  entity?: string;
}

/** Where an offline scan stopped, as the offline store encodes it (opaque to the domain). */
export type ScanCursor = string;

/** Materialisation progress of one feature view. */
export interface MaterializationState {
  view: string;
  /** Event time (ms) up to which (inclusive) the online store is complete; undefined before the first run. */
  until?: number;
  /** A run that started and has not completed: resuming continues it from `cursor`. */
  pending?: {
    /** Window start, exclusive (ms); undefined = from the beginning. */
    start?: number;
    /** Window end, inclusive (ms). */
    end: number;
    /** Offline scan position after the last written chunk; undefined = nothing written yet. */
    cursor?: ScanCursor;
    /** Rows read so far in this run. */
    rows: number;
  };
  updatedAt: number;
}

/** Options of {@link FeatureRegistryStore.putEntity}. */
export interface PutEntityOptions {
  /**
   * Write only when the entity is absent or its stored join keys equal these ({@link sameJoinKeys});
   * otherwise nothing is written and the call fails with {@link joinKeysConflict} (`CONFLICT`). The
   * check and the write are one atomic step, so two concurrent applies of one new entity with
   * different join keys cannot both succeed.
   */
  expectJoinKeys?: readonly JoinKey[];
}

/**
 * The feature-registry port. Required: every method. Built-ins: memory (reference) and SQL. Checked
 * by `featureRegistryStoreSuite` in `mlcycle/testing`.
 */
export interface FeatureRegistryStore {
  /**
   * Adds or replaces an entity; returns it as stored. With `expectJoinKeys`, a conditional write:
   * `CONFLICT` and nothing written when a stored entity of that name has other join keys.
   */
  putEntity(
    entity: Omit<EntityDefinition, "createdAt" | "updatedAt">,
    now: number,
    options?: PutEntityOptions,
  ): Promise<EntityDefinition>;
  getEntity(name: string): Promise<EntityDefinition | undefined>;
  listEntities(filter?: DefinitionFilter): Promise<EntityDefinition[]>;
  /**
   * Adds a feature view (version 1) or, atomically, replaces it with version + 1 when `digest`
   * differs from the stored one; the same digest changes nothing. Returns the stored view and
   * whether it changed.
   */
  applyFeatureView(
    view: Omit<FeatureViewDefinition, StoredFields>,
    now: number,
  ): Promise<{ view: FeatureViewDefinition; changed: boolean }>;
  getFeatureView(name: string): Promise<FeatureViewDefinition | undefined>;
  listFeatureViews(filter?: DefinitionFilter): Promise<FeatureViewDefinition[]>;
  /** Like {@link FeatureRegistryStore.applyFeatureView} for services. */
  applyFeatureService(
    service: Omit<FeatureServiceDefinition, StoredFields>,
    now: number,
  ): Promise<{ service: FeatureServiceDefinition; changed: boolean }>;
  getFeatureService(name: string): Promise<FeatureServiceDefinition | undefined>;
  listFeatureServices(filter?: DefinitionFilter): Promise<FeatureServiceDefinition[]>;
  /** Removes a definition of the given kind; true when it existed. */
  deleteDefinition(kind: "entity" | "feature_view" | "feature_service", name: string): Promise<boolean>;
  getMaterialization(view: string): Promise<MaterializationState | undefined>;
  putMaterialization(state: MaterializationState): Promise<void>;
}

/** True when a definition matches a {@link DefinitionFilter} (the reference semantics of every store). */
export function matchesDefinitionFilter(
  def: { name: string; description?: string; owner?: string; tags: Record<string, string>; entities?: string[] },
  filter: DefinitionFilter = {},
): boolean {
  if (filter.owner !== undefined && def.owner !== filter.owner) return false;
  if (filter.entity !== undefined && !(def.entities ?? []).includes(filter.entity)) return false;
  for (const [k, v] of Object.entries(filter.tags ?? {})) {
    if (!(k in def.tags)) return false;
    if (v !== "" && def.tags[k] !== v) return false;
  }
  if (filter.query) {
    const q = filter.query.toLowerCase();
    const hay = [def.name, def.description ?? "", def.owner ?? "", ...Object.entries(def.tags).flat()];
    if (!hay.some((s) => s.toLowerCase().includes(q))) return false;
  }
  return true;
}

/** True when two lists of join keys are the same names and types in the same order. */
export function sameJoinKeys(a: readonly JoinKey[], b: readonly JoinKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.name === b[i].name && k.type === b[i].type);
}

/**
 * The `CONFLICT` every store gives when {@link PutEntityOptions.expectJoinKeys} does not match the
 * stored join keys: they cannot change once set (stored rows are keyed by them).
 */
export function joinKeysConflict(entity: string, stored: readonly JoinKey[]): MlcycleError {
  return new MlcycleError(
    "CONFLICT",
    `entity '${entity}' has join keys ${stored.map((k) => `${k.name}:${k.type}`).join(", ")}; they cannot change — apply a new entity`,
    { details: { entity } },
  );
}

import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";
import { hashValue } from "../core/hash.js";
import { checkName, checkString, LIMITS } from "../core/validation.js";
import type {
  FeatureField,
  FeatureServiceDefinition,
  FeatureViewDefinition,
  JoinKey,
  JoinKeyType,
  StoredFields,
} from "../stores/feature-registry-store.js";
import { type FeatureSource, isFeatureSource } from "./sources/feature-source.js";
import { sourceText } from "./sources/source-spec.js";

/** What {@link FeatureStore.applyEntity} takes. */
export interface EntityInput {
  /** Unique entity name, e.g. `driver` (no `:`, which separates view and feature in references). */
  name: string;
  /** Join keys in order: `[{ name: "driver_id", type: "int" }]`, or a shorthand `{ driver_id: "int" }`. */
  joinKeys: JoinKey[] | Record<string, JoinKeyType>;
  description?: string;
  tags?: Record<string, string>;
}

/** What {@link FeatureStore.applyFeatureView} takes. */
export interface FeatureViewInput<S extends z.ZodObject = z.ZodObject> {
  /** Unique view name (no `:`, which separates view and feature in references). */
  name: string;
  /** Names of applied entities; the view's join keys are theirs. */
  entities: string[];
  /** The features as a zod object: `z.object({ conv_rate: z.number(), trips: z.number().int() })`. */
  schema: S;
  /** How long a value stays valid after its event time, in whole ms (default 0: forever). */
  ttlMs?: number;
  /**
   * Where the rows come from: a {@link FeatureSource} (`parquetSource`, `csvSource`, `sqlSource`,
   * `postgresSource`, `iterableSource`) the view then reads its rows from — materialisation and
   * training sets read the source, and `ingest` is refused — or text for people (a table, a
   * topic) when rows are ingested.
   */
  source?: string | FeatureSource;
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
  /** Field of ingested rows with the event time (default `event_timestamp`; a source names its own). */
  timestampField?: string;
  /** Field of ingested rows with the created time (default `created_timestamp`; absent → ingestion time). */
  createdTimestampField?: string;
}

/** What {@link FeatureStore.applyFeatureService} takes. */
export interface FeatureServiceInput {
  name: string;
  /** `"view:feature"` references (stored views or on-demand views). */
  features: string[];
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

const tagsSchema = z.record(z.string().max(LIMITS.keyLength), z.string().max(LIMITS.tagValueLength));

/**
 * Checks an entity, view or service name: a {@link checkName} name without `:`, the separator of
 * `"view:feature"` references (an entity name never appears in one, but a name that would be
 * refused as a view's keeps the naming rules one).
 */
export function checkViewName(what: string, value: unknown): string {
  const name = checkName(what, value);
  if (name.includes(":"))
    throw invalid([what], `'${name.slice(0, 60)}' contains ':', which separates view and feature in references`);
  return name;
}

/** Normalises and checks join keys. */
export function normaliseJoinKeys(input: EntityInput["joinKeys"]): JoinKey[] {
  const list = Array.isArray(input)
    ? input
    : input && typeof input === "object"
      ? Object.entries(input).map(([name, type]) => ({ name, type }))
      : undefined;
  if (!list || list.length === 0) throw invalid(["joinKeys"], "an entity needs at least one join key");
  const seen = new Set<string>();
  return list.map((k, i) => {
    const name = checkName(`joinKeys.${i}.name`, k?.name, LIMITS.keyLength);
    if (k.type !== "string" && k.type !== "int")
      throw invalid(["joinKeys", i, "type"], `must be "string" or "int", got ${JSON.stringify(k.type)}`);
    if (seen.has(name)) throw invalid(["joinKeys", i, "name"], `join key '${name}' is listed twice`);
    seen.add(name);
    return { name, type: k.type };
  });
}

/** Checks tags (string keys and values within the tracking limits). */
export function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined) return {};
  const r = tagsSchema.safeParse(tags);
  if (!r.success) throw fromZodError(r.error, "tags");
  return r.data;
}

/** Optional free text of at most `max` characters, or undefined. */
export function optionalText(what: string, value: unknown, max: number = LIMITS.tagValueLength): string | undefined {
  return value === undefined ? undefined : checkString(what, value, max);
}

/** The features of a view's JSON Schema, in order. */
export function featureFields(schema: Record<string, unknown>): FeatureField[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props).map(([name, p]) => fieldOf(name, p));
}

function fieldOf(name: string, p: Record<string, unknown>): FeatureField {
  const types: string[] = [];
  const collect = (s: Record<string, unknown>) => {
    const t = s.type;
    if (typeof t === "string") types.push(t);
    else if (Array.isArray(t)) types.push(...(t as string[]));
    for (const alt of (s.anyOf ?? s.oneOf ?? []) as Record<string, unknown>[]) collect(alt);
  };
  collect(p);
  const nonNull = [...new Set(types.filter((t) => t !== "null"))];
  return { name, type: nonNull.length === 1 ? nonNull[0] : "unknown", nullable: types.includes("null") };
}

/** Builds the stored form of a feature view from its input (without the fields the store fills). */
export function buildFeatureView(
  input: FeatureViewInput,
  joinKeysOf: (entity: string) => JoinKey[],
): Omit<FeatureViewDefinition, StoredFields> {
  const name = checkViewName("name", input?.name);
  if (!Array.isArray(input.entities) || input.entities.length === 0)
    throw invalid(["entities"], "a feature view needs at least one entity");
  const entities = input.entities.map((e, i) => checkName(`entities.${i}`, e));
  if (new Set(entities).size !== entities.length) throw invalid(["entities"], "an entity is listed twice");
  if (!(input.schema instanceof z.ZodObject))
    throw invalid(["schema"], "must be a zod object of the features, e.g. z.object({ trips: z.number() })");
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(input.schema) as Record<string, unknown>;
  } catch (error) {
    throw invalid(["schema"], `cannot be stored as JSON Schema: ${(error as Error).message}`);
  }
  const features = featureFields(schema);
  if (features.length === 0) throw invalid(["schema"], "a feature view needs at least one feature");
  const joinKeys = entities.flatMap((e) => joinKeysOf(e));
  const keyNames = new Set<string>();
  for (const k of joinKeys) {
    if (keyNames.has(k.name)) throw invalid(["entities"], `join key '${k.name}' comes from two entities`);
    keyNames.add(k.name);
  }
  const timestampField = checkName("timestampField", input.timestampField ?? "event_timestamp", LIMITS.keyLength);
  const createdTimestampField = checkName(
    "createdTimestampField",
    input.createdTimestampField ?? "created_timestamp",
    LIMITS.keyLength,
  );
  for (const f of features) {
    checkName(`schema.${f.name}`, f.name, LIMITS.keyLength);
    if (keyNames.has(f.name) || f.name === timestampField || f.name === createdTimestampField)
      throw invalid(["schema", f.name], `feature '${f.name}' has the name of a join key or timestamp field`);
  }
  if (isFeatureSource(input.source)) {
    const names = new Set([...features.map((f) => f.name), ...keyNames]);
    for (const [column, name] of Object.entries(input.source.fieldMapping))
      if (!names.has(name))
        throw invalid(
          ["source", "fieldMapping", column],
          `maps to '${name}', which is not a feature or join key of the view (${[...names].join(", ")})`,
        );
  }
  const ttlMs = input.ttlMs ?? 0;
  if (typeof ttlMs !== "number" || !Number.isSafeInteger(ttlMs) || ttlMs < 0)
    throw invalid(
      ["ttlMs"],
      `must be a non-negative integer number of milliseconds (0: never expires), got ${String(ttlMs).slice(0, 40)}`,
      typeof ttlMs === "number" && ttlMs < 0 ? "too_small" : "invalid_type",
    );
  const def: Omit<FeatureViewDefinition, StoredFields | "digest"> = {
    name,
    entities,
    schema,
    features,
    ttlMs,
    source: isFeatureSource(input.source) ? sourceText(input.source) : optionalText("source", input.source),
    description: optionalText("description", input.description),
    owner: optionalText("owner", input.owner, LIMITS.nameLength),
    tags: checkTags(input.tags),
    timestampField,
    createdTimestampField,
  };
  const clean = Object.fromEntries(Object.entries(def).filter(([, v]) => v !== undefined)) as typeof def;
  return { ...clean, digest: hashValue(clean) };
}

/** Builds the stored form of a feature service (references are checked by the caller). */
export function buildFeatureService(input: FeatureServiceInput): Omit<FeatureServiceDefinition, StoredFields> {
  const name = checkViewName("name", input?.name);
  if (!Array.isArray(input.features) || input.features.length === 0)
    throw invalid(["features"], "a feature service needs at least one feature reference");
  if (new Set(input.features).size !== input.features.length)
    throw invalid(["features"], "a feature reference is listed twice");
  const def = {
    name,
    features: [...input.features],
    description: optionalText("description", input.description),
    owner: optionalText("owner", input.owner, LIMITS.nameLength),
    tags: checkTags(input.tags),
  };
  const clean = Object.fromEntries(Object.entries(def).filter(([, v]) => v !== undefined)) as typeof def;
  return { ...clean, digest: hashValue(clean) };
}

import { z } from "zod";
import { fromZodError, invalid, MlcycleError } from "../core/errors.js";
import { LIMITS } from "../core/validation.js";
import type { DefinitionFilter } from "../stores/feature-registry-store.js";
import type { FeatureSelection, MaterializeProgress } from "./feature-types.js";
import type { RowSource } from "./rows.js";
import type { TimeInput } from "./timestamps.js";
import { type FeatureSource, isFeatureSource } from "./sources/feature-source.js";

/**
 * The schemas every argument and options object of {@link FeatureStore} is checked with at its
 * boundary, so a wrong type or an out-of-range number is a `VALIDATION` error naming the option
 * instead of a runtime error (or a silent default) further in. Options objects are strict: an
 * unknown key (a typo such as `chunksize`, or `start` given to an incremental run) is refused too.
 */

/** Most rows one chunk of ingestion or materialisation may hold (memory is bounded by it). */
export const MAX_CHUNK_SIZE = 1_000_000;
/** Largest reservoir and category budget per feature a statistics pass may use. */
export const MAX_SAMPLE_SIZE = 10_000_000;

const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** An `AbortSignal`, recognised by shape so signals from another realm or a polyfill pass too. */
export const signalSchema = z.custom<AbortSignal>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as AbortSignal).aborted === "boolean" &&
    typeof (v as AbortSignal).addEventListener === "function",
  { message: "must be an AbortSignal" },
);

/** A time as the feature store takes it; its value (integer ms within the `Date` range) is checked by `toEpochMs`. */
export const timeSchema = z.custom<TimeInput>(
  (v) => typeof v === "number" || typeof v === "string" || v instanceof Date,
  { message: "must be a Date, epoch milliseconds or an ISO-8601 string" },
);

/** Rows: an array, an iterable or an async iterable (a string, though iterable, is not rows). */
export const rowSourceSchema = z.custom<RowSource<Record<string, unknown>>>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    (typeof (v as Iterable<unknown>)[Symbol.iterator] === "function" ||
      typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"),
  { message: "must be an array, an iterable or an async iterable of row objects" },
);

/** A feature selection: its references are checked one by one by the selection planner. */
const selectionSchema = z.custom<FeatureSelection>(
  (v) =>
    Array.isArray(v) ||
    (typeof v === "object" && v !== null && typeof (v as { service?: unknown }).service === "string"),
  { message: "must be a list of 'view:feature' references or { service: name }" },
);

/** A definition name looked up by a read or delete (the stored names were checked when applied). */
export const lookupNameSchema = z.string().min(1).max(LIMITS.nameLength);

/** `DefinitionFilter` of the list methods. */
export const definitionFilterSchema: z.ZodType<DefinitionFilter> = z.strictObject({
  query: z.string().max(LIMITS.nameLength).optional(),
  owner: z.string().max(LIMITS.nameLength).optional(),
  tags: z.record(z.string().max(LIMITS.keyLength), z.string().max(LIMITS.tagValueLength)).optional(),
  entity: z.string().max(LIMITS.nameLength).optional(),
});

/** Options of `ingest`. */
export const ingestOptionsSchema = z.strictObject({
  chunkSize: positiveInt(MAX_CHUNK_SIZE).optional(),
  signal: signalSchema.optional(),
});

/** Options of `push`. */
export const pushOptionsSchema = z.strictObject({
  to: z.enum(["online", "offline", "both"]).optional(),
});

/** Options of `getHistoricalFeatures`. */
export const historicalOptionsSchema = z.strictObject({
  entityRows: z.union([rowSourceSchema, z.custom<FeatureSource>((v) => isFeatureSource(v))], {
    message: "must be an array, an iterable or an async iterable of row objects, or a feature source",
  }),
  features: selectionSchema,
  timestampField: z.string().min(1).max(LIMITS.keyLength).optional(),
  fullFeatureNames: z.boolean().optional(),
  name: z.string().min(1).max(LIMITS.nameLength).optional(),
  record: z.boolean().optional(),
  signal: signalSchema.optional(),
});

/** Options of `streamHistoricalFeatures`: those of `getHistoricalFeatures` and the batch size. */
export const streamHistoricalOptionsSchema = historicalOptionsSchema.extend({
  batchSize: positiveInt(MAX_CHUNK_SIZE).optional(),
});

/** Options of `getOnlineFeatures`. */
export const onlineOptionsSchema = z.strictObject({
  fullFeatureNames: z.boolean().optional(),
});

const materializeShape = {
  views: z.array(lookupNameSchema).optional(),
  end: timeSchema.optional(),
  chunkSize: positiveInt(MAX_CHUNK_SIZE).optional(),
  signal: signalSchema.optional(),
  onProgress: z
    .custom<(progress: MaterializeProgress) => void>((v) => typeof v === "function", { message: "must be a function" })
    .optional(),
};

/** Options of `materialize`. */
export const materializeOptionsSchema = z.strictObject({ ...materializeShape, start: timeSchema.optional() });

/** Options of `materializeIncremental` (no `start`: the run starts where the last one ended). */
export const materializeIncrementalOptionsSchema = z.strictObject(materializeShape);

/** Options of the statistics accumulator (`StatisticsOptions`). */
export const statisticsShape = {
  quantiles: z.array(z.number().min(0).max(1)).max(1000).optional(),
  sampleSize: positiveInt(MAX_SAMPLE_SIZE).optional(),
  maxCategories: positiveInt(MAX_SAMPLE_SIZE).optional(),
  topK: z.number().int().min(0).max(MAX_SAMPLE_SIZE).optional(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
};

/** Options of `statistics` (the accumulator's, and the event-time window). */
export const viewStatisticsOptionsSchema = z.strictObject({
  ...statisticsShape,
  since: timeSchema.optional(),
  until: timeSchema.optional(),
});

/** Options of `deleteFeatureView`. */
export const deleteOptionsSchema = z.strictObject({ keepData: z.boolean().optional() });

const port = (methods: string[]) =>
  z.custom<object>(
    (v) =>
      typeof v === "object" &&
      v !== null &&
      methods.every((m) => typeof (v as Record<string, unknown>)[m] === "function"),
    { message: `must be a store with ${methods.join(", ")}` },
  );

/** `FeatureStoreOptions`: the ports by the methods the feature store calls, and `definitionCacheMs`. */
export const featureStoreOptionsSchema = z.object({
  registry: port(["getEntity", "putEntity", "getFeatureView", "applyFeatureView"]),
  lineage: port(["putNode"]),
  offline: port(["writeRows", "scan"]).optional(),
  online: port(["write", "read"]).optional(),
  sql: port(["rows"]).optional(),
  artifacts: port(["put", "get"]).optional(),
  events: port(["emit"]),
  clock: port(["now"]),
  definitionCacheMs: z.number().int().min(0).max(86_400_000).optional(),
});

/**
 * Parses `value` with `schema`; on failure a `VALIDATION` error whose message starts with `what`
 * (e.g. `statistics options`) and whose issues keep zod's fields (`minimum`, `expected`, `keys`…)
 * at the option's path, under `argument` when given (`["rows"]`, `["filter", "query"]`).
 */
export function parseArgument<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  argument?: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  if (argument === undefined) throw fromZodError(r.error, what);
  const issues = r.error.issues.map((i) => ({ ...i, path: [argument, ...i.path] }));
  const error = fromZodError({ issues }, what);
  throw new MlcycleError(error.code, error.message, { issues: error.issues, cause: r.error });
}

/** An options object that may be omitted: `undefined` is `{}`, anything else is parsed. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  return parseArgument(schema, value === undefined ? {} : value, what);
}

/** A definition name argument (`view`, `name`…): a non-empty string, else `VALIDATION` naming `what`. */
export function checkLookupName(what: string, value: unknown): string {
  if (typeof value === "string" && value.length > 0 && value.length <= LIMITS.nameLength) return value;
  if (typeof value !== "string")
    throw invalid([what], `must be a name (a string), got ${typeName(value)}`, "invalid_type");
  throw invalid([what], value.length === 0 ? "must not be empty" : `is longer than ${LIMITS.nameLength} characters`);
}

/** An object argument (a definition input), else `VALIDATION` naming `what`. */
export function checkObjectArgument(what: string, value: unknown): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid([what], `must be an object, got ${typeName(value)}`, "invalid_type");
}

/** The entity rows of an online read: an array, else `VALIDATION` at `entityRows`. */
export function checkEntityRowsArray(value: unknown): void {
  if (!Array.isArray(value))
    throw new MlcycleError("VALIDATION", "entityRows: must be an array of entity rows", {
      issues: [
        { code: "invalid_type", path: ["entityRows"], message: "must be an array of entity rows", expected: "array" },
      ],
    });
}

/** The type of a value as an error message says it: `null`, `array`, `number`… */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

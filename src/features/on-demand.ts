import { z } from "zod";
import { fromZodError, invalid, MlcycleError } from "../core/errors.js";
import { checkName, LIMITS } from "../core/validation.js";
import { checkViewName } from "./definitions.js";
import { type FeatureRef, parseFeatureRef } from "./feature-ref.js";

/** What {@link FeatureStore.defineOnDemandFeatureView} takes. */
export interface OnDemandFeatureViewInput<R extends z.ZodObject, O extends z.ZodObject> {
  /** Unique name among feature views and on-demand views. */
  name: string;
  /** Stored features the function reads, as `"view:feature"` (feature names must be distinct). */
  sources: string[];
  /** Request data the function reads from each entity row (default: none). */
  request?: R;
  /** The computed features. */
  schema: O;
  /**
   * The transformation: request data + stored features (by feature name, null when absent or
   * expired) → computed features. The same function serves training sets and online reads.
   */
  compute: (input: { request: z.output<R>; features: Record<string, unknown> }) => z.input<O>;
}

/**
 * An on-demand feature view: features computed at read time from request data and stored features,
 * by one function used for both historical retrieval and online reads — so training and serving
 * cannot drift apart. Defined in code (functions are not stored); declare it in every process.
 */
export class OnDemandFeatureView {
  readonly name: string;
  readonly sources: FeatureRef[];
  /** Names of the computed features, in schema order. */
  readonly features: string[];
  private readonly requestKeys: string[];

  constructor(private readonly input: OnDemandFeatureViewInput<z.ZodObject, z.ZodObject>) {
    this.name = checkViewName("name", input?.name);
    if (!Array.isArray(input.sources)) throw invalid(["sources"], "must be a list of 'view:feature' references");
    this.sources = input.sources.map((s, i) => parseFeatureRef(s, ["sources", i]));
    const names = new Set<string>();
    for (const s of this.sources) {
      if (names.has(s.feature))
        throw invalid(["sources"], `two sources are named '${s.feature}'; the function reads features by name`);
      names.add(s.feature);
    }
    if (!(input.schema instanceof z.ZodObject))
      throw invalid(["schema"], "must be a zod object of the computed features");
    if (input.request !== undefined && !(input.request instanceof z.ZodObject))
      throw invalid(["request"], "must be a zod object of the request fields");
    if (typeof input.compute !== "function") throw invalid(["compute"], "must be a function");
    this.features = Object.keys(input.schema.shape).map((f) => checkName(`schema.${f}`, f, LIMITS.keyLength));
    this.requestKeys = input.request ? Object.keys(input.request.shape) : [];
  }

  /**
   * Computes the features for one row: `row` holds the request data, `features` the source
   * features by name. `VALIDATION` when the request data or the result does not fit its schema.
   */
  evaluate(
    row: Record<string, unknown>,
    features: Record<string, unknown>,
    path: PropertyKey[] = [],
  ): Record<string, unknown> {
    let request: Record<string, unknown> = {};
    if (typeof row !== "object" || row === null)
      throw invalid(path, `must be an object of request data, got ${row === null ? "null" : typeof row}`);
    if (this.input.request) {
      const picked: Record<string, unknown> = {};
      for (const k of this.requestKeys) picked[k] = row[k];
      const r = this.input.request.safeParse(picked);
      if (!r.success) throw prefix(fromZodError(r.error, `request data of on-demand view '${this.name}'`), path);
      request = r.data;
    }
    let out: unknown;
    try {
      out = this.input.compute({ request, features });
    } catch (error) {
      throw new MlcycleError(
        "INTERNAL",
        `on-demand view '${this.name}' failed: ${(error as Error)?.message ?? error}`,
        {
          cause: error,
        },
      );
    }
    const r = this.input.schema.safeParse(out);
    if (!r.success) throw prefix(fromZodError(r.error, `the result of on-demand view '${this.name}'`), path);
    return r.data as Record<string, unknown>;
  }
}

function prefix(e: MlcycleError, path: PropertyKey[]): MlcycleError {
  if (path.length === 0) return e;
  return new MlcycleError("VALIDATION", `${path.map(String).join(".")}: ${e.message}`, {
    issues: e.issues.map((i) => ({ ...i, path: [...path, ...i.path] })),
    cause: e.cause,
  });
}

import { invalid } from "../core/errors.js";

/** A parsed `"view:feature"` reference. */
export interface FeatureRef {
  view: string;
  feature: string;
}

/**
 * Parses a `"view:feature"` reference (the view part may not contain `:`; the feature part is
 * everything after the first `:`).
 *
 * @example
 * ```ts
 * parseFeatureRef("driver_stats:conv_rate"); // { view: "driver_stats", feature: "conv_rate" }
 * ```
 */
export function parseFeatureRef(ref: unknown, path: PropertyKey[] = ["features"]): FeatureRef {
  if (typeof ref !== "string") throw invalid(path, "a feature reference must be a string 'view:feature'");
  const at = ref.indexOf(":");
  if (at <= 0 || at === ref.length - 1)
    throw invalid(path, `'${ref.slice(0, 80)}' is not a feature reference of the form 'view:feature'`);
  return { view: ref.slice(0, at), feature: ref.slice(at + 1) };
}

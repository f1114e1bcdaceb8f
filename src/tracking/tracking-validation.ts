import { invalid } from "../core/errors.js";
import { checkKey, checkRecord, checkString, hasLoneSurrogate, LIMITS } from "../core/validation.js";

/** Batch limits of one call, as MLflow's `log_batch`. */
export const TRACKING_LIMITS = {
  ...LIMITS,
  /** Params in one `logParams` call or one `startRun`. */
  paramsPerBatch: 100,
  /** Tags in one `setTags` call or one `startRun`. */
  tagsPerBatch: 100,
  /** Metrics in one `logMetrics` call. */
  metricsPerBatch: 1000,
  /** Characters of a run-relative artifact path. */
  artifactPathLength: 1000,
  /** Characters of an experiment description. */
  descriptionLength: 5000,
  /** Characters of a run's stored error. */
  errorLength: 8000,
} as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * An experiment or run name: any printable text (quotes and semicolons included; names are always
 * bound as parameters), not blank, at most 500 characters.
 */
export function checkDisplayName(what: string, value: unknown): string {
  if (typeof value !== "string") throw invalid([what], `must be a string, got ${typeof value}`);
  if (value.trim().length === 0) throw invalid([what], "must not be empty");
  if (value.length > LIMITS.nameLength)
    throw invalid([what], `is ${value.length} characters long; the limit is ${LIMITS.nameLength}`, "too_big");
  if (CONTROL.test(value)) throw invalid([what], "must not contain control characters (newlines, tabs…)");
  if (hasLoneSurrogate(value))
    throw invalid([what], "contains an unpaired UTF-16 surrogate (a broken character)", "invalid_string");
  return value;
}

/**
 * A param value as stored: strings as they are, numbers and booleans as `String(value)`. Anything
 * else (null, an object, a bigint, a symbol…) is `VALIDATION`: no value is turned into text the
 * caller did not write.
 */
export function paramValue(key: string, value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") value = String(value);
  if (typeof value !== "string")
    throw invalid(
      ["params", key],
      `must be a string, number or boolean, got ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}${
        typeof value === "bigint" ? " (pass String(value) to log it as text)" : ""
      }`,
    );
  return checkString(`params.${key}`, value, LIMITS.paramValueLength);
}

/** Validates a record of params: keys, values and the batch limit. */
export function checkParams(params: unknown): Record<string, string> {
  if (params === undefined) return {};
  const entries = checkRecord("params", params, "an object of key → value");
  if (entries.length > TRACKING_LIMITS.paramsPerBatch)
    throw invalid(
      ["params"],
      `has ${entries.length} entries; one call takes at most ${TRACKING_LIMITS.paramsPerBatch}`,
      "too_big",
    );
  // fromEntries defines own properties, so a key such as `__proto__` is kept as a key.
  return Object.fromEntries(entries.map(([k, v]) => [checkKey("param key", k), paramValue(k, v)]));
}

/** Validates a record of tags: keys, string values ≤ 8000 characters, the batch limit. */
export function checkTags(tags: unknown, what = "tags"): Record<string, string> {
  if (tags === undefined) return {};
  const entries = checkRecord(what, tags, "an object of key → string");
  if (entries.length > TRACKING_LIMITS.tagsPerBatch)
    throw invalid(
      [what],
      `has ${entries.length} entries; one call takes at most ${TRACKING_LIMITS.tagsPerBatch}`,
      "too_big",
    );
  return Object.fromEntries(
    entries.map(([k, v]) => [checkKey("tag key", k), checkString(`${what}.${k}`, v, LIMITS.tagValueLength)]),
  );
}

/** A metric value: any number, NaN and ±Infinity included. */
export function checkMetricValue(key: string, value: unknown): number {
  if (typeof value !== "number") throw invalid(["metrics", key], `must be a number, got ${typeof value}`);
  return value;
}

/** A step (any safe integer, negative allowed) or a timestamp (epoch ms, a safe integer). */
export function checkInteger(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw invalid([what], `must be an integer, got ${String(value)}`);
  return value;
}

/**
 * A run-relative artifact path: `/`-separated segments, none empty, `.` or `..`; no leading `/`, no
 * backslash, no drive letter, no control characters; at most 1000 characters.
 *
 * @example
 * ```ts
 * checkArtifactPath("model/weights.json"); // ok
 * checkArtifactPath("../etc/passwd");      // VALIDATION
 * ```
 */
export function checkArtifactPath(value: unknown, what = "artifact path"): string {
  if (typeof value !== "string") throw invalid([what], `must be a string, got ${typeof value}`);
  if (value.length === 0) throw invalid([what], "must not be empty");
  if (value.length > TRACKING_LIMITS.artifactPathLength)
    throw invalid([what], `is longer than ${TRACKING_LIMITS.artifactPathLength} characters`, "too_big");
  if (value.startsWith("/")) throw invalid([what], `'${value}' is absolute; give a path relative to the run`);
  if (/^[A-Za-z]:/.test(value))
    throw invalid([what], `'${value}' starts with a drive letter; give a run-relative path`);
  if (value.includes("\\")) throw invalid([what], `'${value}' contains a backslash; separate folders with '/'`);
  if (CONTROL.test(value)) throw invalid([what], "must not contain control characters");
  if (hasLoneSurrogate(value))
    throw invalid([what], "contains an unpaired UTF-16 surrogate (a broken character)", "invalid_string");
  for (const seg of value.split("/")) {
    if (seg === "") throw invalid([what], `'${value}' has an empty segment (leading, trailing or doubled '/')`);
    if (seg === "." || seg === "..")
      throw invalid([what], `'${value}' contains '${seg}'; paths must stay inside the run`);
  }
  return value;
}

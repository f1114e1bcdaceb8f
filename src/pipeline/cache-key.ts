import { canonicalJson, hashValue, sha256 } from "../core/hash.js";
import type { CacheEntry, CacheKeyComponents } from "../stores/pipeline-store.js";

export type { CacheKeyComponents } from "../stores/pipeline-store.js";

/**
 * The key of a step's cache entry: sha256 of the canonical JSON of its components — step name,
 * version (or code hash), input hash, the params it read and the serializer id.
 */
export function cacheKey(c: CacheKeyComponents): string {
  return sha256(componentsJson(c, true));
}

/** The key without params: entries sharing it differ only in the params their step read. */
export function baseCacheKey(c: Omit<CacheKeyComponents, "params">): string {
  return sha256(componentsJson(c, false));
}

const q = JSON.stringify;

/**
 * `canonicalJson` of key components, written directly for their known shape (keys in sorted
 * order, all values strings): the same text, without walking a generic value per step.
 */
export function componentsJson(
  c: Omit<CacheKeyComponents, "params"> & { params?: Record<string, string> },
  withParams: boolean,
): string {
  const params = withParams
    ? `"params":{${Object.keys(c.params ?? {})
        .sort()
        .map((k) => `${q(k)}:${q(c.params![k])}`)
        .join(",")}},`
    : "";
  const ignored = c.ignoredInputs.map((x) => q(x)).join(",");
  return `{"ignoredInputs":[${ignored}],"input":${q(c.input)},${params}"serializer":${q(c.serializer)},"step":${q(c.step)},"version":${q(c.version)}}`;
}

/** Hash of a step input with ignored top-level fields removed. */
export function inputHash(input: unknown, ignore: readonly string[]): string {
  if (ignore.length && input && typeof input === "object" && !Array.isArray(input)) {
    const copy: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    for (const k of ignore) delete copy[k];
    return hashValue(copy);
  }
  return hashValue(input);
}

/** Hashes of the named params' current values (`undefined` for a missing one). */
export function paramHashes(params: unknown, names: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const rec = (params ?? {}) as Record<string, unknown>;
  for (const n of names) out[n] = hashValue(rec[n] ?? null);
  return out;
}

/** One component that differs between a step run's key and a previous entry's. */
export interface CacheDifference {
  component: "step" | "version" | "input" | "ignoredInputs" | `params.${string}` | "serializer";
  previous: unknown;
  current: unknown;
}

/** Lists the components that differ between two keys' components. */
export function diffComponents(prev: CacheKeyComponents, cur: CacheKeyComponents): CacheDifference[] {
  const out: CacheDifference[] = [];
  for (const k of ["step", "version", "input", "serializer"] as const)
    if (prev[k] !== cur[k]) out.push({ component: k, previous: prev[k], current: cur[k] });
  if (canonicalJson(prev.ignoredInputs) !== canonicalJson(cur.ignoredInputs))
    out.push({ component: "ignoredInputs", previous: prev.ignoredInputs, current: cur.ignoredInputs });
  for (const p of new Set([...Object.keys(prev.params), ...Object.keys(cur.params)])) {
    if (prev.params[p] !== cur.params[p])
      out.push({ component: `params.${p}`, previous: prev.params[p], current: cur.params[p] });
  }
  return out;
}

/** Whether an entry was made with the current values of the params it recorded (freshness is the caller's). */
export function entryMatches(entry: CacheEntry, params: unknown): boolean {
  const current = paramHashes(params, Object.keys(entry.components.params));
  for (const [k, h] of Object.entries(entry.components.params)) if (current[k] !== h) return false;
  return true;
}

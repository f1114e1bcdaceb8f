import { invalid } from "../core/errors.js";
import { checkKey, checkName, checkString } from "../core/validation.js";
import { isReservedAlias } from "./model-ref.js";

const MODEL_NAME_RE = /^[^@]+$/;

/** Who acts when the caller does not say: `$MLCYCLE_ACTOR`, `$USER`, else `unknown`. */
export function defaultActor(): string {
  return process.env.MLCYCLE_ACTOR || process.env.USER || "unknown";
}

/** The actor of an audited call (default {@link defaultActor}); `VALIDATION` past 500 characters. */
export function checkActor(actor: string | undefined): string {
  return checkString("actor", actor ?? defaultActor(), 500);
}

/** A registered model's name: a name without `@`, which separates a model from its alias in references. */
export function checkModelName(name: unknown): string {
  checkName("model", name);
  if (!MODEL_NAME_RE.test(name as string))
    throw invalid(["model"], `'${name}' contains '@', which separates a model from its alias in references`);
  return name as string;
}

/** An alias: a name without `@` or `/`, and not one reserved for version references. */
export function checkAlias(alias: unknown): string {
  checkName("alias", alias, 250);
  const a = alias as string;
  if (a.includes("@") || a.includes("/")) throw invalid(["alias"], `'${a}' must not contain '@' or '/'`);
  if (isReservedAlias(a))
    throw invalid(["alias"], `'${a}' is reserved: 'latest' and version numbers (3, v3) name versions`, "reserved");
  return a;
}

/** A record of tags (key → string ≤ 8000 characters); `{}` when absent. */
export function checkTags(tags: Record<string, string> | undefined): Record<string, string> {
  if (tags === undefined) return {};
  if (typeof tags !== "object" || tags === null || Array.isArray(tags))
    throw invalid(["tags"], "must be a record of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    checkKey("tag", k);
    out[k] = checkString(`tags.${k}`, v, 8000);
  }
  return out;
}

/** A record of finite metric values (JSON has no NaN or ±Infinity). */
export function checkMetrics(metrics: Record<string, number>): Record<string, number> {
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics))
    throw invalid(["metrics"], "must be a record of numbers");
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    checkKey("metric", k);
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(["metrics", k], "must be a finite number");
    out[k] = v;
  }
  return out;
}

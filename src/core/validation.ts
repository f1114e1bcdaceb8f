import { invalid } from "./errors.js";

/** Limits on names and values, as MLflow's (`utils/validation.py`). */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  nameLength: 500,
} as const;

const NAME_RE = /^[\p{L}\p{N}_\-. /:@]+$/u;

/**
 * Checks a user-given name (experiment, model, feature view, step…): a non-empty string of at most
 * `max` characters made of letters, digits, spaces and `_ - . / : @`. Throws `VALIDATION` naming `what`.
 */
export function checkName(what: string, value: unknown, max: number = LIMITS.nameLength): string {
  if (typeof value !== "string") throw invalid([what], `must be a string, got ${typeof value}`);
  if (value.trim().length === 0) throw invalid([what], "must not be empty");
  if (value.length > max) throw invalid([what], `is ${value.length} characters long; the limit is ${max}`, "too_big");
  if (!NAME_RE.test(value))
    throw invalid([what], `'${value.slice(0, 60)}' has characters outside letters, digits, space and _ - . / : @`);
  return value;
}

/** Checks a key (param, tag, metric): like {@link checkName} with the 250-character limit. */
export function checkKey(what: string, value: unknown): string {
  return checkName(what, value, LIMITS.keyLength);
}

/** Checks a string value's type and length. */
export function checkString(what: string, value: unknown, max: number): string {
  if (typeof value !== "string") throw invalid([what], `must be a string, got ${typeof value}`);
  if (value.length > max) throw invalid([what], `is ${value.length} characters long; the limit is ${max}`, "too_big");
  return value;
}

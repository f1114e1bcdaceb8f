import { invalid } from "./errors.js";

/** Limits on names and values, as MLflow's (`utils/validation.py`). */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  nameLength: 500,
} as const;

const NAME_RE = /^[\p{L}\p{N}_\-. /:@]+$/u;

// A high half not followed by a low half, or a low half not preceded by a high half.
// (`String.prototype.isWellFormed` would do, but Node 20's typings lack it.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/**
 * True when `text` holds an unpaired UTF-16 surrogate: a string no UTF-8 store can keep as it is
 * (SQLite writes U+FFFD in its place, PostgreSQL refuses it).
 *
 * @example
 * ```ts
 * hasLoneSurrogate("🚀");      // false: a pair
 * hasLoneSurrogate("a\uD800"); // true
 * ```
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * `text` with every unpaired surrogate replaced by U+FFFD, as a UTF-8 encoder would: for text the
 * caller did not write directly (an error's message) that must be stored rather than refused.
 */
export function toWellFormed(text: string): string {
  return hasLoneSurrogate(text) ? text.replace(LONE_SURROGATES, "\uFFFD") : text;
}

function refuseLoneSurrogate(what: string, value: string): void {
  if (hasLoneSurrogate(value))
    throw invalid(
      [what],
      "contains an unpaired UTF-16 surrogate (a broken character): it cannot be stored as UTF-8",
      "invalid_string",
    );
}

/**
 * Checks a user-given name (experiment, model, feature view, step…): a non-empty string of at most
 * `max` characters made of letters, digits, spaces and `_ - . / : @`. Throws `VALIDATION` naming `what`.
 */
export function checkName(what: string, value: unknown, max: number = LIMITS.nameLength): string {
  if (typeof value !== "string") throw invalid([what], `must be a string, got ${typeOf(value)}`);
  if (value.trim().length === 0) throw invalid([what], "must not be empty");
  if (value.length > max) throw invalid([what], `is ${value.length} characters long; the limit is ${max}`, "too_big");
  refuseLoneSurrogate(what, value);
  if (!NAME_RE.test(value))
    throw invalid([what], `'${value.slice(0, 60)}' has characters outside letters, digits, space and _ - . / : @`);
  return value;
}

/**
 * Checks a key (param, tag, metric): like {@link checkName} with the 250-character limit, and not
 * `__proto__` (a key records keep as an object's property, where `__proto__` is not one).
 */
export function checkKey(what: string, value: unknown): string {
  checkName(what, value, LIMITS.keyLength);
  if (value === "__proto__") throw invalid([what], "'__proto__' cannot be a key: JavaScript objects do not keep it");
  return value as string;
}

/** Checks a string value's type and length, and that it has no unpaired surrogate. */
export function checkString(what: string, value: unknown, max: number): string {
  if (typeof value !== "string") throw invalid([what], `must be a string, got ${typeOf(value)}`);
  if (value.length > max) throw invalid([what], `is ${value.length} characters long; the limit is ${max}`, "too_big");
  refuseLoneSurrogate(what, value);
  return value;
}

/**
 * Checks free text (a description, a filter, a file's content given as a string): a string with no
 * unpaired surrogate, at most `max` characters when `max` is given. Throws `VALIDATION` naming `what`.
 *
 * @example
 * ```ts
 * checkText("description", "naïve ✓ 🚀"); // ok
 * checkText("description", "a\uDC00");    // VALIDATION: an unpaired surrogate
 * ```
 */
export function checkText(what: string, value: unknown, max = Number.POSITIVE_INFINITY): string {
  return checkString(what, value, max);
}

/**
 * Checks that `value` is a plain object used as a record (not an array, a `Map`, a class instance
 * or a primitive) and returns its entries. Throws `VALIDATION` naming `what`.
 */
export function checkRecord(
  what: string,
  value: unknown,
  expected = "an object of key → value",
): Array<[string, unknown]> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid([what], `must be ${expected}, got ${typeOf(value)}`);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw invalid([what], `must be ${expected}, got a ${proto?.constructor?.name ?? "class instance"}`);
  return Object.entries(value);
}

/** Options of {@link checkJsonValue}. */
export interface JsonValueLimits {
  /** Deepest nesting of arrays and objects accepted (default 1000). */
  maxDepth?: number;
}

/** The default nesting limit of {@link checkJsonValue} and `canonicalJson`. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Checks that `value` survives JSON as it is, so every store reads back the same value: `null`,
 * booleans, finite numbers, well-formed strings, arrays and plain objects (members that are
 * `undefined` are dropped, as JSON does; a `toJSON()` method, as `Date`'s, is followed), nested
 * at most `maxDepth` deep. A cycle, a bigint, NaN or ±Infinity, a function, a symbol, a `Map` or
 * `Set`, binary data, or an unpaired surrogate is `VALIDATION` with the path of the value.
 *
 * @example
 * ```ts
 * checkJsonValue("schema", { cols: ["a", "b"] }); // ok
 * checkJsonValue("schema", { n: 1n });            // VALIDATION at schema.n
 * ```
 */
export function checkJsonValue(what: string, value: unknown, limits: JsonValueLimits = {}): void {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const ancestors = new Set<object>();
  const path: PropertyKey[] = [what];
  const fail = (message: string, code = "invalid_type"): never => {
    throw invalid([...path], message, code);
  };
  const visit = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case "string":
        if (hasLoneSurrogate(v)) fail("contains an unpaired UTF-16 surrogate (a broken character)", "invalid_string");
        return;
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(v)) fail(`is ${String(v)}, which JSON cannot hold (it would read back as null)`);
        return;
      case "bigint":
        fail("is a bigint, which JSON cannot hold: pass it as a string or a number");
        return;
      case "undefined":
      case "function":
      case "symbol":
        fail(`is a ${typeof v}, which JSON cannot hold`);
        return;
    }
    if (v === null) return;
    const obj = v as object;
    if (ancestors.has(obj)) fail("refers back to one of its own ancestors (a cycle), which JSON cannot hold");
    if (depth >= maxDepth) {
      const where = path.slice(0, 8);
      throw invalid(where, `is nested more than ${maxDepth} levels deep`, "too_big");
    }
    const withToJson = obj as { toJSON?: (key: string) => unknown };
    if (typeof withToJson.toJSON === "function") {
      ancestors.add(obj);
      visit(withToJson.toJSON(String(path[path.length - 1] ?? "")), depth);
      ancestors.delete(obj);
      return;
    }
    if (obj instanceof Map || obj instanceof Set || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer)
      fail(`is a ${obj.constructor.name}, which JSON would turn into {} or an object of indices`);
    ancestors.add(obj);
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        path.push(i);
        visit(obj[i], depth + 1);
        path.pop();
      }
    } else {
      for (const [k, member] of Object.entries(obj)) {
        path.push(k);
        if (hasLoneSurrogate(k))
          fail("has a key with an unpaired UTF-16 surrogate (a broken character)", "invalid_key");
        if (member !== undefined) visit(member, depth + 1);
        path.pop();
      }
    }
    ancestors.delete(obj);
  };
  visit(value, 0);
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

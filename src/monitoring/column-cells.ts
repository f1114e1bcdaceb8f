import type { Category } from "./drift/category-counts.js";

/**
 * One value of a monitored column as a window keeps it: a category or a number (valid), `null`
 * (missing: null, undefined or NaN), or `{ invalid }` — a value of the wrong type for the column,
 * described in a few words (objects are never valid values, so the marker cannot be mistaken).
 */
export type Cell = Category | null | { invalid: string };

/** What a column accepts: numbers, categories, or (kind not known yet) either. */
export type CellKind = "numeric" | "categorical" | undefined;

/** Whether a value is missing: null, undefined or NaN. */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
}

/** A short description of a value of the wrong type, kept as an example of a schema violation. */
export function describeInvalid(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  return typeof v;
}

/**
 * Classifies a value for a column of `kind`: a numeric column takes finite numbers, a categorical
 * one strings, finite numbers and booleans; a column whose kind is not known yet takes either.
 */
export function toCell(v: unknown, kind: CellKind): Cell {
  if (isMissing(v)) return null;
  const t = typeof v;
  if (t === "number") {
    if (!Number.isFinite(v)) return { invalid: describeInvalid(v) };
    return (v as number) + 0;
  }
  if (kind !== "numeric" && (t === "string" || t === "boolean")) return v as Category;
  return { invalid: describeInvalid(v) };
}

/** Whether a cell is a valid value (not missing, not invalid). */
export function isValue(c: Cell): c is Category {
  return c !== null && typeof c !== "object";
}

/** A category as one map key (`1` and `"1"` differ; `true` and `"true"` differ). */
export function categoryKey(c: Category): string {
  return typeof c === "number" ? `n${c}` : typeof c === "boolean" ? `b${c}` : `s${c}`;
}

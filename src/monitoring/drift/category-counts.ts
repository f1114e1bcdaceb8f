import { MlcycleError } from "../../core/errors.js";
import type { SampleRole } from "./numeric-sample.js";

/** One value of a categorical column. Missing values (null, undefined, NaN) are not categories. */
export type Category = string | number | boolean;

/** Counts of each category on both sides, from {@link categoryCounts}. */
export interface CategoryCounts {
  /**
   * Every category seen on either side, in a stable order: numbers ascending, then `false`, `true`,
   * then strings by code unit.
   */
  categories: Category[];
  /** How many reference values fall in each of `categories`. */
  reference: Float64Array;
  /** How many current values fall in each of `categories`. */
  current: Float64Array;
  /** Categories in the current sample that the reference never had (in `categories` order). */
  newCategories: Category[];
  /** Reference categories absent from the current sample (in `categories` order). */
  missingCategories: Category[];
}

function typeRank(c: Category): number {
  return typeof c === "number" ? 0 : typeof c === "boolean" ? 1 : 2;
}

/**
 * The order {@link categoryCounts} lists categories in: numbers ascending, then `false`, `true`,
 * then strings by code unit.
 *
 * @example
 * ```ts
 * ["b", true, 2, "a", 1].sort(compareCategories); // [1, 2, true, "a", "b"]
 * ```
 */
export function compareCategories(a: Category, b: Category): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "number") return a - (b as number);
  if (typeof a === "boolean") return Number(a) - Number(b);
  return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
}

function invalidCategory(column: string, role: SampleRole, index: number, value: unknown): MlcycleError {
  const shown = typeof value === "number" ? String(value) : value === undefined ? "undefined" : JSON.stringify(value);
  const message = `${role}[${index}] is ${shown}; categories are strings, finite numbers or booleans (drop missing values first)`;
  return new MlcycleError("VALIDATION", `column '${column}': ${message}`, {
    issues: [{ code: "invalid_type", path: [column, role, index], message }],
    details: { column, role, index },
  });
}

function countInto(
  values: ArrayLike<Category>,
  column: string,
  role: SampleRole,
  index: Map<Category, number>,
  counts: number[][],
  side: 0 | 1,
): void {
  if (values == null || typeof values.length !== "number") {
    throw new MlcycleError("VALIDATION", `column '${column}': the ${role} sample must be an array of categories`, {
      issues: [{ code: "invalid_type", path: [column, role], message: "expected an array" }],
      details: { column, role },
    });
  }
  if (values.length === 0) {
    throw new MlcycleError("VALIDATION", `column '${column}': the ${role} sample is empty`, {
      issues: [{ code: "too_small", path: [column, role], message: "at least one value is required" }],
      details: { column, role },
    });
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = typeof v;
    if (!(t === "string" || t === "boolean" || (t === "number" && Number.isFinite(v)))) {
      throw invalidCategory(column, role, i, v);
    }
    let k = index.get(v);
    if (k === undefined) {
      k = counts.length;
      index.set(v, k);
      counts.push([0, 0]);
    }
    counts[k][side]++;
  }
}

/**
 * Counts each category of a categorical column on both sides — the bins of the chi-square test,
 * PSI, KL and Jensen-Shannon on categorical data (one bin per distinct value of reference and
 * current together) — and lists new and missing categories.
 *
 * `1` and `"1"` are different categories; `0` and `-0` are the same.
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample or a value that is not a
 * string, a finite number or a boolean (null, undefined and NaN included).
 * @example
 * ```ts
 * const c = categoryCounts(["a", "b", "b"], ["b", "c"], { column: "plan" });
 * c.categories; // ["a", "b", "c"]
 * c.reference; // Float64Array [1, 2, 0]
 * c.current; // Float64Array [0, 1, 1]
 * c.newCategories; // ["c"]
 * c.missingCategories; // ["a"]
 * ```
 */
export function categoryCounts(
  reference: ArrayLike<Category>,
  current: ArrayLike<Category>,
  options: { column?: string } = {},
): CategoryCounts {
  const column = options.column ?? "value";
  const index = new Map<Category, number>();
  const counts: number[][] = [];
  countInto(reference, column, "reference", index, counts, 0);
  countInto(current, column, "current", index, counts, 1);
  const order = [...index.entries()].sort((x, y) => compareCategories(x[0], y[0]));
  const k = order.length;
  const ref = new Float64Array(k);
  const cur = new Float64Array(k);
  const categories: Category[] = new Array(k);
  const newCategories: Category[] = [];
  const missingCategories: Category[] = [];
  for (let i = 0; i < k; i++) {
    const [category, at] = order[i];
    categories[i] = category;
    ref[i] = counts[at][0];
    cur[i] = counts[at][1];
    if (ref[i] === 0) newCategories.push(category);
    if (cur[i] === 0) missingCategories.push(category);
  }
  return { categories, reference: ref, current: cur, newCategories, missingCategories };
}

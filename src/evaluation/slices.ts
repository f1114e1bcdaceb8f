import { invalid } from "../core/errors.js";
import { canonicalJson } from "../core/hash.js";

/**
 * A subset of the examples to compute metrics on, over the per-example `rows` given to `evaluate()`:
 *
 * - `{ column }`: one slice per distinct value of `row[column]`, named `<name ?? column>=<value>`
 *   (values sorted: numbers ascending, then strings, then others by their JSON);
 * - `{ name, where }`: one slice of the rows for which the predicate returns true.
 *
 * @example
 * ```ts
 * const slices: SliceSpec[] = [{ column: "country" }, { name: "young", where: (r) => Number(r.age) < 30 }];
 * ```
 */
export type SliceSpec =
  | { column: string; name?: string }
  | { name: string; where: (row: Record<string, unknown>, index: number) => boolean };

/** A named subset of example indices, as {@link partitionSlices} gives them. */
export interface SliceIndices {
  name: string;
  /** The column and value of a column slice. */
  column?: string;
  value?: unknown;
  indices: number[];
}

function valueKey(v: unknown): string {
  if (v === undefined) return "u:";
  if (typeof v === "number" || typeof v === "bigint") return `n:${String(v)}`;
  if (typeof v === "string") return `s:${v}`;
  if (typeof v === "boolean") return `b:${v}`;
  if (v instanceof Date) return `d:${v.toISOString()}`;
  return `j:${canonicalJson(v)}`;
}

function valueName(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Date) return v.toISOString();
  if (v === null || v === undefined || typeof v !== "object") return String(v);
  return canonicalJson(v);
}

const typeOrder = ["number", "bigint", "string", "boolean"];

function compareValues(a: unknown, b: unknown): number {
  const ta = typeOrder.indexOf(typeof a);
  const tb = typeOrder.indexOf(typeof b);
  const ra = ta < 0 ? typeOrder.length : ta;
  const rb = tb < 0 ? typeOrder.length : tb;
  if (ra !== rb) return ra - rb;
  if (ra < typeOrder.length) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  const ka = valueKey(a);
  const kb = valueKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Splits example indices by the slice specs. Throws `VALIDATION` when `rows` is missing or its length
 * differs from `count`, or when a spec is malformed.
 */
export function partitionSlices(
  specs: readonly SliceSpec[],
  rows: readonly Record<string, unknown>[] | undefined,
  count: number,
): SliceIndices[] {
  if (!Array.isArray(specs)) throw invalid(["slices"], "must be an array of slice specs");
  if (specs.length === 0) return [];
  if (!Array.isArray(rows)) throw invalid(["rows"], "slices need `rows`: one record per example");
  if (rows.length !== count)
    throw invalid(
      ["rows"],
      `has ${rows.length} records but there are ${count} examples; they must have the same length`,
    );
  rows.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r))
      throw invalid(["rows", i], "must be a record (object)");
  });
  const out: SliceIndices[] = [];
  specs.forEach((spec, s) => {
    if (spec === null || typeof spec !== "object")
      throw invalid(["slices", s], "must be { column } or { name, where }");
    if ("where" in spec && spec.where !== undefined) {
      if (typeof spec.where !== "function")
        throw invalid(["slices", s, "where"], "must be a function (row, index) => boolean");
      if (typeof spec.name !== "string" || spec.name.length === 0)
        throw invalid(["slices", s, "name"], "a predicate slice needs a non-empty name");
      const indices: number[] = [];
      rows.forEach((r, i) => {
        if (spec.where(r, i)) indices.push(i);
      });
      out.push({ name: spec.name, indices });
      return;
    }
    const column = (spec as { column?: unknown }).column;
    if (typeof column !== "string" || column.length === 0)
      throw invalid(["slices", s], "must be { column: string } or { name: string, where: (row) => boolean }");
    const prefix = (spec as { name?: string }).name ?? column;
    const groups = new Map<string, { value: unknown; indices: number[] }>();
    rows.forEach((r, i) => {
      const value = r[column];
      const key = valueKey(value);
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { value, indices: [] }));
      g.indices.push(i);
    });
    const sorted = [...groups.values()].sort((a, b) => compareValues(a.value, b.value));
    for (const g of sorted)
      out.push({ name: `${prefix}=${valueName(g.value)}`, column, value: g.value, indices: g.indices });
  });
  return out;
}

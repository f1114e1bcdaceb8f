import { MlcycleError } from "../../core/errors.js";
import type { Category } from "./category-counts.js";
import type { ColumnKind } from "./column-drift.js";
import type { SampleRole } from "./numeric-sample.js";

/**
 * A data set compared by {@link driftReport}: columns by name (each an array or a typed array, all of
 * one length — a data frame's columns), or rows (objects of column → value). In either form `null`,
 * `undefined`, NaN and ±Infinity are missing values.
 *
 * @example
 * ```ts
 * const byColumn: DriftData = { age: Float64Array.of(31, 45, 27), plan: ["pro", "free", "free"] };
 * const byRow: DriftData = [{ age: 31, plan: "pro" }, { age: 45, plan: "free" }];
 * ```
 */
export type DriftData = Readonly<Record<string, ArrayLike<unknown>>> | ReadonlyArray<Readonly<Record<string, unknown>>>;

/** A data set read column by column. */
export interface DriftTable {
  rows: number;
  /** Column names, in the order the data gives them. */
  names: string[];
  /** Whether the data has the column. */
  has(name: string): boolean;
  /** A column's values, or undefined when the data has no such column (rows: read out of them on each call). */
  column(name: string): ArrayLike<unknown> | undefined;
}

function dataError(role: SampleRole, message: string, path: PropertyKey[] = []): MlcycleError {
  return new MlcycleError("VALIDATION", `driftReport: the ${role} data ${message}`, {
    issues: [{ code: "invalid_type", path: [role, ...path], message }],
  });
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return (
    Array.isArray(v) ||
    (ArrayBuffer.isView(v) && !(v instanceof DataView)) ||
    (typeof v === "object" && v !== null && typeof (v as { length?: unknown }).length === "number")
  );
}

/** Reads a {@link DriftData} as columns, checking its shape (rows are objects; columns have one length). */
export function driftTable(data: DriftData, role: SampleRole): DriftTable {
  if (Array.isArray(data)) {
    const rows = data as ReadonlyArray<Readonly<Record<string, unknown>>>;
    const names = new Set<string>();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (typeof r !== "object" || r === null || Array.isArray(r))
        throw dataError(role, `has a row ${i} that is not an object of column → value`, [i]);
      for (const k in r) if (Object.hasOwn(r, k)) names.add(k);
    }
    return {
      rows: rows.length,
      names: [...names],
      has: (name) => names.has(name),
      column: (name) => (names.has(name) ? rows.map((r) => r[name]) : undefined),
    };
  }
  if (typeof data !== "object" || data === null)
    throw dataError(role, "must be columns (an object of column → values) or rows (an array of objects)");
  const columns = data as Readonly<Record<string, ArrayLike<unknown>>>;
  const names = Object.keys(columns);
  let rows: number | undefined;
  for (const name of names) {
    const values = columns[name];
    if (!isArrayLike(values)) throw dataError(role, `column '${name}' is not an array of values`, [name]);
    if (rows !== undefined && values.length !== rows)
      throw dataError(role, `column '${name}' has ${values.length} values where the first column has ${rows}`, [name]);
    rows = values.length;
  }
  const has = (name: string) => Object.hasOwn(columns, name);
  return { rows: rows ?? 0, names, has, column: (name) => (has(name) ? columns[name] : undefined) };
}

function isNumericArray(values: ArrayLike<unknown>): boolean {
  return (
    ArrayBuffer.isView(values) &&
    !(values instanceof DataView) &&
    !(values instanceof BigInt64Array) &&
    !(values instanceof BigUint64Array)
  );
}

/** Missing in a drift report: null, undefined, NaN and ±Infinity (Evidently drops them before testing). */
function isMissingValue(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v));
}

/**
 * A column's kind from its values: numeric when every value that is not missing is a number (a typed
 * array always is), else categorical.
 */
export function inferColumnKind(values: ArrayLike<unknown>): ColumnKind {
  if (isNumericArray(values)) return "numeric";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" && !isMissingValue(v)) return "categorical";
  }
  return "numeric";
}

function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "object") return Array.isArray(v) ? "an array" : "an object";
  return JSON.stringify(v) ?? String(v);
}

function valueError(column: string, role: SampleRole, index: number, value: unknown, expected: string): MlcycleError {
  const message = `${role}[${index}] is ${describe(value)}; ${expected} (null, undefined, NaN and ±Infinity are missing)`;
  return new MlcycleError("VALIDATION", `column '${column}': ${message}`, {
    issues: [{ code: "invalid_type", path: [column, role, index], message }],
    details: { column, role, index },
  });
}

/** A column's numbers with the missing values left out, in a new array this module owns. */
export function numericValues(
  values: ArrayLike<unknown>,
  column: string,
  role: SampleRole,
): { values: Float64Array; missing: number } {
  const n = values.length;
  const out = new Float64Array(n);
  let k = 0;
  if (isNumericArray(values)) {
    const typed = values as ArrayLike<number>;
    for (let i = 0; i < n; i++) {
      const x = typed[i];
      // x − x is 0 for finite numbers, NaN for NaN and ±Infinity.
      if (x - x === 0) out[k++] = x;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (typeof x === "number") {
        if (x - x === 0) out[k++] = x;
      } else if (x !== null && x !== undefined) {
        throw valueError(column, role, i, x, "a numeric column takes numbers");
      }
    }
  }
  return { values: k === n ? out : out.subarray(0, k), missing: n - k };
}

/** A column's categories with the missing values left out. */
export function categoryValues(
  values: ArrayLike<unknown>,
  column: string,
  role: SampleRole,
): { values: Category[]; missing: number } {
  const out: Category[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = typeof v;
    if (t === "string" || t === "boolean") out.push(v as Category);
    else if (t === "number") {
      if (Number.isFinite(v)) out.push((v as number) + 0);
    } else if (v !== null && v !== undefined) {
      throw valueError(column, role, i, v, "a categorical column takes strings, numbers or booleans");
    }
  }
  return { values: out, missing: values.length - out.length };
}

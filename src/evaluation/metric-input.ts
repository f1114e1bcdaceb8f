import { invalid } from "../core/errors.js";

/** A class label: a number or a string, as scikit-learn accepts them (never both kinds in one call). */
export type ClassLabel = number | string;

/**
 * Tolerance on a probability row's sum, as numpy's `allclose(1, sum)` that scikit-learn uses
 * (`|sum − 1| ≤ 1e-8 + 1e-5 · sum`).
 */
export function sumsToOne(sum: number): boolean {
  return Math.abs(sum - 1) <= 1e-8 + 1e-5 * Math.abs(sum);
}

/** Checks a non-empty array of labels (finite numbers or strings, one kind). */
export function checkLabels(what: string, values: unknown): ClassLabel[] {
  if (!Array.isArray(values)) throw invalid([what], `must be an array of labels, got ${describe(values)}`);
  if (values.length === 0) throw invalid([what], "must not be empty", "too_small");
  let kind: "number" | "string" | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw invalid([what, i], `is ${v}; labels must be finite numbers or strings`);
    } else if (typeof v !== "string") {
      throw invalid([what, i], `is ${describe(v)}; labels must be numbers or strings`);
    }
    const k = typeof v as "number" | "string";
    if (kind === undefined) kind = k;
    else if (kind !== k) throw invalid([what, i], `mixes ${kind} and ${k} labels; use one kind`);
  }
  return values as ClassLabel[];
}

/** Checks a non-empty array of finite numbers (targets, predictions, scores). */
export function checkNumbers(what: string, values: unknown): number[] {
  if (!Array.isArray(values)) throw invalid([what], `must be an array of numbers, got ${describe(values)}`);
  if (values.length === 0) throw invalid([what], "must not be empty", "too_small");
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") throw invalid([what, i], `is ${describe(v)}, not a number`);
    if (!Number.isFinite(v)) throw invalid([what, i], `is ${v}; values must be finite`);
  }
  return values as number[];
}

/** Checks that two arrays have the same length. */
export function checkSameLength(aName: string, a: readonly unknown[], bName: string, b: readonly unknown[]): void {
  if (a.length !== b.length)
    throw invalid([bName], `has ${b.length} entries but ${aName} has ${a.length}; they must have the same length`);
}

/** Checks a probability in [0, 1]. */
export function checkProbabilities(what: string, values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v > 1) throw invalid([what, i], `is ${v}; a probability must be within [0, 1]`);
  }
}

/**
 * Checks an n × k matrix of finite numbers with `k` columns (when given) and, when `probabilities`,
 * entries in [0, 1] and rows summing to 1.
 */
export function checkMatrix(
  what: string,
  values: unknown,
  opts: { rows: number; columns?: number; probabilities?: boolean },
): number[][] {
  if (!Array.isArray(values)) throw invalid([what], `must be an array of rows, got ${describe(values)}`);
  if (values.length !== opts.rows)
    throw invalid([what], `has ${values.length} rows but there are ${opts.rows} examples`, "invalid_shape");
  const k = opts.columns ?? (Array.isArray(values[0]) ? values[0].length : 0);
  for (let i = 0; i < values.length; i++) {
    const row = values[i];
    if (!Array.isArray(row)) throw invalid([what, i], `must be an array of ${k} numbers, got ${describe(row)}`);
    if (row.length !== k)
      throw invalid([what, i], `has ${row.length} columns; expected ${k} (one per class)`, "invalid_shape");
    let sum = 0;
    for (let j = 0; j < row.length; j++) {
      const v = row[j];
      if (typeof v !== "number") throw invalid([what, i, j], `is ${describe(v)}, not a number`);
      if (!Number.isFinite(v)) throw invalid([what, i, j], `is ${v}; values must be finite`);
      if (opts.probabilities && (v < 0 || v > 1))
        throw invalid([what, i, j], `is ${v}; a probability must be within [0, 1]`);
      sum += v;
    }
    if (opts.probabilities && !sumsToOne(sum))
      throw invalid([what, i], `sums to ${sum}; each row of class probabilities must sum to 1`, "not_normalized");
  }
  return values as number[][];
}

/** Orders labels as numpy's `unique` does: numbers ascending, strings by code unit. */
export function compareLabels(a: ClassLabel, b: ClassLabel): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The sorted distinct labels of the given arrays (scikit-learn's `unique_labels`). */
export function uniqueLabels(...arrays: ReadonlyArray<readonly ClassLabel[]>): ClassLabel[] {
  const set = new Set<ClassLabel>();
  for (const arr of arrays) for (const v of arr) set.add(v);
  const out = [...set];
  const kinds = new Set(out.map((v) => typeof v));
  if (kinds.size > 1) throw invalid([], "labels mix numbers and strings; use one kind across y_true and y_pred");
  return out.sort(compareLabels);
}

/** Checks a user-given label list: labels of one kind, no duplicates. */
export function checkLabelList(what: string, labels: unknown): ClassLabel[] {
  const list = checkLabels(what, labels);
  const seen = new Set<ClassLabel>();
  for (let i = 0; i < list.length; i++) {
    if (seen.has(list[i])) throw invalid([what, i], `repeats the label ${JSON.stringify(list[i])}`);
    seen.add(list[i]);
  }
  return list;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v)}`;
  if (typeof v === "number") return String(v);
  return typeof v;
}

import { MlcycleError } from "../../core/errors.js";
import { sortFloat64 } from "./sort-float64.js";

/** Which side of a comparison a sample is: the reference (training) data or the current window. */
export type SampleRole = "reference" | "current";

/** Where a sample comes from, for error messages: the column's name and the side. */
export interface SampleOrigin {
  /** The column's name, named in validation errors. Default `"value"`. */
  column?: string;
  /** The side of the comparison. Default `"reference"`. */
  role?: SampleRole;
}

/**
 * A numeric column's values checked finite and sorted ascending once, with the figures every drift
 * statistic reuses (size, distinct count, mean, population standard deviation) computed on demand
 * and kept. Build one with {@link sortedSample}; pass it to {@link ksTwoSample},
 * {@link wassersteinDistance} or the binning helpers instead of a plain array to skip re-sorting.
 *
 * @example
 * ```ts
 * const ref = sortedSample([3, 1, 2], { column: "age" });
 * ref.values; // Float64Array [1, 2, 3]
 * ref.std(); // 0.8164…
 * ```
 */
export class SortedSample {
  /** The values, ascending. Treat as read-only. */
  readonly values: Float64Array;
  /** The column the values belong to, named in errors. */
  readonly column: string;
  #unique: number | undefined;
  #mean: number | undefined;
  #std: number | undefined;

  /** Wraps values that are already finite and ascending; use {@link sortedSample} for anything else. */
  constructor(sortedValues: Float64Array, column = "value") {
    this.values = sortedValues;
    this.column = column;
  }

  /** Number of values. */
  get size(): number {
    return this.values.length;
  }

  /** Smallest value. */
  get min(): number {
    return this.values[0];
  }

  /** Largest value. */
  get max(): number {
    return this.values[this.values.length - 1];
  }

  /** Number of distinct values. */
  uniqueCount(): number {
    if (this.#unique === undefined) {
      const v = this.values;
      let count = v.length > 0 ? 1 : 0;
      for (let i = 1; i < v.length; i++) if (v[i] !== v[i - 1]) count++;
      this.#unique = count;
    }
    return this.#unique;
  }

  /** Arithmetic mean. */
  mean(): number {
    if (this.#mean === undefined) {
      const v = this.values;
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i];
      this.#mean = s / v.length;
    }
    return this.#mean;
  }

  /** Population standard deviation (ddof = 0), as numpy's `std`. */
  std(): number {
    if (this.#std === undefined) {
      const v = this.values;
      const m = this.mean();
      let s = 0;
      for (let i = 0; i < v.length; i++) s += (v[i] - m) * (v[i] - m);
      this.#std = Math.sqrt(s / v.length);
    }
    return this.#std;
  }
}

/** A numeric sample: plain numbers (checked and sorted on use) or a {@link SortedSample}. */
export type NumericSample = ArrayLike<number> | SortedSample;

function describeValue(x: number): string {
  return Number.isNaN(x) ? "NaN" : String(x);
}

/**
 * Checks a numeric column's values (at least one, all finite) and sorts a copy once.
 * A {@link SortedSample} is returned as it is.
 *
 * @throws MlcycleError `VALIDATION` naming the column (and the index of the first non-finite value)
 * when the sample is empty or holds NaN or ±Infinity; drop missing values first (data-quality
 * checks count them).
 * @example
 * ```ts
 * sortedSample([2, 1], { column: "price", role: "current" }).values; // Float64Array [1, 2]
 * sortedSample([1, Number.NaN], { column: "price" }); // throws VALIDATION: price.reference[1] is NaN
 * ```
 */
export function sortedSample(values: NumericSample, origin: SampleOrigin = {}): SortedSample {
  if (values instanceof SortedSample) return values;
  const column = origin.column ?? "value";
  const role = origin.role ?? "reference";
  if (values == null || typeof values.length !== "number") {
    throw new MlcycleError("VALIDATION", `column '${column}': the ${role} sample must be an array of numbers`, {
      issues: [{ code: "invalid_type", path: [column, role], message: "expected an array of numbers" }],
      details: { column, role },
    });
  }
  const n = values.length;
  if (n === 0) {
    throw new MlcycleError("VALIDATION", `column '${column}': the ${role} sample is empty`, {
      issues: [{ code: "too_small", path: [column, role], message: "at least one value is required" }],
      details: { column, role },
    });
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      const shown = typeof x === "number" ? describeValue(x) : (JSON.stringify(x) ?? String(x));
      const message = `${role}[${i}] is ${shown}; numeric drift needs finite numbers (drop missing values first)`;
      throw new MlcycleError("VALIDATION", `column '${column}': ${message}`, {
        issues: [{ code: "not_finite", path: [column, role, i], message }],
        details: { column, role, index: i },
      });
    }
    out[i] = x;
  }
  sortFloat64(out);
  return new SortedSample(out, column);
}

import { MlcycleError } from "../../core/errors.js";
import { type Category, type CategoryCounts, categoryCounts } from "./category-counts.js";
import { chiSquareTest } from "./chi-square-test.js";
import { jensenShannonDistance, klDivergence, psi } from "./divergences.js";
import { numericBins } from "./histogram.js";
import { type KsMethod, ksTwoSample } from "./ks-two-sample.js";
import { type NumericSample, type SortedSample, sortedSample } from "./numeric-sample.js";
import { twoProportionZTest } from "./two-proportion-z-test.js";
import { normedWassersteinDistance } from "./wasserstein.js";

/**
 * A drift statistic:
 * - `"ks"`: two-sample Kolmogorov-Smirnov p-value (numeric only); drift when p ≤ threshold.
 * - `"wasserstein"`: Wasserstein distance normed by the reference std (numeric only); drift when ≥ threshold.
 * - `"chisquare"`: chi-square p-value over categories (or distinct values); drift when p < threshold.
 * - `"z"`: two-proportion z-test p-value (share of the first reference category); drift when p < threshold.
 * - `"jensenshannon"`: Jensen-Shannon distance over bins; drift when ≥ threshold.
 * - `"psi"`: Population Stability Index over bins; drift when ≥ threshold.
 * - `"kl"`: KL divergence KL(reference ‖ current) over bins; drift when ≥ threshold.
 */
export type DriftMethod = "ks" | "wasserstein" | "chisquare" | "z" | "jensenshannon" | "psi" | "kl";

/** Every {@link DriftMethod}, in a stable order. */
export const DRIFT_METHODS: readonly DriftMethod[] = [
  "ks",
  "wasserstein",
  "chisquare",
  "z",
  "jensenshannon",
  "psi",
  "kl",
];

/**
 * Default threshold of each method (Evidently's): 0.05 for the p-value methods, 0.1 for the distances.
 */
export const DEFAULT_DRIFT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = Object.freeze({
  ks: 0.05,
  wasserstein: 0.1,
  chisquare: 0.05,
  z: 0.05,
  jensenshannon: 0.1,
  psi: 0.1,
  kl: 0.1,
});

const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(["ks", "chisquare", "z"]);

/**
 * Whether the method's statistic is a p-value (drift when small) rather than a distance (drift when large).
 *
 * @example
 * ```ts
 * isPValueMethod("ks"); // true
 * isPValueMethod("psi"); // false
 * ```
 */
export function isPValueMethod(method: DriftMethod): boolean {
  return P_VALUE_METHODS.has(method);
}

/** The kind of a column: numbers, or labels (strings, numbers or booleans taken as categories). */
export type ColumnKind = "numeric" | "categorical";

/** Reference and current values of one column, with its kind. */
export type DriftColumnData =
  | {
      kind: "numeric";
      /** Reference (training) values: finite numbers, or a {@link SortedSample}. */
      reference: NumericSample;
      /** Current (production window) values. */
      current: NumericSample;
    }
  | {
      kind: "categorical";
      /** Reference categories. */
      reference: ArrayLike<Category>;
      /** Current categories. */
      current: ArrayLike<Category>;
    };

/** What {@link defaultDriftMethod} looks at. */
export interface DriftMethodInput {
  /** The column's kind. */
  kind: ColumnKind;
  /** Number of reference values. */
  referenceSize: number;
  /** Number of distinct reference values. */
  referenceUniqueCount: number;
}

/**
 * Evidently's default drift method for a column, chosen from the reference alone:
 * - numeric with more than 5 distinct values: `"ks"` when the reference has at most 1,000 rows,
 *   else `"wasserstein"` (normed);
 * - categorical, or numeric with at most 5 distinct values: `"chisquare"` (more than 2 values) or
 *   `"z"` (2 values or fewer) when the reference has at most 1,000 rows, else `"jensenshannon"`.
 *
 * Evidently counts distinct values over reference and current together; counting the reference
 * alone keeps a monitor's method the same from one window to the next.
 *
 * @example
 * ```ts
 * defaultDriftMethod({ kind: "numeric", referenceSize: 500, referenceUniqueCount: 480 }); // "ks"
 * defaultDriftMethod({ kind: "categorical", referenceSize: 5000, referenceUniqueCount: 3 }); // "jensenshannon"
 * ```
 */
export function defaultDriftMethod(input: DriftMethodInput): DriftMethod {
  const small = input.referenceSize <= 1000;
  if (input.kind === "numeric" && input.referenceUniqueCount > 5) return small ? "ks" : "wasserstein";
  if (!small) return "jensenshannon";
  return input.referenceUniqueCount > 2 ? "chisquare" : "z";
}

/**
 * Whether a statistic signals drift under its method's rule: KS when p ≤ threshold, chi-square and
 * z when p < threshold (Evidently's comparisons), distances when value ≥ threshold.
 *
 * @example
 * ```ts
 * isDrift("ks", 0.05, 0.05); // true
 * isDrift("chisquare", 0.05, 0.05); // false
 * isDrift("wasserstein", 0.12, 0.1); // true
 * ```
 */
export function isDrift(method: DriftMethod, value: number, threshold: number): boolean {
  if (method === "ks") return value <= threshold;
  if (method === "chisquare" || method === "z") return value < threshold;
  return value >= threshold;
}

/** Per-column settings of {@link columnDrift}. */
export interface ColumnDriftOptions {
  /** The statistic; default {@link defaultDriftMethod}. */
  method?: DriftMethod;
  /** The threshold; default {@link DEFAULT_DRIFT_THRESHOLDS} for the method. */
  threshold?: number;
  /** How the KS p-value is computed (method `"ks"`). Default `"auto"`, as scipy and Evidently. */
  ksMethod?: KsMethod;
  /** Numeric binning for PSI, KL and Jensen-Shannon: Sturges bins above this many distinct reference values. Default 20. */
  maxDistinctBins?: number;
}

/** One column's drift verdict. */
export interface ColumnDriftResult {
  /** The column's name. */
  column: string;
  /** The column's kind. */
  kind: ColumnKind;
  /** The statistic used. */
  method: DriftMethod;
  /**
   * The statistic's value: KS D, χ², z, or the distance. For the p-value methods the verdict is on
   * `pValue`; for the distances on this value.
   */
  statistic: number;
  /** The p-value, for `"ks"`, `"chisquare"` and `"z"` only. */
  pValue?: number;
  /** The threshold the verdict used. */
  threshold: number;
  /** Whether the column drifted ({@link isDrift}). */
  drifted: boolean;
  /** Number of reference values. */
  referenceSize: number;
  /** Number of current values. */
  currentSize: number;
}

function methodError(column: string, message: string): MlcycleError {
  return new MlcycleError("VALIDATION", `column '${column}': ${message}`, {
    issues: [{ code: "invalid_value", path: [column, "method"], message }],
    details: { column },
  });
}

function checkThreshold(column: string, method: DriftMethod, threshold: number): void {
  const ok = typeof threshold === "number" && Number.isFinite(threshold) && threshold >= 0;
  if (!ok || (isPValueMethod(method) && threshold > 1)) {
    const message = isPValueMethod(method)
      ? `threshold of '${method}' is a p-value and must be between 0 and 1 (got ${threshold})`
      : `threshold of '${method}' must be a finite number >= 0 (got ${threshold})`;
    throw new MlcycleError("VALIDATION", `column '${column}': ${message}`, {
      issues: [{ code: "invalid_value", path: [column, "threshold"], message }],
      details: { column },
    });
  }
}

/** Distinct-value counts of a numeric column, as categories. */
function numericCategoryCounts(ref: SortedSample, cur: SortedSample): CategoryCounts {
  const bins = numericBins(ref, cur, { maxDistinctBins: Number.POSITIVE_INFINITY });
  const values = bins.kind === "distinct" ? Array.from(bins.values) : [];
  return {
    categories: values,
    reference: bins.reference,
    current: bins.current,
    newCategories: values.filter((_, i) => bins.reference[i] === 0),
    missingCategories: values.filter((_, i) => bins.current[i] === 0),
  };
}

function zTestOnCounts(counts: CategoryCounts): { statistic: number; pValue: number } {
  // The share of the first reference category (one category against the rest): the p-value is
  // the same whichever of two categories is taken.
  let target = 0;
  while (counts.reference[target] === 0) target++;
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < counts.reference.length; i++) {
    refTotal += counts.reference[i];
    curTotal += counts.current[i];
  }
  return twoProportionZTest(counts.reference[target], refTotal, counts.current[target], curTotal);
}

/**
 * One column's drift: the statistic of the chosen method (Evidently's default unless overridden),
 * its p-value where it has one, and the verdict against the threshold.
 *
 * Numeric columns are checked and sorted once; categorical ones counted once. KS and Wasserstein
 * apply to numeric columns only; chi-square and z treat a numeric column's distinct values as
 * categories; PSI, KL and Jensen-Shannon use {@link numericBins} on numeric columns and
 * {@link categoryCounts} on categorical ones.
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample, a non-finite number in a
 * numeric column, a missing value in a categorical one, a method that does not apply to the
 * column's kind, or a threshold out of range.
 * @example
 * ```ts
 * const r = columnDrift("age", { kind: "numeric", reference: refAges, current: curAges });
 * r.method; // "ks" (≤ 1,000 reference rows, > 5 distinct values)
 * r.drifted; // p ≤ 0.05
 * columnDrift("plan", { kind: "categorical", reference: refPlans, current: curPlans }, { method: "psi", threshold: 0.2 });
 * ```
 */
export function columnDrift(
  column: string,
  data: DriftColumnData,
  options: ColumnDriftOptions = {},
): ColumnDriftResult {
  if (data == null || (data.kind !== "numeric" && data.kind !== "categorical")) {
    throw new MlcycleError("VALIDATION", `column '${column}': kind must be 'numeric' or 'categorical'`, {
      issues: [{ code: "invalid_value", path: [column, "kind"], message: "expected numeric or categorical" }],
      details: { column },
    });
  }
  if (options.method !== undefined && !DRIFT_METHODS.includes(options.method)) {
    throw methodError(column, `unknown drift method '${String(options.method)}' (one of ${DRIFT_METHODS.join(", ")})`);
  }

  if (data.kind === "numeric") {
    const ref = sortedSample(data.reference, { column, role: "reference" });
    const cur = sortedSample(data.current, { column, role: "current" });
    const method =
      options.method ??
      defaultDriftMethod({ kind: "numeric", referenceSize: ref.size, referenceUniqueCount: ref.uniqueCount() });
    const threshold = options.threshold ?? DEFAULT_DRIFT_THRESHOLDS[method];
    checkThreshold(column, method, threshold);
    const base = {
      column,
      kind: "numeric" as const,
      method,
      threshold,
      referenceSize: ref.size,
      currentSize: cur.size,
    };
    switch (method) {
      case "ks": {
        const r = ksTwoSample(ref, cur, { method: options.ksMethod, column });
        return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: isDrift(method, r.pValue, threshold) };
      }
      case "wasserstein": {
        const w = normedWassersteinDistance(ref, cur);
        return { ...base, statistic: w, drifted: isDrift(method, w, threshold) };
      }
      case "chisquare":
      case "z": {
        const counts = numericCategoryCounts(ref, cur);
        const r = method === "z" ? zTestOnCounts(counts) : chiSquareTest(counts.reference, counts.current);
        return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: isDrift(method, r.pValue, threshold) };
      }
      default: {
        const bins = numericBins(ref, cur, { maxDistinctBins: options.maxDistinctBins });
        const value = binnedDistance(method, bins.reference, bins.current);
        return { ...base, statistic: value, drifted: isDrift(method, value, threshold) };
      }
    }
  }

  const counts = categoryCounts(data.reference, data.current, { column });
  let referenceSize = 0;
  let currentSize = 0;
  let referenceUniqueCount = 0;
  for (let i = 0; i < counts.categories.length; i++) {
    referenceSize += counts.reference[i];
    currentSize += counts.current[i];
    if (counts.reference[i] > 0) referenceUniqueCount++;
  }
  const method = options.method ?? defaultDriftMethod({ kind: "categorical", referenceSize, referenceUniqueCount });
  if (method === "ks" || method === "wasserstein") {
    throw methodError(column, `'${method}' needs a numeric column; use chisquare, z, jensenshannon, psi or kl`);
  }
  const threshold = options.threshold ?? DEFAULT_DRIFT_THRESHOLDS[method];
  checkThreshold(column, method, threshold);
  const base = { column, kind: "categorical" as const, method, threshold, referenceSize, currentSize };
  if (method === "chisquare" || method === "z") {
    const r = method === "z" ? zTestOnCounts(counts) : chiSquareTest(counts.reference, counts.current);
    return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: isDrift(method, r.pValue, threshold) };
  }
  const value = binnedDistance(method, counts.reference, counts.current);
  return { ...base, statistic: value, drifted: isDrift(method, value, threshold) };
}

function binnedDistance(
  method: "jensenshannon" | "psi" | "kl",
  reference: Float64Array,
  current: Float64Array,
): number {
  if (method === "psi") return psi(reference, current);
  if (method === "kl") return klDivergence(reference, current);
  return jensenShannonDistance(reference, current);
}

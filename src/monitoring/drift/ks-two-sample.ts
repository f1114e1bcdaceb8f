import { MlcycleError } from "../../core/errors.js";
import { kolmogorovSmirnovSf } from "./kolmogorov-distribution.js";
import { ksOuterProbInside, ksProbOutsideSquare } from "./ks-two-sample-exact.js";
import { type NumericSample, sortedSample } from "./numeric-sample.js";

/**
 * How {@link ksTwoSample} computes the p-value, as scipy's `ks_2samp(method=…)`:
 * - `"exact"`: the exact null distribution (lattice paths); falls back to `"asymp"` when the sizes'
 *   least common multiple is too large or the computation is not a valid probability.
 * - `"asymp"`: the one-sample distribution `kstwo.sf(D, round(m·n/(m + n)))`.
 * - `"auto"`: `"exact"` when both samples have at most 10,000 values, else `"asymp"`.
 */
export type KsMethod = "auto" | "exact" | "asymp";

/** Options of {@link ksTwoSample}. */
export interface KsTwoSampleOptions {
  /** How the p-value is computed. Default `"auto"` (scipy's default, and Evidently's). */
  method?: KsMethod;
  /** The column's name, for validation errors. */
  column?: string;
}

/** Result of {@link ksTwoSample}. */
export interface KsTwoSampleResult {
  /** D = max |F_ref(x) − F_cur(x)| over all values. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** The method the p-value was actually computed with (`"auto"` resolved, fallbacks applied). */
  method: "exact" | "asymp";
}

/** Largest sample size `"auto"` still computes exactly (scipy's `MAX_AUTO_N`). */
const MAX_AUTO_N = 10_000;
const INT32_MAX = 2 ** 31 - 1;

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** numpy's round: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The two-sided KS statistic of two sorted samples, by one merge: the largest gap between the two
 * empirical CDFs, evaluated after each run of equal values (scipy's `searchsorted(..., 'right')`).
 * Both arrays must already be ascending (see {@link sortedSample}).
 *
 * @example
 * ```ts
 * ksStatisticSorted(Float64Array.of(1, 2, 3), Float64Array.of(2, 3, 4)); // 0.333…
 * ```
 */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const v = Math.min(a[i], b[j]);
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
    const diff = i / n1 - j / n2;
    const abs = diff < 0 ? -diff : diff;
    if (abs > d) d = abs;
  }
  return d;
}

function exactPValue(n1: number, n2: number, d: number): { ok: boolean; d: number; p: number } {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const dRounded = h / lcm;
  if (h === 0) return { ok: true, d: dRounded, p: 1 };
  const p = n1 === n2 ? ksProbOutsideSquare(n1, h) : ksOuterProbInside(n1, n2, g, h);
  return { ok: Number.isFinite(p) && p >= 0 && p <= 1, d: dRounded, p };
}

/**
 * Two-sided two-sample Kolmogorov-Smirnov test, equal to scipy's `ks_2samp(reference, current,
 * method=…)`: statistic and p-value. Sorts each sample once (pass {@link SortedSample}s to reuse a
 * sort) and finds D by merging the sorted arrays.
 *
 * With `method: "exact"` the statistic reported is D rounded to the lattice `h / lcm(m, n)`, as scipy
 * reports it.
 *
 * @throws MlcycleError `VALIDATION` naming the column for an empty sample or a non-finite value.
 * @example
 * ```ts
 * const r = ksTwoSample([0.1, 0.4, 0.9, 1.3], [1.2, 1.5, 2.2, 2.8], { method: "asymp" });
 * r.statistic; // 0.75
 * r.pValue; // 0.125
 * ```
 */
export function ksTwoSample(
  reference: NumericSample,
  current: NumericSample,
  options: KsTwoSampleOptions = {},
): KsTwoSampleResult {
  const column = options.column;
  const ref = sortedSample(reference, { column, role: "reference" });
  const cur = sortedSample(current, { column, role: "current" });
  const requested = options.method ?? "auto";
  if (requested !== "auto" && requested !== "exact" && requested !== "asymp") {
    throw new MlcycleError("VALIDATION", `ksTwoSample: unknown method '${String(requested)}'`, {
      issues: [{ code: "invalid_value", path: ["method"], message: "expected auto, exact or asymp" }],
    });
  }
  const n1 = ref.size;
  const n2 = cur.size;
  let d = ksStatisticSorted(ref.values, cur.values);
  let mode: "exact" | "asymp";
  if (requested === "auto") {
    mode = Math.max(n1, n2) <= MAX_AUTO_N ? "exact" : "asymp";
  } else if (requested === "exact") {
    const g = gcd(n1, n2);
    mode = n1 / g >= INT32_MAX / (n2 / g) ? "asymp" : "exact";
  } else {
    mode = "asymp";
  }
  if (mode === "exact") {
    const exact = exactPValue(n1, n2, d);
    d = exact.d;
    if (exact.ok) return { statistic: d, pValue: exact.p, method: "exact" };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const p = kolmogorovSmirnovSf(roundHalfEven(en), d);
  return { statistic: d, pValue: Math.min(Math.max(p, 0), 1), method: "asymp" };
}

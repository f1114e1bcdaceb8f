import { invalid } from "../../core/errors.js";
import { checkFinite, checkNonNegative } from "./checks.js";

/**
 * What a two-sample test needs from one arm: its size, mean and unbiased variance (ddof = 1). It comes
 * from rows ({@link summarize}) or from streamed aggregates (a {@link MetricAggregate} has the same
 * shape), so the analysis never needs the rows themselves.
 *
 * @example
 * ```ts
 * const control: SampleSummary = { n: 5000, mean: 10.2, variance: 9.1 };
 * ```
 */
export interface SampleSummary {
  /** Number of units (≥ 2 for a variance). */
  readonly n: number;
  /** Sample mean. */
  readonly mean: number;
  /** Unbiased sample variance, Σ(y − ȳ)² / (n − 1). */
  readonly variance: number;
}

/**
 * Size, mean and unbiased variance of raw samples, computed in two passes (mean first) for accuracy.
 * Throws `VALIDATION` naming `what` when there are fewer than 2 values or a value is not finite.
 *
 * @example
 * ```ts
 * summarize([1, 2, 3, 4]); // { n: 4, mean: 2.5, variance: 1.6666666666666667 }
 * ```
 */
export function summarize(samples: ArrayLike<number>, what = "samples"): SampleSummary {
  if (samples == null || typeof samples.length !== "number") {
    throw invalid(what, "must be an array of numbers", "invalid_type");
  }
  const n = samples.length;
  if (n < 2) throw invalid(what, `needs at least 2 values, got ${n}`, "too_small");
  let sum = 0;
  for (let i = 0; i < n; i++) sum += checkFinite(`${what}[${i}]`, samples[i]);
  const mean = sum / n;
  let squares = 0;
  let residual = 0;
  for (let i = 0; i < n; i++) {
    const d = samples[i] - mean;
    squares += d * d;
    residual += d;
  }
  // Compensates the rounding left in `mean` (the corrected two-pass formula).
  const variance = Math.max(0, (squares - (residual * residual) / n) / (n - 1));
  return { n, mean, variance };
}

/** Checks a summary given by a caller: n ≥ 2, a finite mean and a finite variance ≥ 0. */
export function checkSummary(what: string, summary: SampleSummary): SampleSummary {
  if (summary == null || typeof summary !== "object") {
    throw invalid(what, "must be { n, mean, variance }", "invalid_type");
  }
  const n = checkNonNegative(`${what}.n`, summary.n);
  if (n < 2) throw invalid(`${what}.n`, `needs at least 2 units, got ${n}`, "too_small");
  return {
    n,
    mean: checkFinite(`${what}.mean`, summary.mean),
    variance: checkNonNegative(`${what}.variance`, summary.variance),
  };
}

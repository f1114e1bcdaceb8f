import { invalid } from "../../core/errors.js";
import { checkAlpha, checkFinite, checkNonNegative } from "./checks.js";
import type { LiftEstimate } from "./lift.js";

/**
 * GrowthBook's default tuning parameter N* (5,000) of the asymptotic confidence sequence: the total
 * sample size at which the sequence is tightest.
 *
 * @example
 * ```ts
 * confidenceSequence(lift, n, { tuningParameter: DEFAULT_SEQUENTIAL_TUNING_PARAMETER * 4 }); // a larger test
 * ```
 */
export const DEFAULT_SEQUENTIAL_TUNING_PARAMETER = 5000;

/** Options of {@link confidenceSequence}. */
export interface ConfidenceSequenceOptions {
  /** Significance level, strictly between 0 and 1. Default 0.05. */
  alpha?: number;
  /**
   * N*, the total sample size (both arms) at which the sequence is tightest. Default 5,000
   * ({@link DEFAULT_SEQUENTIAL_TUNING_PARAMETER}), as GrowthBook.
   */
  tuningParameter?: number;
}

/** What {@link confidenceSequence} reports. */
export interface ConfidenceSequenceResult {
  /** The lift estimate the sequence is centred on. */
  readonly estimate: number;
  /** Always-valid two-sided p-value: `min(1, 1 / e-value)`; stays valid however often it is looked at. */
  readonly pValue: number;
  /** Always-valid `1 − alpha` confidence sequence `[estimate − halfwidth, estimate + halfwidth]`. */
  readonly interval: readonly [number, number];
  /** Half the width of {@link interval}. */
  readonly halfwidth: number;
  /** The mixing parameter ρ derived from `alpha` and the tuning parameter. */
  readonly rho: number;
  /** The significance level used. */
  readonly alpha: number;
  /** The tuning parameter N* used. */
  readonly tuningParameter: number;
  /** The total sample size the sequence was evaluated at. */
  readonly n: number;
}

/**
 * Sequential testing: the asymptotic confidence sequence and always-valid p-value of Waudby-Smith,
 * Arbour, Sinha, Kennedy and Ramdas, "Time-uniform central limit theory and asymptotic confidence
 * sequences" (arXiv:2103.06476v7; the p-value is its eq. 155), as GrowthBook's gbstats applies it to
 * a lift (`SequentialTwoSidedTTest`). Peeking after every unit keeps the false-positive rate ≤ alpha.
 *
 * With n the total units in both arms, se the lift's standard error, s² = n · se² (the per-unit
 * variance of the lift) and N* the tuning parameter:
 *
 * - ρ² = (−2 ln α + ln(−2 ln α + 1)) / N*, which makes the sequence tightest at n = N*;
 * - halfwidth = s · √( 2(nρ² + 1) / (n²ρ²) · ln( √(nρ² + 1) / α ) );
 * - e-value = exp( ρ² · n · estimate² / (2 se² (nρ² + 1)) ) / √(nρ² + 1), p = min(1, 1 / e-value).
 *
 * p ≤ alpha exactly when the interval excludes 0. Works on any lift: absolute or relative, Welch,
 * proportions or CUPED. A zero standard error gives p = 1 when the estimate is 0, else 0, and a
 * zero-width interval.
 *
 * Throws `VALIDATION` naming the argument when n < 2, the standard error is negative or not finite,
 * or an option is out of range.
 *
 * @example
 * ```ts
 * const r = welchTTest({ n: 5000, mean: 10, variance: 9 }, { n: 5000, mean: 10.2, variance: 9.5 });
 * const seq = confidenceSequence(r.absolute, r.control.n + r.treatment.n);
 * seq.interval; // [0.0138…, 0.3862…], wider than r.absolute.interval [0.0808…, 0.3192…]
 * seq.pValue;   // 0.0254…, valid however often it was looked at
 * ```
 */
export function confidenceSequence(
  lift: Pick<LiftEstimate, "estimate" | "standardError">,
  n: number,
  options: ConfidenceSequenceOptions = {},
): ConfidenceSequenceResult {
  const alpha = checkAlpha(options.alpha, "options.alpha");
  const tuningParameter =
    options.tuningParameter === undefined
      ? DEFAULT_SEQUENTIAL_TUNING_PARAMETER
      : checkFinite("options.tuningParameter", options.tuningParameter);
  if (tuningParameter <= 0) {
    throw invalid("options.tuningParameter", `must be positive, got ${tuningParameter}`, "too_small");
  }
  if (lift == null || typeof lift !== "object") {
    throw invalid("lift", "must be { estimate, standardError }", "invalid_type");
  }
  const estimate = checkFinite("lift.estimate", lift.estimate);
  const se = checkNonNegative("lift.standardError", lift.standardError);
  checkFinite("n", n);
  if (n < 2) throw invalid("n", `needs at least 2 units, got ${n}`, "too_small");

  const rho2 = (-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / tuningParameter;
  const rho = Math.sqrt(rho2);
  const growth = n * rho2 + 1;
  const s2 = n * se * se;
  const halfwidth = Math.sqrt(s2) * Math.sqrt(((2 * growth) / (n * n * rho2)) * Math.log(Math.sqrt(growth) / alpha));
  let pValue: number;
  if (se === 0) {
    pValue = estimate === 0 ? 1 : 0;
  } else {
    const logE = (rho2 * n * estimate * estimate) / (2 * se * se * growth) - 0.5 * Math.log(growth);
    pValue = Math.min(1, Math.exp(-logE));
  }
  return {
    estimate,
    pValue,
    interval: [estimate - halfwidth, estimate + halfwidth],
    halfwidth,
    rho,
    alpha,
    tuningParameter,
    n,
  };
}

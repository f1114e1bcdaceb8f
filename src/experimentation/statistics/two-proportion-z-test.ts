import { invalid } from "../../core/errors.js";
import { checkAlpha, checkNonNegative } from "./checks.js";
import { normalCdf, normalQuantile } from "./distributions.js";
import { absoluteLift, type LiftEstimate, relativeLift } from "./lift.js";

/** Conversions of one arm: units that converted out of units exposed. */
export interface ProportionCounts {
  /** Units with the outcome (≥ 0, ≤ `trials`). */
  readonly successes: number;
  /** Units exposed (> 0). */
  readonly trials: number;
}

/** One arm as tested: its counts and its rate `successes / trials`. */
export interface ProportionArm extends ProportionCounts {
  readonly rate: number;
}

/** Options of {@link twoProportionZTest}. */
export interface TwoProportionZTestOptions {
  /** Significance level of the two-sided intervals, strictly between 0 and 1. Default 0.05. */
  alpha?: number;
}

/** What {@link twoProportionZTest} reports. Every lift is treatment minus control. */
export interface TwoProportionZTestResult {
  /**
   * z = (p_t − p_c) / √(p̂(1 − p̂)(1/n_c + 1/n_t)) with the pooled rate p̂ = (x_c + x_t)/(n_c + n_t);
   * 0 when p̂ is 0 or 1 (both arms identical).
   */
  readonly statistic: number;
  /** Two-sided p-value, `2 · Φ(−|z|)`. */
  readonly pValue: number;
  /** The significance level of the intervals. */
  readonly alpha: number;
  /** The control arm as tested. */
  readonly control: ProportionArm;
  /** The treatment arm as tested. */
  readonly treatment: ProportionArm;
  /** `p_t − p_c` with the unpooled (Wald) interval `± z_{1−α/2} · √(p_c(1−p_c)/n_c + p_t(1−p_t)/n_t)`. */
  readonly absolute: LiftEstimate;
  /** `(p_t − p_c) / p_c` by the delta method on the unpooled variances; `null` when `p_c` is 0. */
  readonly relative: LiftEstimate | null;
}

/**
 * Two-proportion z-test of treatment against control: the test uses the pooled standard error, as
 * `statsmodels.stats.proportion.proportions_ztest([x_t, x_c], [n_t, n_c])` does; the intervals use the
 * unpooled one, as statsmodels' `confint_proportions_2indep(method="wald")`, because under the
 * alternative the arms' rates differ.
 *
 * Throws `VALIDATION` naming the argument when a count is negative or not finite, `trials` is 0, or
 * `successes > trials`.
 *
 * @example
 * ```ts
 * const r = twoProportionZTest({ successes: 2857, trials: 38415 }, { successes: 3685, trials: 47193 });
 * r.statistic; // 2.0331068613251335
 * r.pValue;    // 0.04204172795451…
 * ```
 */
export function twoProportionZTest(
  control: ProportionCounts,
  treatment: ProportionCounts,
  options: TwoProportionZTestOptions = {},
): TwoProportionZTestResult {
  const alpha = checkAlpha(options.alpha, "options.alpha");
  const c = checkCounts("control", control);
  const t = checkCounts("treatment", treatment);
  const pooled = (c.successes + t.successes) / (c.trials + t.trials);
  const pooledError = Math.sqrt(pooled * (1 - pooled) * (1 / c.trials + 1 / t.trials));
  const statistic = pooledError === 0 ? 0 : (t.rate - c.rate) / pooledError;
  const pValue = Math.min(1, 2 * normalCdf(-Math.abs(statistic)));
  const critical = normalQuantile(1 - alpha / 2);
  const ce = { mean: c.rate, squaredError: (c.rate * (1 - c.rate)) / c.trials };
  const te = { mean: t.rate, squaredError: (t.rate * (1 - t.rate)) / t.trials };
  return {
    statistic,
    pValue,
    alpha,
    control: c,
    treatment: t,
    absolute: absoluteLift(ce, te, critical),
    relative: relativeLift(ce, te, critical),
  };
}

function checkCounts(what: string, counts: ProportionCounts): ProportionArm {
  if (counts == null || typeof counts !== "object") {
    throw invalid(what, "must be { successes, trials }", "invalid_type");
  }
  const successes = checkNonNegative(`${what}.successes`, counts.successes);
  const trials = checkNonNegative(`${what}.trials`, counts.trials);
  if (trials === 0) {
    throw invalid(`${what}.trials`, "must be positive: an arm with no units cannot be tested", "too_small");
  }
  if (successes > trials) {
    throw invalid(`${what}.successes`, `must not exceed trials (${successes} > ${trials})`, "too_big");
  }
  return { successes, trials, rate: successes / trials };
}

import { checkAlpha } from "./checks.js";
import { tCdf, tQuantile } from "./distributions.js";
import { absoluteLift, type LiftEstimate, relativeLift } from "./lift.js";
import { checkSummary, type SampleSummary, summarize } from "./sample-summary.js";

/** Options of {@link welchTTest}. */
export interface WelchTestOptions {
  /** Significance level of the two-sided intervals, strictly between 0 and 1. Default 0.05. */
  alpha?: number;
}

/** What {@link welchTTest} reports. Every lift is treatment minus control. */
export interface WelchTestResult {
  /** t = (mean_t − mean_c) / √(var_c/n_c + var_t/n_t); ±Infinity when both variances are 0 and the means differ. */
  readonly statistic: number;
  /**
   * Welch–Satterthwaite degrees of freedom,
   * `(var_c/n_c + var_t/n_t)² / ((var_c/n_c)²/(n_c − 1) + (var_t/n_t)²/(n_t − 1))`;
   * `n_c + n_t − 2` when both variances are 0 (the formula is 0/0 there).
   */
  readonly df: number;
  /** Two-sided p-value, `2 · T_df(−|t|)`. */
  readonly pValue: number;
  /** The significance level of the intervals. */
  readonly alpha: number;
  /** The control arm as tested. */
  readonly control: SampleSummary;
  /** The treatment arm as tested. */
  readonly treatment: SampleSummary;
  /** `mean_t − mean_c`, its interval `± t_{1−α/2, df} · se`. */
  readonly absolute: LiftEstimate;
  /** `(mean_t − mean_c) / mean_c` by the delta method, same critical value; `null` when `mean_c` is 0. */
  readonly relative: LiftEstimate | null;
}

/**
 * Welch's unequal-variance t-test of treatment against control from summary statistics (n, mean,
 * unbiased variance), so it runs on streamed aggregates as well as on rows. Equals
 * `scipy.stats.ttest_ind(treatment, control, equal_var=False)` (statistic and two-sided p-value);
 * the intervals of the absolute and relative lift follow GrowthBook's gbstats (`TwoSidedTTest`:
 * t quantile at the Welch–Satterthwaite df, delta method for the relative lift).
 *
 * Throws `VALIDATION` naming the argument when an arm has n < 2, a non-finite mean or a negative
 * variance, or `alpha` is outside (0, 1).
 *
 * @example
 * ```ts
 * const r = welchTTest({ n: 5000, mean: 10, variance: 9 }, { n: 5000, mean: 10.2, variance: 9.5 });
 * r.pValue;            // 0.00101257758767…
 * r.absolute.interval; // [0.080765…, 0.319234…]
 * ```
 */
export function welchTTest(
  control: SampleSummary,
  treatment: SampleSummary,
  options: WelchTestOptions = {},
): WelchTestResult {
  const alpha = checkAlpha(options.alpha, "options.alpha");
  return welchFromSummaries(checkSummary("control", control), checkSummary("treatment", treatment), alpha);
}

/**
 * {@link welchTTest} on raw samples (each needs at least 2 finite values).
 *
 * @example
 * ```ts
 * welchTTestFromSamples([1, 2, 3, 4], [2, 3, 4, 5, 6]).statistic; // 1.5666989036012806
 * ```
 */
export function welchTTestFromSamples(
  control: ArrayLike<number>,
  treatment: ArrayLike<number>,
  options: WelchTestOptions = {},
): WelchTestResult {
  const alpha = checkAlpha(options.alpha, "options.alpha");
  return welchFromSummaries(summarize(control, "control"), summarize(treatment, "treatment"), alpha);
}

/**
 * The test on summaries already checked. `scale` gives the means that divide the relative lift and
 * its delta-method variance when they differ from the tested means (CUPED passes the unadjusted ones).
 */
export function welchFromSummaries(
  control: SampleSummary,
  treatment: SampleSummary,
  alpha: number,
  scale?: { control: number; treatment: number },
): WelchTestResult {
  const ec = control.variance / control.n;
  const et = treatment.variance / treatment.n;
  const squared = ec + et;
  const df =
    squared === 0
      ? control.n + treatment.n - 2
      : (squared * squared) / ((ec * ec) / (control.n - 1) + (et * et) / (treatment.n - 1));
  const diff = treatment.mean - control.mean;
  const statistic = squared === 0 ? (diff === 0 ? 0 : diff * Number.POSITIVE_INFINITY) : diff / Math.sqrt(squared);
  const pValue = Math.min(1, 2 * tCdf(-Math.abs(statistic), df));
  const critical = tQuantile(1 - alpha / 2, df);
  const c = { mean: control.mean, squaredError: ec };
  const t = { mean: treatment.mean, squaredError: et };
  return {
    statistic,
    df,
    pValue,
    alpha,
    control: { n: control.n, mean: control.mean, variance: control.variance },
    treatment: { n: treatment.n, mean: treatment.mean, variance: treatment.variance },
    absolute: absoluteLift(c, t, critical),
    relative: relativeLift(c, t, critical, scale),
  };
}

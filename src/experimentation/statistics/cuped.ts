import { invalid } from "../../core/errors.js";
import { checkAlpha } from "./checks.js";
import { MetricAggregate, type MetricAggregateState } from "./metric-aggregate.js";
import { welchFromSummaries, type WelchTestOptions, type WelchTestResult } from "./welch-t-test.js";

/** Options of {@link cupedTest}. */
export type CupedOptions = WelchTestOptions;

/**
 * What {@link cupedTest} reports: the Welch test on the adjusted outcomes (its `control` and
 * `treatment` are the adjusted summaries), the θ used and how much variance it removed.
 */
export interface CupedResult extends WelchTestResult {
  /** θ = cov(y, x) / var(x) over both arms pooled; 0 when x or y has no variance. */
  readonly theta: number;
  /**
   * Share of the absolute lift's variance removed, `1 − se²_adjusted / se²_unadjusted` (about ρ²(x, y);
   * 0 when θ is 0, and negative only in the odd case where adjusting hurts).
   */
  readonly varianceReduction: number;
  /** The same test without adjustment, for comparison. */
  readonly unadjusted: WelchTestResult;
}

/**
 * CUPED (Deng, Xu, Kohavi and Walker, 2013) variance reduction with a pre-period covariate x, from
 * aggregates alone, as GrowthBook's gbstats (`RegressionAdjustedStatistic`, `compute_theta`):
 *
 * - θ = cov(y, x) / var(x) on both arms' units together (one θ, so the adjustment cannot favour an arm);
 * - each arm's adjusted mean ȳ − θ(x̄ − x̄_pooled) (gbstats leaves out x̄_pooled, which cancels in every
 *   lift; keeping it leaves the means on the metric's scale) and adjusted variance
 *   var(y) + θ² var(x) − 2θ cov(y, x);
 * - then {@link welchTTest} on the adjusted arms; the relative lift divides by the unadjusted control
 *   mean and its delta-method variance uses the unadjusted means, as gbstats does.
 *
 * Each arm is a {@link MetricAggregate} (or its stored state) whose units were added with their
 * pre-period value. Throws `VALIDATION` naming the arm when it has n < 2, or when `alpha` is outside
 * (0, 1).
 *
 * @example
 * ```ts
 * const control = new MetricAggregate();
 * const treatment = new MetricAggregate();
 * for (const u of users) (u.variant === "b" ? treatment : control).add(u.revenue, u.revenueLastMonth);
 * const r = cupedTest(control, treatment);
 * r.varianceReduction; // e.g. 0.41
 * r.absolute.interval; // narrower than r.unadjusted.absolute.interval
 * ```
 */
export function cupedTest(
  control: MetricAggregate | MetricAggregateState,
  treatment: MetricAggregate | MetricAggregateState,
  options: CupedOptions = {},
): CupedResult {
  const alpha = checkAlpha(options.alpha, "options.alpha");
  const c = arm("control", control);
  const t = arm("treatment", treatment);
  const pooled = c.plus(t);
  const xVariance = pooled.covariateVariance;
  const theta = xVariance === 0 || pooled.variance === 0 ? 0 : pooled.covariance / xVariance;
  const xMean = pooled.covariateMean;
  const adjust = (a: MetricAggregate) => ({
    n: a.n,
    mean: a.mean - theta * (a.covariateMean - xMean),
    variance: Math.max(0, a.variance + theta * theta * a.covariateVariance - 2 * theta * a.covariance),
  });
  const unadjusted = welchFromSummaries(summary(c), summary(t), alpha);
  const adjusted = welchFromSummaries(adjust(c), adjust(t), alpha, { control: c.mean, treatment: t.mean });
  const before = unadjusted.absolute.standardError ** 2;
  const after = adjusted.absolute.standardError ** 2;
  return {
    ...adjusted,
    theta,
    varianceReduction: before === 0 ? 0 : 1 - after / before,
    unadjusted,
  };
}

function arm(what: string, value: MetricAggregate | MetricAggregateState): MetricAggregate {
  if (value == null || typeof value !== "object") {
    throw invalid(what, "must be a MetricAggregate or its state", "invalid_type");
  }
  const a = value instanceof MetricAggregate ? value : MetricAggregate.from(value);
  if (a.n < 2) throw invalid(`${what}.n`, `needs at least 2 units, got ${a.n}`, "too_small");
  return a;
}

function summary(a: MetricAggregate) {
  return { n: a.n, mean: a.mean, variance: a.variance };
}

import { invalid } from "../../core/errors.js";
import { checkAlpha, checkFinite, checkNonNegative } from "./checks.js";
import { normalCdf, normalPdf, normalQuantile } from "./distributions.js";
import type { LiftEstimate } from "./lift.js";

/** A normal prior on the lift (in the lift's own units: absolute or relative). */
export interface LiftPrior {
  /** Prior mean of the lift. */
  readonly mean: number;
  /** Prior variance of the lift (> 0). */
  readonly variance: number;
}

/** Options of {@link bayesianLift}. */
export interface BayesianLiftOptions {
  /**
   * A proper normal prior on the lift. Default none: a flat prior, so the posterior is the
   * likelihood `N(estimate, se²)` (gbstats' default, `proper=False`).
   */
  prior?: LiftPrior;
  /** True when lower is better (latency, churn): chance to win and the losses are mirrored. Default false. */
  inverse?: boolean;
  /** 1 − credibility of {@link BayesianLiftResult.interval}, strictly between 0 and 1. Default 0.05. */
  alpha?: number;
}

/** What {@link bayesianLift} reports. */
export interface BayesianLiftResult {
  /** Posterior mean of the lift. */
  readonly mean: number;
  /** Posterior standard deviation of the lift. */
  readonly standardDeviation: number;
  /** P(treatment beats control): P(lift > 0), or P(lift < 0) when `inverse`. */
  readonly chanceToBeatControl: number;
  /**
   * Expected loss (gbstats' "risk") of each decision, in the lift's units: `treatment` is what
   * shipping the treatment costs on average if it is in fact worse, E[max(0, −lift)]; `control` is
   * what keeping control costs if the treatment is in fact better, E[max(0, lift)]. Swapped when
   * `inverse`.
   */
  readonly expectedLoss: { readonly control: number; readonly treatment: number };
  /** Equal-tailed `1 − alpha` credible interval of the lift. */
  readonly interval: readonly [number, number];
}

/**
 * Bayesian read of a lift, as GrowthBook's gbstats (`EffectBayesianABTest`): a normal posterior on
 * the lift from its estimate and standard error (and an optional normal prior), then the chance to
 * beat control and the expected loss of each decision, in closed form:
 *
 * - posterior precision = 1/se² + 1/prior.variance, mean = (estimate/se² + prior.mean/prior.variance) / precision;
 * - chance to beat control = Φ(μ/σ);
 * - E[max(0, lift)] = σφ(μ/σ) + μΦ(μ/σ), E[max(0, −lift)] = σφ(μ/σ) − μΦ(−μ/σ) (gbstats writes the same
 *   as a probability times a truncated-normal mean).
 *
 * A zero standard error with no prior is a point mass: chance 1, 0 or 0.5 and the losses are the
 * estimate's positive or negative part.
 *
 * Throws `VALIDATION` naming the argument when the estimate or standard error is not finite or
 * negative, the prior's variance is not positive, or `alpha` is outside (0, 1).
 *
 * @example
 * ```ts
 * const r = welchTTest({ n: 5000, mean: 10, variance: 9 }, { n: 5000, mean: 10.2, variance: 9.5 });
 * const b = bayesianLift(r.relative!);
 * b.chanceToBeatControl;    // 0.99943…
 * b.expectedLoss.treatment; // 9.2e-7: what shipping costs if it is worse, in relative-lift units
 * ```
 */
export function bayesianLift(
  lift: Pick<LiftEstimate, "estimate" | "standardError">,
  options: BayesianLiftOptions = {},
): BayesianLiftResult {
  const alpha = checkAlpha(options.alpha, "options.alpha");
  if (lift == null || typeof lift !== "object") {
    throw invalid("lift", "must be { estimate, standardError }", "invalid_type");
  }
  const estimate = checkFinite("lift.estimate", lift.estimate);
  const se = checkNonNegative("lift.standardError", lift.standardError);
  let mean = estimate;
  let sd = se;
  if (options.prior !== undefined) {
    const priorMean = checkFinite("options.prior.mean", options.prior.mean);
    const priorVariance = checkFinite("options.prior.variance", options.prior.variance);
    if (priorVariance <= 0) {
      throw invalid("options.prior.variance", `must be positive, got ${priorVariance}`, "too_small");
    }
    if (se > 0) {
      const precision = 1 / (se * se) + 1 / priorVariance;
      mean = (estimate / (se * se) + priorMean / priorVariance) / precision;
      sd = Math.sqrt(1 / precision);
    }
  }

  let up: number;
  let gain: number;
  let loss: number;
  if (sd === 0) {
    up = mean > 0 ? 1 : mean < 0 ? 0 : 0.5;
    gain = Math.max(mean, 0);
    loss = Math.max(-mean, 0);
  } else {
    const z = mean / sd;
    up = normalCdf(z);
    const density = sd * normalPdf(z);
    gain = Math.max(0, density + mean * up);
    loss = Math.max(0, density - mean * normalCdf(-z));
  }
  const inverse = options.inverse === true;
  const q = normalQuantile(1 - alpha / 2);
  return {
    mean,
    standardDeviation: sd,
    chanceToBeatControl: inverse ? 1 - up : up,
    expectedLoss: inverse ? { control: loss, treatment: gain } : { control: gain, treatment: loss },
    interval: [mean - q * sd, mean + q * sd],
  };
}

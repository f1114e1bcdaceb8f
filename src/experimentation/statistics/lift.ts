/**
 * An estimated lift of treatment over control with its standard error and a two-sided interval.
 *
 * - absolute: `treatment − control`;
 * - relative: `(treatment − control) / control`, its standard error by the delta method.
 *
 * @example
 * ```ts
 * const { absolute } = welchTTest(control, treatment);
 * console.log(`${absolute.estimate} [${absolute.interval[0]}, ${absolute.interval[1]}]`);
 * ```
 */
export interface LiftEstimate {
  /** Point estimate of the lift. */
  readonly estimate: number;
  /** Standard error of the estimate. */
  readonly standardError: number;
  /** Two-sided `1 − alpha` confidence interval `[lower, upper]`. */
  readonly interval: readonly [number, number];
}

/** Mean and squared standard error of one arm's estimate, the inputs of a lift. */
export interface ArmEstimate {
  readonly mean: number;
  readonly squaredError: number;
}

/** `treatment − control`; its variance is the sum of the arms' squared standard errors. */
export function absoluteLift(control: ArmEstimate, treatment: ArmEstimate, critical: number): LiftEstimate {
  const estimate = treatment.mean - control.mean;
  const standardError = Math.sqrt(control.squaredError + treatment.squaredError);
  return { estimate, standardError, interval: around(estimate, critical * standardError) };
}

/**
 * `(treatment − control) / scale.control` with the delta-method variance of a ratio of independent
 * means, as gbstats' `frequentist_variance(relative=True)`:
 * `se_t² / m_c² + se_c² · m_t² / m_c⁴`, where `m` are the `scale` means (the unadjusted means; they
 * differ from `mean` only under CUPED). `null` when the control scale is 0.
 */
export function relativeLift(
  control: ArmEstimate,
  treatment: ArmEstimate,
  critical: number,
  scale: { control: number; treatment: number } = { control: control.mean, treatment: treatment.mean },
): LiftEstimate | null {
  const mc = scale.control;
  if (mc === 0) return null;
  const estimate = (treatment.mean - control.mean) / mc;
  const variance = treatment.squaredError / (mc * mc) + (control.squaredError * scale.treatment ** 2) / mc ** 4;
  const standardError = Math.sqrt(variance);
  return { estimate, standardError, interval: around(estimate, critical * standardError) };
}

function around(estimate: number, halfwidth: number): [number, number] {
  return [estimate - halfwidth, estimate + halfwidth];
}

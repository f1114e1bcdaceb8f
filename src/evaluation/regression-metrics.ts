import { checkNumbers, checkSameLength } from "./metric-input.js";

function pair(yTrue: unknown, yPred: unknown): [number[], number[]] {
  const t = checkNumbers("yTrue", yTrue);
  const p = checkNumbers("yPred", yPred);
  checkSameLength("yTrue", t, "yPred", p);
  return [t, p];
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Mean of `|yTrue − yPred|`, as scikit-learn's `mean_absolute_error`.
 *
 * @example
 * ```ts
 * meanAbsoluteError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.5
 * ```
 */
export function meanAbsoluteError(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  return mean(t.map((v, i) => Math.abs(p[i] - v)));
}

/** Mean of `(yTrue − yPred)²`, as scikit-learn's `mean_squared_error`. */
export function meanSquaredError(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  return mean(t.map((v, i) => (v - p[i]) ** 2));
}

/** Square root of {@link meanSquaredError}, as scikit-learn's `mean_squared_error(squared=False)`. */
export function rootMeanSquaredError(yTrue: number[], yPred: number[]): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred));
}

/**
 * Coefficient of determination `1 − SS_res / SS_tot`, as scikit-learn's `r2_score` (with its
 * `force_finite`): a constant `yTrue` gives 1 for a perfect prediction and 0 otherwise; fewer than two
 * examples give NaN.
 *
 * @example
 * ```ts
 * r2Score([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 0.9486…
 * ```
 */
export function r2Score(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  if (t.length < 2) return Number.NaN;
  const avg = mean(t);
  let num = 0;
  let den = 0;
  for (let i = 0; i < t.length; i++) {
    num += (t[i] - p[i]) ** 2;
    den += (t[i] - avg) ** 2;
  }
  return finiteRatio(num, den);
}

function finiteRatio(num: number, den: number): number {
  if (den !== 0 && num !== 0) return 1 - num / den;
  if (num !== 0) return 0;
  return 1;
}

/**
 * Mean of `|yTrue − yPred| / max(|yTrue|, ε)` with ε the float64 machine epsilon, as scikit-learn's
 * `mean_absolute_percentage_error`: a fraction (0.1 = 10 %), not a percentage.
 */
export function meanAbsolutePercentageError(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  return mean(t.map((v, i) => Math.abs(p[i] - v) / Math.max(Math.abs(v), Number.EPSILON)));
}

/**
 * Explained variance `1 − Var(yTrue − yPred) / Var(yTrue)`, as scikit-learn's
 * `explained_variance_score` (constant `yTrue` handled as {@link r2Score}).
 */
export function explainedVarianceScore(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  const diff = t.map((v, i) => v - p[i]);
  const diffAvg = mean(diff);
  const num = mean(diff.map((d) => (d - diffAvg) ** 2));
  const tAvg = mean(t);
  const den = mean(t.map((v) => (v - tAvg) ** 2));
  return finiteRatio(num, den);
}

/** Median of `|yTrue − yPred|` (mean of the two middle values for an even count), as scikit-learn's `median_absolute_error`. */
export function medianAbsoluteError(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  const errors = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) errors[i] = Math.abs(p[i] - t[i]);
  errors.sort();
  const mid = errors.length >> 1;
  return errors.length % 2 === 1 ? errors[mid] : (errors[mid - 1] + errors[mid]) / 2;
}

/** Largest `|yTrue − yPred|`, as scikit-learn's `max_error`. */
export function maxError(yTrue: number[], yPred: number[]): number {
  const [t, p] = pair(yTrue, yPred);
  let m = 0;
  for (let i = 0; i < t.length; i++) m = Math.max(m, Math.abs(t[i] - p[i]));
  return m;
}

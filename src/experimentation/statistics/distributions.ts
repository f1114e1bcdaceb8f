/**
 * The distribution functions the tests need, from stdlib (`@stdlib/stats-base-dists-*`): maintained,
 * tested against reference implementations, dependency-light and pure JavaScript, so the p-values
 * agree with scipy to well under 1e-9 without a native build. Only the normal density is written
 * here, because it is a closed form.
 */
import chisquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import normalCdfImpl from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantileImpl from "@stdlib/stats-base-dists-normal-quantile";
import tCdfImpl from "@stdlib/stats-base-dists-t-cdf";
import tQuantileImpl from "@stdlib/stats-base-dists-t-quantile";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/** Standard normal quantile Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  return normalQuantileImpl(p, 0, 1);
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Student t CDF with `df` degrees of freedom. */
export function tCdf(x: number, df: number): number {
  return tCdfImpl(x, df);
}

/** Student t quantile with `df` degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return tQuantileImpl(p, df);
}

/** Chi-square survival function P(X > x) with `df` degrees of freedom. */
export function chiSquareSf(x: number, df: number): number {
  return Math.max(0, 1 - chisquareCdf(x, df));
}

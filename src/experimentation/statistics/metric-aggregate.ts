import { invalid } from "../../core/errors.js";
import { checkFinite, checkNonNegative } from "./checks.js";
import type { SampleSummary } from "./sample-summary.js";

/**
 * The plain, JSON-safe state of a {@link MetricAggregate}: a count and five sums, each a `SUM()` a SQL
 * store can keep per arm and add up across partitions. The covariate sums may be left out (read as 0)
 * when no pre-period covariate is tracked; {@link MetricAggregate.toJSON} always writes them.
 */
export interface MetricAggregateState {
  /** Number of units. */
  n: number;
  /** Σ y, the outcome. */
  sum: number;
  /** Σ y². */
  sumSquares: number;
  /** Σ x, the pre-period covariate (CUPED). Default 0. */
  covariateSum?: number;
  /** Σ x². Default 0. */
  covariateSumSquares?: number;
  /** Σ x·y. Default 0. */
  productSum?: number;
}

/**
 * Mergeable sufficient statistics of one arm's metric: n, Σy, Σy² and, for CUPED, Σx, Σx², Σxy of a
 * pre-period covariate x. Outcomes are added one at a time or merged from partitions (per process, per
 * day, per SQL group) in any order, and the result equals one pass over all rows, so millions of
 * outcomes are analysed without keeping them. It has `n`, `mean` and `variance`, so it is a
 * {@link SampleSummary} and goes straight into {@link welchTTest}.
 *
 * Plain sums are what SQL `SUM()` produces and merge by addition; their price is cancellation in
 * `Σy² − (Σy)²/n` when the mean is much larger than the spread (relative error about
 * `n · ε · mean² / variance`; binary outcomes are exact).
 *
 * @example
 * ```ts
 * const control = new MetricAggregate();
 * for (const { y, preY } of rows) control.add(y, preY);
 * control.merge(MetricAggregate.from(JSON.parse(savedYesterday))); // another partition's toJSON()
 * control.mean; control.variance;
 * ```
 */
export class MetricAggregate implements SampleSummary {
  /** Number of units. */
  n = 0;
  /** Σ y. */
  sum = 0;
  /** Σ y². */
  sumSquares = 0;
  /** Σ x (pre-period covariate). */
  covariateSum = 0;
  /** Σ x². */
  covariateSumSquares = 0;
  /** Σ x·y. */
  productSum = 0;

  /**
   * An aggregate from a stored state (see {@link MetricAggregateState}); sums of x may be left out
   * when no covariate is tracked. Throws `VALIDATION` on a negative or non-finite count or sum of
   * squares, or a non-finite sum.
   */
  static from(state: MetricAggregateState): MetricAggregate {
    if (state == null || typeof state !== "object") {
      throw invalid("state", "must be { n, sum, sumSquares, ... }", "invalid_type");
    }
    const a = new MetricAggregate();
    a.n = checkNonNegative("state.n", state.n);
    a.sum = checkFinite("state.sum", state.sum);
    a.sumSquares = checkNonNegative("state.sumSquares", state.sumSquares);
    a.covariateSum = checkFinite("state.covariateSum", state.covariateSum ?? 0);
    a.covariateSumSquares = checkNonNegative("state.covariateSumSquares", state.covariateSumSquares ?? 0);
    a.productSum = checkFinite("state.productSum", state.productSum ?? 0);
    return a;
  }

  /**
   * Adds one unit's outcome `y` and, for CUPED, its pre-period value `x`. A unit with no pre-period
   * value counts as `x = 0`, as gbstats does. Throws `VALIDATION` on a non-finite value.
   */
  add(y: number, x = 0): this {
    // The hot path only tests; building the error is left to the rare failure.
    if (!Number.isFinite(y)) checkFinite("y", y);
    if (!Number.isFinite(x)) checkFinite("x", x);
    this.n += 1;
    this.sum += y;
    this.sumSquares += y * y;
    this.covariateSum += x;
    this.covariateSumSquares += x * x;
    this.productSum += x * y;
    return this;
  }

  /** Adds another aggregate's units to this one (the other is unchanged). */
  merge(other: MetricAggregate | MetricAggregateState): this {
    const o = other instanceof MetricAggregate ? other : MetricAggregate.from(other);
    this.n += o.n;
    this.sum += o.sum;
    this.sumSquares += o.sumSquares;
    this.covariateSum += o.covariateSum;
    this.covariateSumSquares += o.covariateSumSquares;
    this.productSum += o.productSum;
    return this;
  }

  /** A new aggregate with the units of both (neither is changed). */
  plus(other: MetricAggregate | MetricAggregateState): MetricAggregate {
    return this.clone().merge(other);
  }

  /** An independent copy. */
  clone(): MetricAggregate {
    return MetricAggregate.from(this.toJSON());
  }

  /** Mean of y (NaN when empty). */
  get mean(): number {
    return this.sum / this.n;
  }

  /** Unbiased variance of y (ddof = 1; NaN when n < 2). */
  get variance(): number {
    return centredProduct(this.sumSquares, this.sum, this.sum, this.n, true);
  }

  /** Mean of the covariate x (NaN when empty). */
  get covariateMean(): number {
    return this.covariateSum / this.n;
  }

  /** Unbiased variance of the covariate x (NaN when n < 2). */
  get covariateVariance(): number {
    return centredProduct(this.covariateSumSquares, this.covariateSum, this.covariateSum, this.n, true);
  }

  /** Unbiased covariance of y and x (NaN when n < 2). */
  get covariance(): number {
    return centredProduct(this.productSum, this.sum, this.covariateSum, this.n);
  }

  /** The JSON-safe state, e.g. to store it or send it to another process. */
  toJSON(): Required<MetricAggregateState> {
    return {
      n: this.n,
      sum: this.sum,
      sumSquares: this.sumSquares,
      covariateSum: this.covariateSum,
      covariateSumSquares: this.covariateSumSquares,
      productSum: this.productSum,
    };
  }
}

/** Σ(a − ā)(b − b̄) / (n − 1) from sums; a variance (a = b) is kept ≥ 0 against rounding. */
function centredProduct(products: number, sumA: number, sumB: number, n: number, isVariance = false): number {
  if (n < 2) return Number.NaN;
  const value = (products - (sumA * sumB) / n) / (n - 1);
  return isVariance ? Math.max(0, value) : value;
}

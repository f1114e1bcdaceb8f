import type {
  AggregateSums,
  OnlineExperimentStore,
  VariantAggregateRecord,
} from "../stores/online-experiment-store.js";

/**
 * Sums waiting to be added to an experiment's stored aggregates, per (variant, metric). Values are
 * folded in as they come (n, Σy, Σy², Σx, Σx², Σxy), so memory is one row per (variant, metric)
 * whatever the number of outcomes; `flush` adds them to the store in one call (the store adds
 * atomically, so several processes feed one experiment) and puts them back if the write fails.
 */
export class PendingAggregates {
  private rows = new Map<string, VariantAggregateRecord>();

  /** Adds one value `y` (and its covariate `x`, 0 when none) to (variant, metric). */
  add(variant: string, metric: string, y: number, x = 0): void {
    const s = this.row(variant, metric);
    s.n += 1;
    s.sum += y;
    s.sumSquares += y * y;
    s.covariateSum += x;
    s.covariateSumSquares += x * x;
    s.productSum += x * y;
  }

  /** Adds sums to (variant, metric). */
  addSums(variant: string, metric: string, sums: Partial<AggregateSums>): void {
    const s = this.row(variant, metric);
    s.n += sums.n ?? 0;
    s.sum += sums.sum ?? 0;
    s.sumSquares += sums.sumSquares ?? 0;
    s.covariateSum += sums.covariateSum ?? 0;
    s.covariateSumSquares += sums.covariateSumSquares ?? 0;
    s.productSum += sums.productSum ?? 0;
  }

  /** Rows waiting. */
  get size(): number {
    return this.rows.size;
  }

  /** Adds the waiting sums to the store (nothing when none wait); on failure they wait again. */
  async flush(store: OnlineExperimentStore, experiment: string): Promise<void> {
    if (this.rows.size === 0) return;
    const taken = [...this.rows.values()];
    this.rows = new Map();
    try {
      await store.addAggregates(experiment, taken);
    } catch (error) {
      for (const r of taken) this.addSums(r.variant, r.metric, r.sums);
      throw error;
    }
  }

  private row(variant: string, metric: string): AggregateSums {
    const key = `${variant}\u0000${metric}`;
    let r = this.rows.get(key);
    if (!r) {
      r = {
        variant,
        metric,
        sums: { n: 0, sum: 0, sumSquares: 0, covariateSum: 0, covariateSumSquares: 0, productSum: 0 },
      };
      this.rows.set(key, r);
    }
    return r.sums;
  }
}

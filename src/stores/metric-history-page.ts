import { invalid } from "../core/errors.js";

/**
 * Checks the `page` argument of `TrackingStore.metricHistoryPage`: a whole `offset` ≥ 0 and a
 * whole `limit` ≥ 1 (so a store never turns a bad page into an unbounded read).
 */
export function checkMetricHistoryPage(page: { offset: number; limit: number }): void {
  if (!Number.isSafeInteger(page.offset) || page.offset < 0) throw invalid(["offset"], "must be an integer ≥ 0");
  if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw invalid(["limit"], "must be an integer ≥ 1");
}

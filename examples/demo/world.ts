/**
 * The world the demo's model serves, deterministic: every number comes from a hash of what it
 * describes (a customer, a day, a call), never from the order things ran in, so every run of the
 * demo sees the same customers, activity, churn and traffic.
 *
 * 600 customers with a hidden engagement level and budget. Until the price change, customers who
 * use the product little churn. From the price change on, everyone spends more (prices up 40%),
 * uses it less (sessions down 30%), and big spenders churn too: the inputs drift, and the model's
 * answers go wrong.
 */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** Day 0 of the story: 1 January 2025 (a fixed clock: the same timestamps and digests every run). */
export const T0 = Date.UTC(2025, 0, 1);
/** The service goes live on day 56. */
export const LIVE = T0 + 56 * DAY;
/** Four hours later, prices change. */
export const PRICE_CHANGE = LIVE + 4 * HOUR;

/** A uniform number in [0, 1) from integers (a 32-bit integer hash: the same in every process). */
export function uniform(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    h = Math.imul(h ^ (k >>> 0), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 4294967296;
}

export interface Customer {
  id: number;
  engagement: number;
  budget: number;
}

export const customers: Customer[] = Array.from({ length: 600 }, (_, id) => ({
  id,
  engagement: uniform(id, 1),
  budget: uniform(id, 2),
}));

/** A customer's activity as of `at` (ms), one row of the `customer_activity` feature view. */
export function activity(at: number) {
  const after = at >= PRICE_CHANGE;
  const day = Math.floor((at - T0) / DAY);
  return customers.map((c) => ({
    customer_id: c.id,
    event_timestamp: at,
    sessions_7d: Math.max(0, Math.round((after ? 14 : 20) * c.engagement + 4 * (uniform(c.id, day, 3) - 0.5))),
    spend_30d: Math.max(0, Math.round((after ? 140 : 100) * c.budget + 10 * (uniform(c.id, day, 4) - 0.5))),
  }));
}

/** Whether a customer leaves within 30 days, as known at `at` (the label that arrives later). */
export function churned(c: Customer, at: number): number {
  const day = Math.floor((at - T0) / DAY);
  const risk = at < PRICE_CHANGE ? 1 - c.engagement : Math.max(1 - c.engagement, c.budget) - 0.15;
  return risk + 0.2 * (uniform(c.id, day, 5) - 0.5) > 0.55 ? 1 : 0;
}

/** The customers of the `call`-th call of the `window`-th hour: `size` of them. */
export function callers(window: number, call: number, size: number): Customer[] {
  return Array.from(
    { length: size },
    (_, i) => customers[Math.floor(uniform(window, call, i, 6) * customers.length)] as Customer,
  );
}

import { invalid } from "../core/errors.js";
import { BUCKETS } from "./bucket-hash.js";

/**
 * Which variant owns which buckets: sorted, non-overlapping ranges `[start, end, variant]` of bucket
 * numbers (end exclusive) that together cover 0 … 9,999. Stored with the experiment, so every
 * process routes a bucket to the same variant.
 */
export type BucketLayout = Array<[start: number, end: number, variant: string]>;

/**
 * Bucket counts per variant from weights (normalised by their sum): each variant gets
 * ⌊10,000 · w/Σw⌋ buckets, and the buckets left over go to the largest remainders (ties to the
 * earlier variant), so the counts sum to 10,000 exactly and are the same in every process.
 */
export function bucketCounts(variants: ReadonlyArray<{ name: string; weight: number }>): Map<string, number> {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  if (!(total > 0)) throw invalid(["variants"], "the weights must sum to a positive number");
  const exact = variants.map((v) => (BUCKETS * v.weight) / total);
  const counts = exact.map(Math.floor);
  let left = BUCKETS - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left === 0) break;
    counts[i]++;
    left--;
  }
  return new Map(variants.map((v, i) => [v.name, counts[i]]));
}

/**
 * The first layout of an experiment: contiguous ranges in variant order, as GrowthBook's
 * `getBucketRanges` (coverage 1) lays them out — 50/50 is `[0, 5000)` and `[5000, 10000)`.
 */
export function initialLayout(counts: ReadonlyMap<string, number>): BucketLayout {
  const layout: BucketLayout = [];
  let start = 0;
  for (const [variant, count] of counts) {
    if (count === 0) continue;
    layout.push([start, start + count, variant]);
    start += count;
  }
  return layout;
}

/** Buckets per variant in a layout. */
export function layoutCounts(layout: BucketLayout): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [start, end, variant] of layout) counts.set(variant, (counts.get(variant) ?? 0) + end - start);
  return counts;
}

/**
 * The layout for new bucket counts that moves as few buckets as possible: a variant whose count
 * shrinks (or that is gone) gives up buckets from its highest ranges down, a variant whose count
 * grows takes freed buckets lowest first (variants in the order of `counts`), and every other
 * bucket keeps its variant. So a unit changes variant only when its variant shrank or was removed,
 * and the share of buckets that change is Σ max(0, old − new) / 10,000 — the least any assignment
 * by bucket can move (GrowthBook's contiguous ranges move more once there are three variants).
 */
export function relayout(previous: BucketLayout, counts: ReadonlyMap<string, number>): BucketLayout {
  const before = layoutCounts(previous);
  const kept: BucketLayout = [];
  const freed: Array<[number, number]> = [];
  // Walk each variant's ranges from the top, giving up what it loses.
  const surplus = new Map<string, number>();
  for (const [variant, had] of before) surplus.set(variant, Math.max(0, had - (counts.get(variant) ?? 0)));
  for (let i = previous.length - 1; i >= 0; i--) {
    const [start, end, variant] = previous[i];
    const give = Math.min(surplus.get(variant) ?? 0, end - start);
    if (give > 0) {
      surplus.set(variant, (surplus.get(variant) ?? 0) - give);
      freed.push([end - give, end]);
    }
    if (end - give > start) kept.push([start, end - give, variant]);
  }
  freed.sort((a, b) => a[0] - b[0]);
  let f = 0;
  for (const [variant, want] of counts) {
    let need = want - (before.get(variant) ?? 0);
    while (need > 0) {
      const [start, end] = freed[f];
      const take = Math.min(need, end - start);
      kept.push([start, start + take, variant]);
      need -= take;
      if (start + take === end) f++;
      else freed[f] = [start + take, end];
    }
  }
  kept.sort((a, b) => a[0] - b[0]);
  const merged: BucketLayout = [];
  for (const range of kept) {
    const last = merged[merged.length - 1];
    if (last && last[2] === range[2] && last[1] === range[0]) last[1] = range[1];
    else merged.push([range[0], range[1], range[2]]);
  }
  return merged;
}

/**
 * Checks a stored layout: sorted ranges of known variants covering every bucket once. A layout read
 * from the store that fails this is `INTEGRITY`-worthy; here it is `VALIDATION` naming the flaw.
 */
export function checkLayout(layout: unknown, variants: ReadonlySet<string>): BucketLayout {
  if (!Array.isArray(layout)) throw invalid(["state", "layout"], "must be an array of [start, end, variant]");
  let next = 0;
  for (const [i, r] of layout.entries()) {
    if (!Array.isArray(r) || r.length !== 3) throw invalid(["state", "layout", i], "must be [start, end, variant]");
    const [start, end, variant] = r as [unknown, unknown, unknown];
    if (start !== next || !Number.isInteger(end) || (end as number) <= start || (end as number) > BUCKETS)
      throw invalid(["state", "layout", i], `ranges must cover 0 … ${BUCKETS} in order, got [${start}, ${end})`);
    if (typeof variant !== "string" || !variants.has(variant))
      throw invalid(["state", "layout", i], `names no variant of the experiment: ${String(variant)}`);
    next = end as number;
  }
  if (next !== BUCKETS) throw invalid(["state", "layout"], `covers ${next} of ${BUCKETS} buckets`);
  return layout as BucketLayout;
}

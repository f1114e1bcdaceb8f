import { BUCKETS, bucketOf } from "./bucket-hash.js";
import type { BucketLayout } from "./bucket-layout.js";

/**
 * The routing table of one experiment revision: bucket → arm index, built once from the layout so a
 * call costs one hash and one array read.
 */
export class BucketRouter {
  private readonly table = new Uint8Array(BUCKETS);

  /**
   * @param saltHash the FNV-1a state after the salt (`saltState(salt)`).
   * @param layout which variant owns which buckets.
   * @param arms the variant names, in arm order (at most 255).
   */
  constructor(
    private readonly saltHash: number,
    layout: BucketLayout,
    arms: readonly string[],
  ) {
    const index = new Map(arms.map((a, i) => [a, i]));
    for (const [start, end, variant] of layout) this.table.fill(index.get(variant) as number, start, end);
  }

  /** The arm of a unit (by its hash), or of a call without one (a random bucket). */
  pick(unit: string | undefined, random: () => number): number {
    const bucket = unit === undefined ? Math.floor(random() * BUCKETS) : bucketOf(this.saltHash, unit);
    return this.table[bucket];
  }

  /** The arm owning a bucket. */
  armOf(bucket: number): number {
    return this.table[bucket];
  }
}

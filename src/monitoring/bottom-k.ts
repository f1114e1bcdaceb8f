/** One entry of a bottom-k sample: the item's hash and the item. */
export type HashedEntry<T> = [hash: number, item: T];

/**
 * A bottom-k sample: of every item offered, the `k` with the smallest hashes (ties broken by the
 * item's JSON text). While at most `k` items were offered it holds them all; beyond, a uniform
 * sample of them when hashes are those of distinct keys. Two samples merge into the sample of the
 * union — whatever the order and however the items were split between processes — which is what
 * makes windows fed by several processes give one answer.
 *
 * Offering is O(1) amortised: entries are collected up to 2k, then cut back to the k smallest.
 */
export class BottomK<T> {
  private entries: HashedEntry<T>[] = [];
  /** The largest hash kept once the sample has been cut; items above it are refused at once. */
  private ceiling = Number.POSITIVE_INFINITY;

  constructor(readonly k: number) {}

  /** Offers one item. */
  add(hash: number, item: T): void {
    if (hash > this.ceiling) return;
    this.entries.push([hash, item]);
    if (this.entries.length >= 2 * this.k) this.cut();
  }

  /** Offers every entry of another sample (or of its stored form). */
  merge(entries: readonly HashedEntry<T>[]): void {
    for (const [h, item] of entries) this.add(h, item);
  }

  /** The k smallest entries, by hash (then by the item's JSON text). */
  toEntries(): HashedEntry<T>[] {
    this.cut();
    return this.entries.slice();
  }

  /** Number of entries it would give now (at most k). */
  get size(): number {
    return Math.min(this.entries.length, this.k);
  }

  private cut(): void {
    if (this.entries.length > this.k) {
      this.entries.sort(compareEntries);
      this.entries.length = this.k;
      this.ceiling = this.entries[this.k - 1][0];
    } else this.entries.sort(compareEntries);
  }
}

function compareEntries<T>(a: HashedEntry<T>, b: HashedEntry<T>): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  const x = JSON.stringify(a[1]);
  const y = JSON.stringify(b[1]);
  return x < y ? -1 : x > y ? 1 : 0;
}

import { invalid } from "../core/errors.js";
import type { AggregateSums } from "../stores/online-experiment-store.js";
import { RandomVariates } from "./random-variates.js";

/** How a bandit's reward is modelled: a success/failure (Beta) or a number (Normal). */
export type RewardKind = "binary" | "continuous";

/**
 * Each arm's chance of being the best, by Thompson sampling from its posterior, `draws` times:
 *
 * - `binary`: Beta(1 + successes, 1 + failures) — a uniform prior on the rate (successes = Σy, the
 *   rewards being 0 or 1);
 * - `continuous`: Normal(ȳ, s²/n) — the posterior of the mean under a flat prior, with s² the
 *   unbiased sample variance (an arm needs n ≥ 2).
 *
 * Each draw samples every arm once and counts a win for the largest (the first on a tie). Returns the
 * share of wins per arm, in the order given.
 *
 * @example
 * ```ts
 * chanceToBeBest([{ n: 200, sum: 40 } as AggregateSums, { n: 200, sum: 60 } as AggregateSums], "binary", 10_000, seededRandom(1));
 * // ≈ [0.01, 0.99]
 * ```
 */
export function chanceToBeBest(
  arms: ReadonlyArray<Pick<AggregateSums, "n" | "sum" | "sumSquares">>,
  reward: RewardKind,
  draws: number,
  random: () => number,
): number[] {
  if (!Number.isInteger(draws) || draws < 1) throw invalid(["draws"], `must be a positive integer, got ${draws}`);
  const variates = new RandomVariates(random);
  const samplers = arms.map((a, i): (() => number) => {
    if (reward === "binary") {
      if (a.sum < 0 || a.sum > a.n)
        throw invalid(["arms", i], `a binary reward needs 0 ≤ Σy ≤ n, got Σy = ${a.sum}, n = ${a.n}`);
      const alpha = 1 + a.sum;
      const beta = 1 + a.n - a.sum;
      return () => variates.beta(alpha, beta);
    }
    if (a.n < 2) throw invalid(["arms", i], `a continuous reward needs n ≥ 2, got ${a.n}`);
    const mean = a.sum / a.n;
    const variance = Math.max(0, (a.sumSquares - (a.sum * a.sum) / a.n) / (a.n - 1));
    const sd = Math.sqrt(variance / a.n);
    return () => mean + sd * variates.normal();
  });
  const wins = new Array<number>(arms.length).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < samplers.length; i++) {
      const v = samplers[i]();
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    wins[best]++;
  }
  return wins.map((w) => w / draws);
}

/**
 * Weights from chances with a floor: `floor + (1 − k · floor) · chance` for k arms, so every arm
 * keeps at least `floor` of the traffic (and keeps learning) and the weights sum to 1.
 *
 * @example
 * ```ts
 * flooredWeights([0, 1], 0.05); // [0.05, 0.95]
 * ```
 */
export function flooredWeights(chances: readonly number[], floor: number): number[] {
  if (!(floor >= 0) || floor * chances.length > 1)
    throw invalid(["floor"], `must be between 0 and 1/${chances.length} (one share per arm), got ${floor}`);
  return chances.map((c) => floor + (1 - chances.length * floor) * c);
}

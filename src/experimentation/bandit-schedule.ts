import type { Clock } from "../core/clock.js";
import type { EventBus } from "../core/events.js";
import { seededRandom } from "../core/random.js";
import type { OnlineExperimentStore } from "../stores/online-experiment-store.js";
import { bucketCounts, type BucketLayout, relayout } from "./bucket-layout.js";
import { aggregateTable } from "./canary-rules.js";
import { changeExperiment } from "./experiment-writer.js";
import type { OnlineExperimentEvents } from "./online-events.js";
import type { TickResult } from "./online-types.js";
import { chanceToBeBest, flooredWeights, type RewardKind } from "./thompson-sampling.js";

/** A bandit's stored settings (`record.config`). */
export interface BanditConfig {
  reward: RewardKind;
  metric: string;
  minSamples: number;
  intervalMs: number;
  floor: number;
  draws: number;
  seed: number;
  actor: string;
}

/** A bandit's progress (`record.state`): its layout, when it last reweighted, how often, and the chances then. */
export interface BanditState {
  layout: BucketLayout;
  lastReweightAt: number;
  reweights: number;
  chanceToBeBest?: Record<string, number>;
}

/**
 * One tick of a Thompson-sampling bandit: once `intervalMs` has passed since the last reweighting
 * and every arm has at least `minSamples` rewards, each arm's chance of being best is estimated by
 * `draws` posterior draws (seeded by the stored seed and the reweighting count, so every process
 * draws the same), the weights become `floor + (1 − k · floor) · chance`, and the layout moves as few
 * units as possible. Written by compare-and-set with a `weights_changed` audit entry.
 */
export async function tickBandit(
  deps: { store: OnlineExperimentStore; clock: Clock; events: EventBus<OnlineExperimentEvents> },
  name: string,
): Promise<TickResult> {
  const { store, clock, events } = deps;
  let outcome: Omit<TickResult, "experiment"> = { action: "none", reason: "not running" };
  const { record, change } = await changeExperiment(store, clock, name, async (r) => {
    if (r.status !== "running") {
      outcome = { action: "none", reason: `the bandit is ${r.status}` };
      return undefined;
    }
    const config = r.config as unknown as BanditConfig;
    const state = r.state as unknown as BanditState;
    const now = Math.floor(clock.now());
    if (now - state.lastReweightAt < config.intervalMs) {
      outcome = {
        action: "none",
        reason: `next reweighting in ${config.intervalMs - (now - state.lastReweightAt)} ms`,
      };
      return undefined;
    }
    const table = aggregateTable(await store.getAggregates(name));
    const sums = r.variants.map((v) => table[v.name]?.[config.metric] ?? { n: 0, sum: 0, sumSquares: 0 });
    const short = r.variants.findIndex(
      (_, i) => sums[i].n < Math.max(config.minSamples, config.reward === "binary" ? 1 : 2),
    );
    if (short >= 0) {
      outcome = {
        action: "held",
        reason: `arm '${r.variants[short].name}' has ${sums[short].n} of ${config.minSamples} rewards (${config.metric})`,
      };
      return undefined;
    }
    const chances = chanceToBeBest(sums, config.reward, config.draws, seededRandom(config.seed + state.reweights));
    const weights = flooredWeights(chances, config.floor);
    const variants = r.variants.map((v, i) => ({ ...v, weight: weights[i] }));
    const chanceToBeBestByArm = Object.fromEntries(r.variants.map((v, i) => [v.name, chances[i]]));
    outcome = { action: "reweighted", reason: `Thompson sampling over ${config.draws} draws` };
    return {
      patch: {
        variants,
        state: {
          layout: relayout(state.layout, bucketCounts(variants)),
          lastReweightAt: now,
          reweights: state.reweights + 1,
          chanceToBeBest: chanceToBeBestByArm,
        },
      },
      event: {
        action: "weights_changed",
        actor: config.actor,
        reason: `Thompson sampling (${config.reward} rewards of '${config.metric}', ${config.draws} draws, floor ${config.floor})`,
        details: {
          weights: Object.fromEntries(variants.map((v) => [v.name, v.weight])),
          chanceToBeBest: chanceToBeBestByArm,
          samples: Object.fromEntries(r.variants.map((v, i) => [v.name, sums[i].n])),
        },
      },
    };
  });
  const weights = Object.fromEntries(record.variants.map((v) => [v.name, v.weight]));
  if (change)
    events.emit("online.weights_changed", {
      experiment: name,
      weights,
      reason: "Thompson sampling",
      at: clock.now(),
    });
  return { experiment: name, ...outcome, weights };
}

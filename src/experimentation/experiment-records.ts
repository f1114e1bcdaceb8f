import { newId } from "../core/ids.js";
import { parseModelRef } from "../registry/model-ref.js";
import type { NewOnlineExperiment, OnlineExperimentRecord } from "../stores/online-experiment-store.js";
import type { BanditConfig, BanditState } from "./bandit-schedule.js";
import { BUCKETS } from "./bucket-hash.js";
import { bucketCounts, initialLayout } from "./bucket-layout.js";
import { CANDIDATE, type CanaryConfig, type CanaryState, canaryVariants, STABLE } from "./canary-ramp.js";
import type { BanditOptions, CanaryOptions, ShadowOptions, SplitOptions } from "./online-types.js";
import { SHADOW_VARIANT } from "./routed-deployment.js";

/** The variant names of a shadow experiment. */
export const PRIMARY = "primary";

/** A shadow's stored settings (`record.config`). */
export interface ShadowConfig {
  sample: number;
  timeoutMs: number;
  maxInFlight: number;
  compare: "auto" | "labels" | "numbers";
}

type Base = Pick<NewOnlineExperiment, "id" | "name" | "deployment" | "status" | "salt" | "createdAt">;

function base(name: string, o: { deployment?: string; salt?: string }, now: number): Base {
  return {
    id: newId(),
    name,
    deployment: o.deployment ?? name,
    status: "running",
    salt: o.salt ?? name,
    createdAt: now,
  };
}

/** A new fixed split: the variants as given, laid out contiguously in their order. */
export function newSplit(name: string, o: SplitOptions, now: number): NewOnlineExperiment {
  const variants = o.variants.map((v) => ({ name: v.name, ref: v.ref, weight: v.weight }));
  return {
    ...base(name, o, now),
    kind: "split",
    variants,
    config: {},
    state: { layout: initialLayout(bucketCounts(variants)) },
  };
}

/** A new canary at its first step: `stable` and `canary`, the candidate's share the first step's. */
export function newCanary(name: string, o: CanaryOptions, actor: string, now: number): NewOnlineExperiment {
  const steps = o.steps ?? [5, 25, 50, 100];
  const bakeMs = Array.isArray(o.bakeMs) ? o.bakeMs : steps.map(() => o.bakeMs as number);
  let promote: CanaryConfig["promote"] = null;
  if (o.promote) promote = { model: o.promote.model, alias: o.promote.alias };
  else if (o.promote === undefined) {
    const stable = parseModelRef(o.stable);
    if (stable.kind === "alias") promote = { model: stable.model, alias: stable.alias };
  }
  const config: CanaryConfig = {
    steps,
    bakeMs,
    rules: o.rules ?? [],
    promote,
    minCallsPerStep: o.minCallsPerStep ?? 0,
    actor,
  };
  const variants = canaryVariants(o.stable, o.candidate, steps[0]);
  const state: CanaryState = {
    layout: initialLayout(bucketCounts(variants)),
    step: 0,
    stepStartedAt: now,
    start: {},
    phase: "ramping",
  };
  return {
    ...base(name, o, now),
    kind: "canary",
    variants,
    config: config as unknown as Record<string, unknown>,
    state: state as unknown as Record<string, unknown>,
  };
}

/** A new shadow: `primary` takes every call, `shadow` (weight = its sampled share) gets copies. */
export function newShadow(name: string, o: ShadowOptions, now: number): NewOnlineExperiment {
  const config: ShadowConfig = {
    sample: o.sample ?? 1,
    timeoutMs: o.timeoutMs ?? 5000,
    maxInFlight: o.maxInFlight ?? 1000,
    compare: o.compare ?? "auto",
  };
  return {
    ...base(name, o, now),
    kind: "shadow",
    variants: [
      { name: PRIMARY, ref: o.primary, weight: 1 },
      { name: SHADOW_VARIANT, ref: o.shadow, weight: config.sample },
    ],
    config: config as unknown as Record<string, unknown>,
    state: { layout: [[0, BUCKETS, PRIMARY]] },
  };
}

/** A new bandit: equal weights, a stored seed (random when none is given) for every process's draws. */
export function newBandit(
  name: string,
  o: BanditOptions,
  actor: string,
  random: () => number,
  now: number,
): NewOnlineExperiment {
  const variants = o.arms.map((a) => ({ name: a.name, ref: a.ref, weight: 1 / o.arms.length }));
  const config: BanditConfig = {
    reward: o.reward,
    metric: o.metric ?? "outcome",
    minSamples: o.minSamples ?? 100,
    intervalMs: o.intervalMs ?? 60_000,
    floor: o.floor ?? 0.01,
    draws: o.draws ?? 10_000,
    seed: o.seed ?? Math.floor(random() * 2 ** 31),
    actor,
  };
  const state: BanditState = { layout: initialLayout(bucketCounts(variants)), lastReweightAt: now, reweights: 0 };
  return {
    ...base(name, o, now),
    kind: "bandit",
    variants,
    config: config as unknown as Record<string, unknown>,
    state: state as unknown as Record<string, unknown>,
  };
}

/** The variants that take calls (all but a shadow's `shadow`), in order. */
export function routedVariants(record: OnlineExperimentRecord) {
  return record.kind === "shadow" ? record.variants.filter((v) => v.name !== SHADOW_VARIANT) : record.variants;
}

export { CANDIDATE, STABLE };

import type { DeployOptions, Feedback } from "../serving/deployment-types.js";
import type { RewardKind } from "./thompson-sampling.js";

/** Who changes an experiment and why, for its audit trail. */
export interface OnlineAudit {
  /** Who (default `$MLCYCLE_ACTOR`, `$USER`, else `unknown`). */
  actor?: string;
  /** Why (default empty). */
  reason?: string;
}

/** Options of each variant's deployment (`ws.serving.deploy`); its name, variant and observer are the experiment's. */
export type VariantDeployOptions = Omit<DeployOptions, "name" | "variant" | "observer">;

/** Settings of a routed deployment in this process (not stored: give them again to `ws.online.open`). */
export interface RoutingOptions {
  /** Options of each variant's deployment (batching, log, warmup…). */
  deploy?: VariantDeployOptions;
  /**
   * How often the stored experiment is re-read for changes made by other processes, in ms (default
   * 5,000; `false`: only changes made through this workspace are seen).
   */
  pollIntervalMs?: number | false;
  /** How often buffered exposures and outcomes are added to the store, in ms (default 1,000). */
  flushIntervalMs?: number;
  /**
   * How often a canary's rules or a bandit's schedule are checked, in ms (default 10,000; `false`:
   * only when `ws.online.tick(name)` is called). Splits and shadows have no schedule.
   */
  tickIntervalMs?: number | false;
  /** A canary's named checks (`{ kind: "check", name }` rules), for this process. */
  checks?: Record<string, CanaryCheck>;
}

/** What every kind of experiment takes when it starts. */
export interface StartOptions extends RoutingOptions, OnlineAudit {
  /** The routed deployment's name (default: the experiment's name); unique among open routed deployments. */
  deployment?: string;
  /** Mixed into the assignment hash (default: the experiment's name), so experiments assign independently. */
  salt?: string;
}

/** One arm of a fixed split. */
export interface SplitVariant {
  /** Unique within the experiment, e.g. `control`, `treatment`. */
  name: string;
  /** The registry reference it serves (`churn@champion`, `churn@4`). */
  ref: string;
  /** Share of traffic (≥ 0; the weights are normalised by their sum). */
  weight: number;
}

/** Options of `ws.online.split`. */
export interface SplitOptions extends StartOptions {
  /** The arms, the first one the control (at most 100). */
  variants: SplitVariant[];
}

/** Roll back when the candidate's share of failed calls in the current step exceeds `max`. */
export interface ErrorRateRule {
  kind: "error_rate";
  /** Largest error rate allowed, 0 … 1. */
  max: number;
  /** Calls the candidate needs in the step before the rule can pass or fire (default 1). */
  minCalls?: number;
}

/** Roll back when the candidate's mean latency in the current step exceeds `maxMeanMs`. */
export interface LatencyRule {
  kind: "latency";
  maxMeanMs: number;
  /** Answered calls the candidate needs in the step (default 1). */
  minCalls?: number;
}

/** Roll back on a metric from feedback: the candidate's mean in the current step out of bounds. */
export interface MetricRule {
  kind: "metric";
  /** The metric (`outcome` for feedback outcomes, or one given to `ws.online.record`). */
  metric: string;
  /** Smallest mean allowed. */
  min?: number;
  /** Largest mean allowed. */
  max?: number;
  /** Largest drop of the candidate's mean below the stable version's, in the metric's units. */
  maxDropFromStable?: number;
  /** Values the candidate needs in the step (default 1; with `maxDropFromStable`, the stable version too). */
  minSamples?: number;
}

/**
 * Roll back when a named check fails: a callback given in `checks` (this process) or registered for
 * the workspace with `ws.online.registerCheck` (monitor rules plug in here). `params` is stored with
 * the rule and passed to it.
 */
export interface CheckRule {
  kind: "check";
  name: string;
  params?: Record<string, unknown>;
}

/** A canary rule, checked at every tick against the current step's window. */
export type CanaryRule = ErrorRateRule | LatencyRule | MetricRule | CheckRule;

/** One side of a canary in the current step: its calls, errors, latency and metric means. */
export interface WindowStats {
  calls: number;
  errors: number;
  /** errors / calls (0 without calls). */
  errorRate: number;
  /** Mean latency of answered calls, ms (NaN without any). */
  meanLatencyMs: number;
  /** Metric → values and mean in the step. */
  metrics: Record<string, { n: number; mean: number }>;
}

/** What a canary check is given. */
export interface CanaryCheckContext {
  experiment: string;
  /** The current step (0-based) and the candidate's share in percent. */
  step: number;
  percent: number;
  stepStartedAt: number;
  now: number;
  stable: WindowStats;
  candidate: WindowStats;
  /** The rule's stored `params`. */
  params: Record<string, unknown>;
}

/** A check's answer: pass, fail (with why), or not enough data yet. */
export interface CheckVerdict {
  pass: boolean;
  reason?: string;
  /** Not enough data to judge: the step does not advance, nothing is rolled back. */
  insufficient?: boolean;
}

/** A named canary check: `true` or `{ pass: true }` passes; `false` or `{ pass: false }` rolls back. */
export type CanaryCheck = (context: CanaryCheckContext) => boolean | CheckVerdict | Promise<boolean | CheckVerdict>;

/** Options of `ws.online.canary`. */
export interface CanaryOptions extends StartOptions {
  /** The version serving today, e.g. `churn@champion`. */
  stable: string;
  /** The version being rolled out, e.g. `churn@4`. */
  candidate: string;
  /** The candidate's share at each step, in percent, increasing (default `[5, 25, 50, 100]`). */
  steps?: number[];
  /** How long each step runs before the next, in ms: one value for every step, or one per step. */
  bakeMs: number | number[];
  /** Checked at every tick; the first that fails rolls the canary back. */
  rules?: CanaryRule[];
  /**
   * The alias moved to the candidate's version when the ramp completes (default: the stable
   * reference's alias, e.g. `churn@champion` → champion); `false`: complete without moving anything.
   */
  promote?: { model: string; alias: string } | false;
  /** Calls the candidate needs in a step before it may advance (default 0). */
  minCallsPerStep?: number;
}

/** Options of `ws.online.shadow`. */
export interface ShadowOptions extends StartOptions {
  /** The version that answers. */
  primary: string;
  /** The version that gets a copy of the calls; its answers are logged and compared, never returned. */
  shadow: string;
  /** Share of calls copied to the shadow, 0 … 1 (default 1). */
  sample?: number;
  /** Longest wait for the shadow's answer before it counts as a timeout, in ms (default 5,000). */
  timeoutMs?: number;
  /**
   * Shadow copies pending at most — running, or waiting for the caller's turn of the event loop to
   * end — beyond which copies are skipped and counted (default 1,000): a slow shadow holds memory
   * for this many calls at most.
   */
  maxInFlight?: number;
  /**
   * How answers are compared: `labels` (agreement rate of equal values), `numbers` (mean absolute
   * difference), or `auto` (numbers when both answers are numeric, labels otherwise; default).
   */
  compare?: "auto" | "labels" | "numbers";
}

/** One arm of a bandit. */
export interface BanditArm {
  name: string;
  ref: string;
}

/** Options of `ws.online.bandit`. */
export interface BanditOptions extends StartOptions {
  /** The arms (at least 2), starting with equal weights. */
  arms: BanditArm[];
  /** `binary`: rewards are 0 or 1 (Beta posterior); `continuous`: any number (Normal posterior). */
  reward: RewardKind;
  /** The metric holding the reward (default `outcome`: feedback outcomes). */
  metric?: string;
  /** Rewards every arm needs before the first reweighting (default 100). */
  minSamples?: number;
  /** Time between reweightings, in ms (default 60,000). */
  intervalMs?: number;
  /** Least share of traffic each arm keeps (default 0.01; at most 1 / arms). */
  floor?: number;
  /** Posterior draws per reweighting (default 10,000). */
  draws?: number;
  /** Seed of the posterior draws, for reproducible weights (default random). */
  seed?: number;
}

/** Options of `ws.online.open`: this process's settings for a stored experiment. */
export type OpenOptions = RoutingOptions;

/** Feedback through an experiment: a serving feedback plus, optionally, a CUPED covariate and a metric name. */
export interface OnlineFeedback extends Feedback {
  /** The unit's pre-period value of the metric, for CUPED. */
  covariate?: number;
  /** The metric the outcome is added to (default `outcome`). */
  metric?: string;
}

/** An outcome recorded directly (not tied to a prediction), by unit or by variant. */
export interface OutcomeRecord {
  /** The unit: its variant is its assignment now. Give this or `variant`. */
  unit?: string;
  /** The variant, when known. */
  variant?: string;
  metric: string;
  value: number;
  /** The unit's pre-period value, for CUPED. */
  covariate?: number;
}

/** The result of one rule at a tick. */
export interface RuleResult {
  /** `error_rate`, `latency`, `metric:<name>` or `check:<name>`. */
  rule: string;
  status: "pass" | "fail" | "insufficient" | "unavailable";
  reason: string;
  /** The value the rule looked at, when it has one. */
  observed?: number;
}

/** What a tick did. */
export interface TickResult {
  experiment: string;
  /**
   * `none` (not running, or not due), `held` (not advanced: bake time, samples or an insufficient
   * rule), `advanced`, `rolled_back`, `promoted`, `promotion_refused`, `reweighted`.
   */
  action: "none" | "held" | "advanced" | "rolled_back" | "promoted" | "promotion_refused" | "reweighted";
  reason: string;
  /** A canary's step (0-based) and percent after the tick. */
  step?: number;
  percent?: number;
  /** A canary's rules at this tick. */
  rules?: RuleResult[];
  /** The weights after the tick (a bandit's, or a canary's). */
  weights?: Record<string, number>;
}

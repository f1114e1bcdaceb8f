import type { MlcycleErrorCode } from "../core/errors.js";
import type { OnlineExperimentKind } from "../stores/online-experiment-store.js";

/** Payload of `online.started`: an experiment was created and its routed deployment is ready. */
export interface OnlineStartedEvent {
  experiment: string;
  kind: OnlineExperimentKind;
  /** The routed deployment's name. */
  deployment: string;
  variants: Array<{ name: string; ref: string; weight: number }>;
  at: number;
}

/** Payload of `online.weights_changed`: the traffic split changed (by hand, a bandit, or a canary step). */
export interface OnlineWeightsChangedEvent {
  experiment: string;
  /** Variant → share of traffic, summing to 1. */
  weights: Record<string, number>;
  reason: string;
  at: number;
}

/** Payload of `online.canary.advanced`: a canary moved to its next step. */
export interface OnlineCanaryAdvancedEvent {
  experiment: string;
  /** The step now running (0-based) and the candidate's share of traffic in percent. */
  step: number;
  percent: number;
  at: number;
}

/** Payload of `online.rolled_back`: a canary stopped and every call went back to the stable version. */
export interface OnlineRolledBackEvent {
  experiment: string;
  step: number;
  percent: number;
  /** The rule that fired (`error_rate`, `latency`, `metric`, `check:<name>`), or `manual`. */
  rule: string;
  reason: string;
  at: number;
}

/** Payload of `online.promoted`: a canary completed its ramp and the alias moved to the candidate. */
export interface OnlinePromotedEvent {
  experiment: string;
  model: string;
  alias: string;
  /** The version the alias pointed at before, when it pointed somewhere. */
  from?: number;
  to: number;
  at: number;
}

/**
 * Payload of `online.promotion_refused`: a canary completed its ramp but the registry refused to move
 * the alias (a policy or gate); the canary holds at its last step until `ws.online.promote` succeeds.
 */
export interface OnlinePromotionRefusedEvent {
  experiment: string;
  model: string;
  alias: string;
  version: number;
  code: MlcycleErrorCode;
  error: string;
  at: number;
}

/** Payload of `online.stopped`: an experiment stopped; its routed deployment serves its first variant. */
export interface OnlineStoppedEvent {
  experiment: string;
  reason: string;
  at: number;
}

/** Payload of `online.tick_failed`: a scheduled check of a canary or bandit failed (it is retried at the next tick). */
export interface OnlineTickFailedEvent {
  experiment: string;
  code: MlcycleErrorCode;
  error: string;
  at: number;
}

/** Events of `ws.online` on `ws.events`. */
export interface OnlineExperimentEvents {
  /** An experiment started. */
  "online.started": OnlineStartedEvent;
  /** Its traffic split changed. */
  "online.weights_changed": OnlineWeightsChangedEvent;
  /** A canary moved to its next step. */
  "online.canary.advanced": OnlineCanaryAdvancedEvent;
  /** A canary was rolled back. */
  "online.rolled_back": OnlineRolledBackEvent;
  /** A canary was promoted: the alias moved. */
  "online.promoted": OnlinePromotedEvent;
  /** The registry refused a canary's promotion. */
  "online.promotion_refused": OnlinePromotionRefusedEvent;
  /** An experiment was stopped. */
  "online.stopped": OnlineStoppedEvent;
  /** A scheduled tick failed. */
  "online.tick_failed": OnlineTickFailedEvent;
}

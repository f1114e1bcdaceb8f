import type { AggregateSums, VariantAggregateRecord } from "../stores/online-experiment-store.js";
import { PRIMARY } from "./experiment-records.js";
import { SHADOW_VARIANT } from "./routed-deployment.js";

/** How a shadow compares with its primary, from the experiment's aggregates. */
export interface ShadowReport {
  experiment: string;
  /** Calls the primary answered. */
  primaryCalls: number;
  /** Copies sent to the shadow, and copies skipped because `maxInFlight` shadow calls were running. */
  copies: number;
  skipped: number;
  /** Copies the shadow answered, failed (errors and timeouts) and timed out. */
  answered: number;
  failed: number;
  timeouts: number;
  /** Share of compared values on which the answers agree, and how many values were compared. */
  agreementRate: number;
  compared: number;
  /** Mean |primary − shadow| over numeric values (NaN when the answers are not numeric), and how many. */
  meanAbsoluteDifference: number;
  numericCompared: number;
  /** Mean latency of each side, ms. */
  latencyMs: { primary: number; shadow: number };
}

/** The shadow comparison of a shadow experiment's aggregates. */
export function shadowReport(experiment: string, rows: readonly VariantAggregateRecord[]): ShadowReport {
  const get = (variant: string, metric: string): AggregateSums | undefined =>
    rows.find((r) => r.variant === variant && r.metric === metric)?.sums;
  const n = (variant: string, metric: string) => get(variant, metric)?.n ?? 0;
  const sum = (variant: string, metric: string) => get(variant, metric)?.sum ?? 0;
  const mean = (variant: string, metric: string) => {
    const s = get(variant, metric);
    return s && s.n > 0 ? s.sum / s.n : Number.NaN;
  };
  return {
    experiment,
    primaryCalls: n(PRIMARY, "exposures"),
    copies: n(SHADOW_VARIANT, "exposures"),
    skipped: n(SHADOW_VARIANT, "skipped"),
    answered: n(SHADOW_VARIANT, "latency_ms"),
    failed: sum(SHADOW_VARIANT, "errors"),
    timeouts: sum(SHADOW_VARIANT, "timeouts"),
    agreementRate: mean(SHADOW_VARIANT, "agreement"),
    compared: n(SHADOW_VARIANT, "agreement"),
    meanAbsoluteDifference: mean(SHADOW_VARIANT, "abs_diff"),
    numericCompared: n(SHADOW_VARIANT, "abs_diff"),
    latencyMs: { primary: mean(PRIMARY, "latency_ms"), shadow: mean(SHADOW_VARIANT, "latency_ms") },
  };
}

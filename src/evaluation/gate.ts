import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";

/**
 * One rule of a {@link Gate} on one metric, with the meaning of MLflow's `MetricThreshold`.
 *
 * With `greaterIsBetter` (the default) a value passes when it is ≥ `threshold`, ≥ `baseline +
 * minAbsoluteChange` and ≥ `baseline × (1 + minRelativeChange)`; with `greaterIsBetter: false` the
 * rule is mirrored: ≤ `threshold`, ≤ `baseline − minAbsoluteChange`, ≤ `baseline × (1 − minRelativeChange)`.
 * At least one of the three limits must be set. Bounds are compared with a 1e-12 relative slack so
 * that float rounding (0.8 + 0.05 = 0.8500000000000001) does not fail a value that reaches them.
 *
 * @example
 * ```ts
 * const rule: MetricThreshold = { metric: "f1_score", threshold: 0.8, minRelativeChange: 0.01 };
 * ```
 */
export interface MetricThreshold {
  /** Metric name, as in the candidate's metric record (e.g. `accuracy_score`). */
  metric: string;
  /** Absolute bound the value must reach (≥ when greater is better, ≤ otherwise). */
  threshold?: number;
  /** Minimum improvement over the baseline, in the metric's unit (≥ 0). Needs a baseline. */
  minAbsoluteChange?: number;
  /** Minimum improvement over the baseline as a fraction of it, in [0, 1]. Needs a baseline. */
  minRelativeChange?: number;
  /** Whether a larger value is better. Default `true`. */
  greaterIsBetter?: boolean /* default true */;
}

/**
 * A named set of {@link MetricThreshold}s a candidate must all pass (e.g. before an alias moves).
 *
 * @example
 * ```ts
 * const gate: Gate = { name: "beats-champion", thresholds: [{ metric: "accuracy_score", minAbsoluteChange: 0.01 }] };
 * ```
 */
export interface Gate {
  name: string;
  thresholds: MetricThreshold[];
}

/** The outcome of one {@link MetricThreshold}: `reasons` says why it failed (empty when it passed). */
export interface GateCheckResult {
  metric: string;
  /** The candidate's value, when it had one. */
  value?: number;
  /** The baseline's value, when a baseline with that metric was given. */
  baseline?: number;
  passed: boolean;
  /** One line per failed condition, for a person; empty when `passed`. */
  reasons: string[];
}

/** The outcome of {@link checkGate}: `passed` is true when every check passed. */
export interface GateResult {
  gate: Gate;
  passed: boolean;
  checks: GateCheckResult[];
  candidate: Record<string, number>;
  baseline?: Record<string, number>;
}

// zod 4 numbers reject NaN and ±Infinity.
const finite = z.number();

const metricThresholdSchema = z
  .strictObject({
    metric: z.string().min(1, "must not be empty"),
    threshold: finite.optional(),
    minAbsoluteChange: finite.min(0, "must be ≥ 0").optional(),
    minRelativeChange: finite.min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").optional(),
    greaterIsBetter: z.boolean().optional(),
  })
  .refine((t) => t.threshold !== undefined || t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined, {
    message: "needs at least one of threshold, minAbsoluteChange, minRelativeChange",
  });

/** zod schema of a {@link Gate}, as {@link checkGate} validates it. */
export const gateSchema = z.strictObject({
  name: z.string().min(1, "must not be empty"),
  thresholds: z.array(metricThresholdSchema).min(1, "must list at least one metric threshold"),
});

/** Validates a gate; throws `VALIDATION` with zod's issues when it is malformed. */
export function parseGate(gate: unknown): Gate {
  const parsed = gateSchema.safeParse(gate);
  if (!parsed.success) throw fromZodError(parsed.error, "gate");
  return parsed.data;
}

function checkMetricRecord(what: string, value: unknown): Record<string, number> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalid([what], "must be a record of metric name → number");
  return value as Record<string, number>;
}

/** Relative slack when comparing a value with a bound, so float rounding of `baseline + change` does not fail a gate. */
const BOUND_TOLERANCE = 1e-12;

function isNumber(v: unknown): v is number {
  return typeof v === "number" && !Number.isNaN(v);
}

function checkOne(t: MetricThreshold, candidate: Record<string, number>, baseline?: Record<string, number>) {
  const greater = t.greaterIsBetter ?? true;
  const reasons: string[] = [];
  const raw = Object.hasOwn(candidate, t.metric) ? candidate[t.metric] : undefined;
  const result: GateCheckResult = { metric: t.metric, passed: false, reasons };
  if (raw === undefined) {
    reasons.push(`candidate has no metric '${t.metric}'`);
    return result;
  }
  if (!isNumber(raw)) {
    reasons.push(`candidate's '${t.metric}' is ${typeof raw === "number" ? "NaN" : typeof raw}, not a number`);
    return result;
  }
  const value = raw;
  result.value = value;
  const cmp = greater ? ">=" : "<=";
  const ok = (a: number, b: number) => {
    // Within a few ulps counts as reaching the bound: 0.8 + 0.05 is 0.8500000000000001 in float64.
    const slack = BOUND_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
    return greater ? a >= b - slack : a <= b + slack;
  };

  if (t.threshold !== undefined && !ok(value, t.threshold))
    reasons.push(`${t.metric} = ${value} is not ${cmp} threshold ${t.threshold}`);

  const needsBaseline = t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined;
  if (needsBaseline) {
    const rawBase = baseline && Object.hasOwn(baseline, t.metric) ? baseline[t.metric] : undefined;
    if (baseline === undefined) {
      reasons.push(`${t.metric}: a minimum change is required but no baseline was given`);
    } else if (rawBase === undefined) {
      reasons.push(`${t.metric}: a minimum change is required but the baseline has no metric '${t.metric}'`);
    } else if (!isNumber(rawBase)) {
      reasons.push(`${t.metric}: the baseline's value is ${typeof rawBase === "number" ? "NaN" : typeof rawBase}`);
    } else {
      result.baseline = rawBase;
      if (t.minAbsoluteChange !== undefined) {
        const bound = greater ? rawBase + t.minAbsoluteChange : rawBase - t.minAbsoluteChange;
        if (!ok(value, bound))
          reasons.push(
            `${t.metric} = ${value} is not ${cmp} ${bound} (baseline ${rawBase} ${greater ? "+" : "−"} min absolute change ${t.minAbsoluteChange})`,
          );
      }
      if (t.minRelativeChange !== undefined) {
        const bound = greater ? rawBase * (1 + t.minRelativeChange) : rawBase * (1 - t.minRelativeChange);
        if (!ok(value, bound))
          reasons.push(
            `${t.metric} = ${value} is not ${cmp} ${bound} (baseline ${rawBase} × (1 ${greater ? "+" : "−"} min relative change ${t.minRelativeChange}))`,
          );
      }
    }
  }
  result.passed = reasons.length === 0;
  return result;
}

/**
 * Checks a candidate's metrics (and optionally a baseline's, e.g. the current champion's) against a
 * gate. Never throws for a failing metric: a missing or NaN metric, or a change requirement with no
 * baseline, fails its check with a reason. Throws `VALIDATION` when the gate itself is malformed.
 *
 * @example
 * ```ts
 * const r = checkGate(
 *   { name: "promote", thresholds: [{ metric: "rmse", threshold: 50, minRelativeChange: 0.02, greaterIsBetter: false }] },
 *   { rmse: 45 },
 *   { rmse: 47 },
 * );
 * r.passed; // true: 45 ≤ 50 and 45 ≤ 47 × 0.98
 * ```
 */
export function checkGate(
  gate: Gate,
  candidate: Record<string, number>,
  baseline?: Record<string, number>,
): GateResult {
  const g = parseGate(gate);
  const cand = checkMetricRecord("candidate", candidate);
  const base = baseline === undefined ? undefined : checkMetricRecord("baseline", baseline);
  const checks = g.thresholds.map((t) => checkOne(t, cand, base));
  const result: GateResult = {
    gate: g,
    passed: checks.every((c) => c.passed),
    checks,
    candidate: { ...cand },
  };
  if (base !== undefined) result.baseline = { ...base };
  return result;
}

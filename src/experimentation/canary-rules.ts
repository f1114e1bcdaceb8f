import type { AggregateSums, VariantAggregateRecord } from "../stores/online-experiment-store.js";
import type {
  CanaryCheck,
  CanaryCheckContext,
  CanaryRule,
  CheckVerdict,
  RuleResult,
  WindowStats,
} from "./online-types.js";

/** Aggregates as JSON: variant → metric → sums (what a canary stores as the start of its step). */
export type AggregateTable = Record<string, Record<string, AggregateSums>>;

/** The stored aggregate rows as a table. */
export function aggregateTable(rows: readonly VariantAggregateRecord[]): AggregateTable {
  const table: AggregateTable = {};
  for (const r of rows) (table[r.variant] ??= {})[r.metric] = { ...r.sums };
  return table;
}

const NO_SUMS: AggregateSums = { n: 0, sum: 0, sumSquares: 0, covariateSum: 0, covariateSumSquares: 0, productSum: 0 };

function minus(a: AggregateSums | undefined, b: AggregateSums | undefined): AggregateSums {
  const x = a ?? NO_SUMS;
  const y = b ?? NO_SUMS;
  return {
    n: x.n - y.n,
    sum: x.sum - y.sum,
    sumSquares: x.sumSquares - y.sumSquares,
    covariateSum: x.covariateSum - y.covariateSum,
    covariateSumSquares: x.covariateSumSquares - y.covariateSumSquares,
    productSum: x.productSum - y.productSum,
  };
}

/** Metrics the routing writes itself (not metrics from feedback). */
const ROUTING_METRICS = new Set(["exposures", "errors", "latency_ms", "expected_exposures"]);

/**
 * One variant's numbers in a window: what the aggregates hold now minus what they held when the
 * window (the canary's step) began.
 */
export function windowStats(now: AggregateTable, start: AggregateTable, variant: string): WindowStats {
  const cur = now[variant] ?? {};
  const base = start[variant] ?? {};
  const errors = minus(cur.errors, base.errors);
  const latency = minus(cur.latency_ms, base.latency_ms);
  const metrics: WindowStats["metrics"] = {};
  for (const metric of Object.keys(cur)) {
    if (ROUTING_METRICS.has(metric)) continue;
    const d = minus(cur[metric], base[metric]);
    metrics[metric] = { n: d.n, mean: d.n > 0 ? d.sum / d.n : Number.NaN };
  }
  return {
    calls: errors.n,
    errors: errors.sum,
    errorRate: errors.n > 0 ? errors.sum / errors.n : 0,
    meanLatencyMs: latency.n > 0 ? latency.sum / latency.n : Number.NaN,
    metrics,
  };
}

/** A rule's name in results and events: `error_rate`, `latency`, `metric:<name>`, `check:<name>`. */
export function ruleName(rule: CanaryRule): string {
  switch (rule.kind) {
    case "metric":
      return `metric:${rule.metric}`;
    case "check":
      return `check:${rule.name}`;
    default:
      return rule.kind;
  }
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

/**
 * Evaluates the rules on the current step's window, in order. A rule without enough data is
 * `insufficient` (the step holds); a named check that is not available in this process, or that
 * throws, is `unavailable` (the step holds too: an unchecked rule never lets a canary advance).
 */
export async function evaluateRules(
  rules: readonly CanaryRule[],
  context: Omit<CanaryCheckContext, "params">,
  findCheck: (name: string) => CanaryCheck | undefined,
): Promise<RuleResult[]> {
  const results: RuleResult[] = [];
  const cand = context.candidate;
  for (const rule of rules) {
    const name = ruleName(rule);
    switch (rule.kind) {
      case "error_rate": {
        const min = rule.minCalls ?? 1;
        if (cand.calls < min) {
          results.push({ rule: name, status: "insufficient", reason: `${cand.calls} of ${min} calls` });
        } else {
          const fail = cand.errorRate > rule.max;
          results.push({
            rule: name,
            status: fail ? "fail" : "pass",
            reason: `error rate ${fmt(cand.errorRate)} ${fail ? ">" : "≤"} ${fmt(rule.max)} over ${cand.calls} calls`,
            observed: cand.errorRate,
          });
        }
        break;
      }
      case "latency": {
        const min = rule.minCalls ?? 1;
        const answered = cand.calls - cand.errors;
        if (answered < min || !Number.isFinite(cand.meanLatencyMs)) {
          results.push({ rule: name, status: "insufficient", reason: `${answered} of ${min} answered calls` });
        } else {
          const fail = cand.meanLatencyMs > rule.maxMeanMs;
          results.push({
            rule: name,
            status: fail ? "fail" : "pass",
            reason: `mean latency ${fmt(cand.meanLatencyMs)} ms ${fail ? ">" : "≤"} ${fmt(rule.maxMeanMs)} ms over ${answered} calls`,
            observed: cand.meanLatencyMs,
          });
        }
        break;
      }
      case "metric":
        results.push(metricRule(rule, context, name));
        break;
      case "check":
        results.push(await checkRule(rule, context, name, findCheck));
        break;
    }
  }
  return results;
}

function metricRule(
  rule: Extract<CanaryRule, { kind: "metric" }>,
  context: Omit<CanaryCheckContext, "params">,
  name: string,
): RuleResult {
  const min = rule.minSamples ?? 1;
  const cand = context.candidate.metrics[rule.metric] ?? { n: 0, mean: Number.NaN };
  if (cand.n < min) return { rule: name, status: "insufficient", reason: `${cand.n} of ${min} values` };
  if (rule.min !== undefined && cand.mean < rule.min)
    return { rule: name, status: "fail", reason: `mean ${fmt(cand.mean)} < ${fmt(rule.min)}`, observed: cand.mean };
  if (rule.max !== undefined && cand.mean > rule.max)
    return { rule: name, status: "fail", reason: `mean ${fmt(cand.mean)} > ${fmt(rule.max)}`, observed: cand.mean };
  if (rule.maxDropFromStable !== undefined) {
    const stable = context.stable.metrics[rule.metric] ?? { n: 0, mean: Number.NaN };
    if (stable.n < min) return { rule: name, status: "insufficient", reason: `stable: ${stable.n} of ${min} values` };
    const drop = stable.mean - cand.mean;
    if (drop > rule.maxDropFromStable)
      return {
        rule: name,
        status: "fail",
        reason: `mean ${fmt(cand.mean)} is ${fmt(drop)} below stable's ${fmt(stable.mean)} (at most ${fmt(rule.maxDropFromStable)})`,
        observed: cand.mean,
      };
  }
  return { rule: name, status: "pass", reason: `mean ${fmt(cand.mean)} over ${cand.n} values`, observed: cand.mean };
}

async function checkRule(
  rule: Extract<CanaryRule, { kind: "check" }>,
  context: Omit<CanaryCheckContext, "params">,
  name: string,
  findCheck: (name: string) => CanaryCheck | undefined,
): Promise<RuleResult> {
  const check = findCheck(rule.name);
  if (!check)
    return {
      rule: name,
      status: "unavailable",
      reason: `no check named '${rule.name}' in this process: give it in { checks } or ws.online.registerCheck`,
    };
  let verdict: boolean | CheckVerdict;
  try {
    verdict = await check({ ...context, params: rule.params ?? {} });
  } catch (error) {
    return {
      rule: name,
      status: "unavailable",
      reason: `the check threw: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const v: CheckVerdict = typeof verdict === "boolean" ? { pass: verdict } : verdict;
  if (v.insufficient) return { rule: name, status: "insufficient", reason: v.reason ?? "not enough data" };
  return { rule: name, status: v.pass ? "pass" : "fail", reason: v.reason ?? (v.pass ? "passed" : "failed") };
}

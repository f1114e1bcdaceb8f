import { invalid, MlcycleError, notFound } from "../core/errors.js";
import type {
  AggregateSums,
  OnlineExperimentRecord,
  VariantAggregateRecord,
} from "../stores/online-experiment-store.js";
import { type BayesianLiftResult, bayesianLift } from "./statistics/bayesian-lift.js";
import { type ConfidenceSequenceResult, confidenceSequence } from "./statistics/confidence-sequence.js";
import { cupedTest } from "./statistics/cuped.js";
import type { LiftEstimate } from "./statistics/lift.js";
import { MetricAggregate } from "./statistics/metric-aggregate.js";
import { type SampleRatioMismatchResult, sampleRatioMismatch } from "./statistics/sample-ratio-mismatch.js";
import { twoProportionZTest } from "./statistics/two-proportion-z-test.js";
import { welchTTest } from "./statistics/welch-t-test.js";

/** Options of `ws.online.analyze`. */
export interface AnalyzeOptions {
  /** The metric to compare (`outcome` for feedback outcomes, `errors`, `latency_ms`, one given to `record`…). */
  metric: string;
  /** `mean`: Welch t-test on the means; `proportion`: two-proportion z-test (values must be 0 or 1). */
  type: "mean" | "proportion";
  /** The variant the others are compared with (default: the first — control, stable, primary). */
  control?: string;
  /** Significance level, strictly between 0 and 1 (default 0.05). */
  alpha?: number;
  /**
   * Add always-valid confidence sequences (GrowthBook's asymptotic confidence sequences), safe to
   * look at after every unit: `true`, or `{ tuning }` — the sample size N* at which they are
   * tightest (default 5,000).
   */
  sequential?: boolean | { tuning?: number };
  /**
   * CUPED with the pre-period covariate recorded with the outcomes (`feedback(id, { outcome,
   * covariate })`): `true` requires it, `false` never uses it, default: used when recorded (means only).
   */
  covariate?: boolean;
  /** Lower is better (latency, churn, errors): chance to beat control and the losses are mirrored. */
  inverse?: boolean;
}

/** One variant's numbers for the metric. */
export interface VariantSummary {
  variant: string;
  /** Values of the metric (units, or predictions with an outcome). */
  n: number;
  mean: number;
  /** Unbiased variance (NaN below 2 values). */
  variance: number;
  /** Calls routed to it (the `exposures` metric). */
  exposures: number;
}

/** One variant against the control. */
export interface VariantComparison {
  variant: string;
  /** `welch`, `cuped` (Welch on CUPED-adjusted values) or `two_proportion_z`. */
  test: "welch" | "cuped" | "two_proportion_z";
  statistic: number;
  /** Welch–Satterthwaite degrees of freedom (t-tests). */
  df?: number;
  /** Two-sided p-value. */
  pValue: number;
  /** p < alpha. */
  significant: boolean;
  /** treatment − control, with its 1 − alpha interval. */
  absolute: LiftEstimate;
  /** (treatment − control) / control (delta method); null when the control's mean is 0. */
  relative: LiftEstimate | null;
  /** Always-valid confidence sequences of the lifts, when `sequential` was asked. */
  sequential?: { absolute: ConfidenceSequenceResult; relative: ConfidenceSequenceResult | null };
  /** Chance to beat control and expected loss, on the relative lift (the absolute one when there is none). */
  bayesian: BayesianLiftResult & { scale: "relative" | "absolute" };
  /** CUPED's θ and the share of variance it removed, when it was applied. */
  cuped?: { theta: number; varianceReduction: number };
}

/** What `ws.online.analyze` reports. */
export interface OnlineAnalysis {
  experiment: string;
  kind: OnlineExperimentRecord["kind"];
  status: OnlineExperimentRecord["status"];
  metric: string;
  type: AnalyzeOptions["type"];
  alpha: number;
  control: string;
  variants: VariantSummary[];
  /**
   * Sample-ratio-mismatch check of the calls routed per variant against the weights each call was
   * routed under (chi-square, flagged at p < 0.001). Absent with fewer than two routed variants.
   */
  srm?: SampleRatioMismatchResult & { variants: string[]; observed: number[] };
  comparisons: VariantComparison[];
  /** Variants left out of the comparisons, and why. */
  notes: string[];
}

const NONE: AggregateSums = { n: 0, sum: 0, sumSquares: 0, covariateSum: 0, covariateSumSquares: 0, productSum: 0 };

/**
 * The analysis of one metric from an experiment's stored aggregates (sums, never rows): each
 * variant against the control by Welch's t-test or the two-proportion z-test, with intervals of the
 * absolute and relative lift, CUPED when a covariate was recorded, always-valid confidence
 * sequences when asked, the Bayesian chance to beat control and expected loss, and the
 * sample-ratio-mismatch check. Every number is what the functions of `mlcycle`'s statistics give on
 * the same sums.
 */
export function analyzeAggregates(
  record: OnlineExperimentRecord,
  rows: readonly VariantAggregateRecord[],
  options: AnalyzeOptions,
): OnlineAnalysis {
  const { metric, type } = options;
  if (type !== "mean" && type !== "proportion")
    throw invalid(["type"], `must be "mean" or "proportion", got ${String(type)}`);
  const alpha = options.alpha ?? 0.05;
  const byVariant = new Map<string, Map<string, AggregateSums>>();
  for (const r of rows) {
    let m = byVariant.get(r.variant);
    if (!m) byVariant.set(r.variant, (m = new Map()));
    m.set(r.metric, r.sums);
  }
  const names = record.variants.map((v) => v.name);
  const control = options.control ?? names[0];
  if (!names.includes(control))
    throw notFound("variant", control, `experiment '${record.name}' has ${names.join(", ")}`);
  const sums = (v: string) => byVariant.get(v)?.get(metric) ?? NONE;
  if (names.every((v) => sums(v).n === 0))
    throw new MlcycleError("PRECONDITION", `experiment '${record.name}' has no values of metric '${metric}' yet`, {
      details: { experiment: record.name, metric },
    });
  const variants: VariantSummary[] = names.map((v) => {
    const a = MetricAggregate.from(sums(v));
    return {
      variant: v,
      n: a.n,
      mean: a.mean,
      variance: a.variance,
      exposures: byVariant.get(v)?.get("exposures")?.n ?? 0,
    };
  });
  const notes: string[] = [];
  const c = sums(control);
  const comparisons: VariantComparison[] = [];
  const need = type === "proportion" ? 1 : 2;
  if (c.n < need) notes.push(`control '${control}' has ${c.n} values of '${metric}': nothing to compare with`);
  else
    for (const v of names) {
      if (v === control) continue;
      const t = sums(v);
      if (t.n < need) {
        notes.push(`'${v}' has ${t.n} values of '${metric}'`);
        continue;
      }
      comparisons.push(compare(v, c, t, options, alpha, record.name));
    }
  const srm = ratioCheck(record, byVariant);
  return {
    experiment: record.name,
    kind: record.kind,
    status: record.status,
    metric,
    type,
    alpha,
    control,
    variants,
    ...(srm ? { srm } : {}),
    comparisons,
    notes,
  };
}

function compare(
  variant: string,
  c: AggregateSums,
  t: AggregateSums,
  options: AnalyzeOptions,
  alpha: number,
  experiment: string,
): VariantComparison {
  let base: Omit<VariantComparison, "sequential" | "bayesian">;
  if (options.type === "proportion") {
    for (const [who, s] of [
      ["control", c],
      [variant, t],
    ] as const)
      if (s.sum < 0 || s.sum > s.n || Math.abs(s.sumSquares - s.sum) > 1e-9 * Math.max(1, s.sum))
        throw invalid(
          ["type"],
          `metric '${options.metric}' of '${who}' is not a proportion (its values are not all 0 or 1): analyse it with type "mean"`,
        );
    const r = twoProportionZTest({ successes: c.sum, trials: c.n }, { successes: t.sum, trials: t.n }, { alpha });
    base = {
      variant,
      test: "two_proportion_z",
      statistic: r.statistic,
      pValue: r.pValue,
      significant: r.pValue < alpha,
      absolute: r.absolute,
      relative: r.relative,
    };
  } else {
    const recorded = c.covariateSumSquares > 0 && t.covariateSumSquares > 0;
    if (options.covariate === true && !recorded)
      throw new MlcycleError(
        "PRECONDITION",
        `experiment '${experiment}' has no covariate recorded with '${options.metric}': give { covariate } with the outcomes`,
        { details: { experiment, metric: options.metric } },
      );
    if (recorded && options.covariate !== false) {
      const r = cupedTest(c, t, { alpha });
      base = {
        variant,
        test: "cuped",
        statistic: r.statistic,
        df: r.df,
        pValue: r.pValue,
        significant: r.pValue < alpha,
        absolute: r.absolute,
        relative: r.relative,
        cuped: { theta: r.theta, varianceReduction: r.varianceReduction },
      };
    } else {
      const r = welchTTest(MetricAggregate.from(c), MetricAggregate.from(t), { alpha });
      base = {
        variant,
        test: "welch",
        statistic: r.statistic,
        df: r.df,
        pValue: r.pValue,
        significant: r.pValue < alpha,
        absolute: r.absolute,
        relative: r.relative,
      };
    }
  }
  const scale = base.relative ? "relative" : "absolute";
  const bayesian = {
    ...bayesianLift(base.relative ?? base.absolute, { alpha, ...(options.inverse ? { inverse: true } : {}) }),
    scale,
  } as VariantComparison["bayesian"];
  const out: VariantComparison = { ...base, bayesian };
  if (options.sequential) {
    const tuning = typeof options.sequential === "object" ? options.sequential.tuning : undefined;
    const seqOptions = { alpha, ...(tuning !== undefined ? { tuningParameter: tuning } : {}) };
    const n = c.n + t.n;
    out.sequential = {
      absolute: confidenceSequence(base.absolute, n, seqOptions),
      relative: base.relative ? confidenceSequence(base.relative, n, seqOptions) : null,
    };
  }
  return out;
}

/** The SRM check over the routed variants: calls observed against calls expected under the weights of each period. */
function ratioCheck(
  record: OnlineExperimentRecord,
  byVariant: Map<string, Map<string, AggregateSums>>,
): OnlineAnalysis["srm"] | undefined {
  if (record.kind === "shadow") return undefined;
  const variants: string[] = [];
  const observed: number[] = [];
  const expected: number[] = [];
  for (const v of record.variants) {
    const o = byVariant.get(v.name)?.get("exposures")?.n ?? 0;
    const e = byVariant.get(v.name)?.get("expected_exposures")?.sum ?? 0;
    if (o === 0 && e === 0) continue;
    variants.push(v.name);
    observed.push(o);
    expected.push(e);
  }
  if (variants.length < 2 || expected.reduce((s, x) => s + x, 0) <= 0) return undefined;
  return { ...sampleRatioMismatch(observed, expected), variants, observed };
}

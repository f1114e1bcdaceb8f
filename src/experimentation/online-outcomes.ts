import { invalid, MlcycleError, notFound } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import type { OnlineExperimentStore } from "../stores/online-experiment-store.js";
import type { BanditConfig } from "./bandit-schedule.js";
import { saltState } from "./bucket-hash.js";
import { checkLayout } from "./bucket-layout.js";
import { BucketRouter } from "./bucket-router.js";
import { routedVariants } from "./experiment-records.js";
import { readExperiment } from "./experiment-writer.js";
import type { OnlineServing } from "./online-options.js";
import type { OnlineFeedback, OutcomeRecord } from "./online-types.js";
import { PendingAggregates } from "./pending-aggregates.js";
import type { RoutedDeployment } from "./routed-deployment.js";

/** Metrics the routing writes: outcomes cannot be recorded under these names. */
const ROUTING_METRICS = new Set(["exposures", "errors", "latency_ms", "expected_exposures"]);

/** What {@link OutcomeRecorder} uses: the store, serving's log, and the routed deployments open here. */
export interface OutcomeRecorderDeps {
  store: OnlineExperimentStore;
  serving: OnlineServing;
  random: () => number;
  /** The routed deployment of an experiment open in this workspace. */
  routed(name: string): RoutedDeployment | undefined;
}

/**
 * Outcomes of online experiments: feedback on routed predictions (found by prediction id through the
 * prediction log) and outcomes recorded by unit or variant, summed per (experiment, variant, metric)
 * in this process and added to the store in batches.
 */
export class OutcomeRecorder {
  /** Sums waiting per experiment. */
  readonly pendings = new Map<string, PendingAggregates>();
  private readonly checkedMetrics = new Set<string>();

  constructor(private readonly deps: OutcomeRecorderDeps) {}

  /** The sums waiting for an experiment (created empty). */
  pendingFor(name: string): PendingAggregates {
    let p = this.pendings.get(name);
    if (!p) this.pendings.set(name, (p = new PendingAggregates()));
    return p;
  }

  /**
   * See `OnlineExperiments.feedback`; `expected` is the experiment the caller serves (a routed
   * deployment's own feedback), refused when the prediction is another's.
   */
  async feedback(predictionId: string, feedback: OnlineFeedback, expected?: string): Promise<void> {
    checkName("predictionId", predictionId);
    if (typeof feedback !== "object" || feedback === null || Array.isArray(feedback))
      throw invalid(["feedback"], "must be an object with a label, an outcome, or both");
    const { covariate, metric = "outcome", ...logged } = feedback;
    this.checkOutcome(metric, logged.outcome, covariate);
    // Rows still buffered by a deployment are written first, so feedback to a fresh prediction finds it.
    await Promise.all(this.deps.serving.list().map((d) => d.flush()));
    const p = await this.deps.serving.getPrediction(predictionId);
    if (!p) throw notFound("prediction", predictionId, "it is not in the prediction log");
    const variant = p.variant;
    const suffix = variant === undefined ? "" : `/${variant}`;
    if (variant === undefined || !p.deployment.endsWith(suffix) || p.deployment.length === suffix.length)
      throw new MlcycleError(
        "PRECONDITION",
        `prediction '${predictionId}' was not served through an online experiment`,
        {
          details: { predictionId, deployment: p.deployment },
        },
      );
    const experiment = p.deployment.slice(0, -suffix.length);
    if (expected !== undefined && experiment !== expected)
      throw invalid(
        ["predictionId"],
        `prediction '${predictionId}' was served by experiment '${experiment}', not '${expected}'`,
      );
    const record = await readExperiment(this.deps.store, experiment);
    if (logged.outcome !== undefined) {
      if (p.feedback?.outcome !== undefined)
        throw new MlcycleError(
          "CONFLICT",
          `prediction '${predictionId}' already has an outcome (${p.feedback.outcome}): an experiment counts one outcome per prediction`,
          { details: { predictionId, experiment } },
        );
      if (record.kind === "bandit") {
        const config = record.config as unknown as BanditConfig;
        if (config.reward === "binary" && config.metric === metric && logged.outcome !== 0 && logged.outcome !== 1)
          throw invalid(
            ["feedback", "outcome"],
            `bandit '${experiment}' takes binary rewards: 0 or 1, got ${logged.outcome}`,
          );
      }
    }
    await this.deps.serving.feedback(predictionId, logged);
    if (logged.outcome !== undefined && record.status === "running")
      this.pendingFor(experiment).add(variant, metric, logged.outcome, covariate ?? 0);
  }

  /** See `OnlineExperiments.record`. */
  async record(name: string, outcome: OutcomeRecord): Promise<void> {
    if (typeof outcome !== "object" || outcome === null)
      throw invalid(["outcome"], "must be { unit | variant, metric, value }");
    const { unit, variant, metric, value, covariate } = outcome;
    this.checkOutcome(metric, value, covariate);
    if (value === undefined) throw invalid(["outcome", "value"], "is required");
    if (unit === undefined && variant === undefined) throw invalid(["outcome"], "needs a unit or a variant");
    if (unit !== undefined && typeof unit !== "string") throw invalid(["outcome", "unit"], "must be a string");
    const open = this.deps.routed(name);
    let target: string;
    if (open) {
      target = variant ?? open.assign(unit as string);
      if (!open.hasVariant(target)) throw invalid(["outcome", "variant"], `'${target}' is not a variant of '${name}'`);
    } else {
      // Not open here: the stored experiment says which variants there are and where the unit goes.
      const record = await readExperiment(this.deps.store, name);
      const names = routedVariants(record).map((v) => v.name);
      if (variant !== undefined) {
        if (!record.variants.some((v) => v.name === variant))
          throw invalid(["outcome", "variant"], `'${variant}' is not a variant of '${name}'`);
        target = variant;
      } else {
        const layout = checkLayout(record.state.layout, new Set(names));
        target = names[new BucketRouter(saltState(record.salt), layout, names).pick(unit, this.deps.random)];
      }
    }
    this.pendingFor(name).add(target, metric, value, covariate ?? 0);
  }

  private checkOutcome(metric: string, value: number | undefined, covariate: number | undefined): void {
    if (!this.checkedMetrics.has(metric)) {
      checkName("metric", metric);
      if (ROUTING_METRICS.has(metric))
        throw invalid(["metric"], `'${metric}' is written by the routing: record outcomes under another name`);
      this.checkedMetrics.add(metric);
    }
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value)))
      throw invalid(["outcome"], `must be a finite number, got ${String(value)}`);
    if (covariate !== undefined) {
      if (typeof covariate !== "number" || !Number.isFinite(covariate))
        throw invalid(["covariate"], `must be a finite number, got ${String(covariate)}`);
      if (value === undefined) throw invalid(["covariate"], "goes with an outcome");
    }
  }
}

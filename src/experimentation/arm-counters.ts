import type { DeploymentObserver, Prediction } from "../serving/deployment-types.js";

/**
 * One variant's calls since they were last added to the aggregates: routed (counted by the router),
 * answered with their latency, and failed (both told by the variant's deployment as each call
 * ends, without another promise step). It also stamps each answer with the experiment's name.
 */
export class ArmCounters implements DeploymentObserver {
  calls = 0;
  done = 0;
  failures = 0;
  latencySum = 0;
  latencySquares = 0;

  constructor(private readonly experiment: string) {}

  answered(prediction: Prediction): void {
    this.done++;
    this.latencySum += prediction.latencyMs;
    this.latencySquares += prediction.latencyMs * prediction.latencyMs;
    prediction.experiment = this.experiment;
  }

  failed(): void {
    this.failures++;
  }

  /** Sets every count back to zero (after they were added to the pending aggregates). */
  reset(): void {
    this.calls = 0;
    this.done = 0;
    this.failures = 0;
    this.latencySum = 0;
    this.latencySquares = 0;
  }
}

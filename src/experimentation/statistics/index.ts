export {
  type BayesianLiftOptions,
  type BayesianLiftResult,
  bayesianLift,
  type LiftPrior,
} from "./bayesian-lift.js";
export {
  type ConfidenceSequenceOptions,
  type ConfidenceSequenceResult,
  confidenceSequence,
  DEFAULT_SEQUENTIAL_TUNING_PARAMETER,
} from "./confidence-sequence.js";
export { type CupedOptions, type CupedResult, cupedTest } from "./cuped.js";
export type { LiftEstimate } from "./lift.js";
export { MetricAggregate, type MetricAggregateState } from "./metric-aggregate.js";
export {
  SRM_P_VALUE_THRESHOLD,
  type SampleRatioMismatchOptions,
  type SampleRatioMismatchResult,
  sampleRatioMismatch,
} from "./sample-ratio-mismatch.js";
export { type SampleSummary, summarize } from "./sample-summary.js";
export {
  type ProportionArm,
  type ProportionCounts,
  type TwoProportionZTestOptions,
  type TwoProportionZTestResult,
  twoProportionZTest,
} from "./two-proportion-z-test.js";
export { type WelchTestOptions, type WelchTestResult, welchTTest, welchTTestFromSamples } from "./welch-t-test.js";

export {
  type Experiment,
  type ExperimentsOptions,
  Experiments,
  type MetricHistoryOptions,
  type MetricHistoryPage,
  type MetricHistoryPageOptions,
  type RunComparison,
  type RunComparisonRow,
  type RunInfo,
  type RunPage,
  type SearchRunsCsvOptions,
  type SearchRunsOptions,
  type StartRunOptions,
} from "./experiments.js";
export { type DatasetInput, type LoggedArtifact, type MetricOptions, Run, type RunEndStatus } from "./run.js";
export { parseRunFilter, parseRunOrder } from "../stores/run-filter-parser.js";
export { type CsvRun, runsToCsv } from "./runs-csv.js";
export { downsampleMinMax, type MetricObservation } from "./downsample.js";
export {
  type MedianStopping,
  MedianStoppingRule,
  type ParamDomain,
  type ParamSpace,
  planTrials,
  type SweepOptions,
  type SweepResult,
  type SweepValue,
  type Trial,
  type TrialResult,
} from "./sweep.js";
export { TRACKING_DEFAULTS, type TrackingOptions } from "./tracking-options.js";
export { checkArtifactPath, TRACKING_LIMITS } from "./tracking-validation.js";
export type { TrackingEvents } from "./tracking-events.js";

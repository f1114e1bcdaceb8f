// The drift statistics (drift/index.ts), but for the two-proportion z-test, which is exported under a
// name of its own: `twoProportionZTest` is the online experiments' (arms in, a comparison out).
export * from "./drift/category-counts.js";
export * from "./drift/chi-square-test.js";
export * from "./drift/column-drift.js";
export * from "./drift/dataset-drift.js";
export * from "./drift/divergences.js";
export type { DriftData } from "./drift/drift-data.js";
export * from "./drift/drift-report.js";
export * from "./drift/histogram.js";
export { kolmogorovSmirnovCdf, kolmogorovSmirnovSf, smirnovSf } from "./drift/kolmogorov-distribution.js";
export * from "./drift/ks-two-sample.js";
export * from "./drift/numeric-sample.js";
export * from "./drift/sort-float64.js";
export * from "./drift/wasserstein.js";
export {
  type TwoProportionZTestResult as DriftTwoProportionZTestResult,
  twoProportionZTest as driftTwoProportionZTest,
} from "./drift/two-proportion-z-test.js";
export {
  Monitors,
  type MonitorsOptions,
  type MonitorStatus,
  type MonitorSummary,
  type MonitorWebhookOptions,
} from "./monitors.js";
export { Monitor, type MonitorContext, type ObserveOptions, type WatchedDeployment } from "./monitor.js";
export * from "./monitor-events.js";
export {
  type AlertOp,
  type AlertRule,
  type ColumnConfig,
  DEFAULT_RULES,
  type LocalMonitorSettings,
  type MonitorColumnInput,
  type MonitorColumnRole,
  type MonitorColumnSettings,
  type MonitorConfig,
  type MonitorOptions,
  type MonitorWindow,
  type RuleConfig,
} from "./monitor-settings.js";
export type { MonitorReference, ReferenceModel, ReferenceSource, SetReferenceOptions } from "./reference-sources.js";
export type { ReferenceColumn, ReferenceProfile } from "./reference-profile.js";
export type {
  CountWithExamples,
  MonitorColumnDrift,
  MonitorColumnQuality,
  MonitorDatasetDrift,
  MonitorPerformance,
  MonitorService,
  WindowReport,
} from "./window-report.js";
export {
  type MonitorExporter,
  type MonitorMetrics,
  metricsHandler,
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusExporter,
  prometheusExporter,
  prometheusText,
} from "./metrics-exporter.js";
export { compareFigure, judgeRule, type RuleVerdict } from "./alert-rules.js";
export { defaultPredictionRows } from "./prediction-rows.js";
export { rowHash } from "./row-hash.js";

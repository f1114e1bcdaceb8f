export * from "./drift/index.js";
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

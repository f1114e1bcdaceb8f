import type { MonitorDatasetDrift, WindowReport } from "./window-report.js";

/** Every figure of a report by name: what alert rules and exporters read. */
export function reportFigures(report: WindowReport): Record<string, number> {
  const f: Record<string, number> = { rows: report.rows };
  const drift = (d: MonitorDatasetDrift | undefined, prefix: "" | "prediction_") => {
    if (!d) return;
    if (prefix === "") {
      f.dataset_drift = d.drifted ? 1 : 0;
      f.drift_share = d.share;
      f.drifted_columns = d.driftedCount;
    } else {
      f.prediction_drift = d.drifted ? 1 : 0;
      f.prediction_drift_share = d.share;
    }
    for (const c of d.columns) {
      f[`drift.${c.column}`] = c.pValue ?? c.statistic;
      f[`drifted.${c.column}`] = c.drifted ? 1 : 0;
    }
  };
  drift(report.drift, "");
  drift(report.predictionDrift, "prediction_");
  if (report.rows > 0) {
    let violations = 0;
    for (const q of report.quality) {
      f[`missing_share.${q.column}`] = q.missingShare;
      f[`out_of_range.${q.column}`] = q.outOfRange.count;
      f[`new_categories.${q.column}`] = q.newCategories.count;
      f[`schema_violations.${q.column}`] = q.schemaViolations.count;
      violations +=
        Number(q.missingShareViolated) +
        Number(q.outOfRange.count > 0) +
        Number(q.newCategories.count > 0) +
        Number(q.schemaViolations.count > 0);
    }
    f.quality_violations = violations;
  }
  if (report.performance) {
    f.labelled_rows = report.performance.labelled;
    for (const [k, v] of Object.entries(report.performance.metrics)) if (Number.isFinite(v)) f[`performance.${k}`] = v;
  }
  if (report.service) {
    const s = report.service;
    f.calls = s.calls;
    f.errors = s.errors;
    f.error_rate = s.errorRate;
    for (const [k, v] of Object.entries(s.latencyMs)) f[`latency_ms.${k}`] = v;
    if (s.callsPerSecond !== undefined) f.calls_per_second = s.callsPerSecond;
  }
  if (report.rowsPerSecond !== undefined) f.rows_per_second = report.rowsPerSecond;
  return f;
}

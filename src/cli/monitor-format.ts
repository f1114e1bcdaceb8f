// How `mlcycle monitors …` shows monitors, their status and alerts to a person (the --json output is
// the records themselves).
import type {
  AlertRecord,
  MonitorColumnDrift,
  MonitorModelRef,
  MonitorStatus,
  MonitorSummary,
  WindowReport,
} from "../index.js";
import { formatDuration, formatNumber, formatTime } from "./cli-format.js";
import { renderTable } from "./cli-table.js";

const modelRef = (m: MonitorModelRef | undefined) => (m ? `${m.model}@${m.version}` : "-");

function windowLabel(window: MonitorSummary["window"]): string {
  return "ms" in window ? `every ${formatDuration(window.ms)}` : `every ${window.rows} rows`;
}

/** The span of a window: its start and end times for time windows, its index for count windows. */
function span(window: MonitorSummary["window"], w: { window: number; start: number; end: number }): string {
  return "ms" in window
    ? `${formatTime(w.start)} – ${formatTime(w.end)}`
    : `#${w.window} (${formatTime(w.start)} – ${formatTime(w.end)})`;
}

/** `mlcycle monitors list`: one line per monitor. */
export function monitorsTable(monitors: readonly MonitorSummary[]): string[] {
  return renderTable(
    [
      { heading: "NAME" },
      { heading: "WATCHES" },
      { heading: "WINDOWS" },
      { heading: "LATEST WINDOW" },
      { heading: "ROWS", right: true },
      { heading: "OPEN ALERTS", right: true },
    ],
    monitors.map((m) => [
      m.name,
      m.deployment !== undefined ? `deployment ${m.deployment}` : "rows given to observe",
      windowLabel(m.window),
      m.latest ? span(m.window, m.latest) : "none closed yet",
      m.latest ? String(m.latest.rows) : "-",
      String(m.openAlerts),
    ]),
  );
}

/** `mlcycle monitors alerts`: one line per alert, newest first. */
export function alertsTable(alerts: readonly AlertRecord[]): string[] {
  return renderTable(
    [
      { heading: "ID" },
      { heading: "MONITOR" },
      { heading: "RULE" },
      { heading: "SEVERITY" },
      { heading: "STATUS" },
      { heading: "CONDITION" },
      { heading: "VALUE", right: true },
      { heading: "BREACHES", right: true },
      { heading: "OPENED" },
      { heading: "RESOLVED" },
    ],
    alerts.map((a) => [
      a.id,
      a.monitor,
      a.rule,
      a.severity,
      a.status,
      `${a.figure} ${a.op} ${formatNumber(a.threshold)}`,
      formatNumber(a.value),
      String(a.breaches),
      formatTime(a.openedAt),
      a.status === "resolved" ? formatTime(a.resolvedAt) : "-",
    ]),
  );
}

function driftRows(drift: MonitorColumnDrift[] | undefined): string[][] {
  return (drift ?? []).map((c) => [
    c.column,
    c.role,
    c.method,
    formatNumber(c.statistic),
    c.pValue === undefined ? "-" : formatNumber(c.pValue),
    formatNumber(c.threshold),
    c.drifted ? "yes" : "no",
  ]);
}

function describeDrift(what: string, d: WindowReport["drift"]): string {
  if (!d) return `${what}: not computed`;
  return `${what}: ${d.drifted ? "yes" : "no"} (${d.driftedCount} of ${d.columnCount} columns drifted, share ${formatNumber(d.share)} against ${formatNumber(d.driftShare)})`;
}

/** The performance metrics a status shows (`--json` has them all). */
const HEADLINE_METRICS = [
  "accuracy_score",
  "precision_score",
  "recall_score",
  "f1_score",
  "roc_auc",
  "mean_absolute_error",
  "root_mean_squared_error",
  "r2_score",
];

/** The latest window of `mlcycle monitors status`: its drift per column, quality, performance, service. */
function latestWindowLines(status: MonitorStatus): string[] {
  const result = status.latestResult;
  if (!result) return ["latest window: none closed yet"];
  const report = result.report as unknown as WindowReport;
  const lines = [
    `latest window ${span(status.window, result)}: ${result.rows} rows` +
      (result.model ? `, answered by ${modelRef(result.model)}` : "") +
      (result.reference !== undefined ? `, compared with reference ${result.reference}` : ", no reference"),
  ];
  const columns = [...driftRows(report.drift?.columns), ...driftRows(report.predictionDrift?.columns)];
  if (columns.length > 0)
    lines.push(
      ...renderTable(
        [
          { heading: "COLUMN" },
          { heading: "ROLE" },
          { heading: "METHOD" },
          { heading: "STATISTIC", right: true },
          { heading: "P-VALUE", right: true },
          { heading: "THRESHOLD", right: true },
          { heading: "DRIFTED" },
        ],
        columns,
      ).map((l) => `  ${l}`),
    );
  lines.push(`  ${describeDrift("dataset drift", report.drift)}`);
  if (report.predictionDrift) lines.push(`  ${describeDrift("prediction drift", report.predictionDrift)}`);
  const issues = (report.quality ?? []).flatMap((q) => {
    const found: string[] = [];
    if (q.missingShareViolated) found.push(`${q.column}: missing share ${formatNumber(q.missingShare)}`);
    if (q.outOfRange.count > 0) found.push(`${q.column}: ${q.outOfRange.count} out of range`);
    if (q.newCategories.count > 0) found.push(`${q.column}: ${q.newCategories.count} new categories`);
    if (q.schemaViolations.count > 0) found.push(`${q.column}: ${q.schemaViolations.count} schema violations`);
    return found;
  });
  lines.push(`  data quality: ${issues.length ? issues.join("; ") : "no issue"}`);
  if (report.performance) {
    const all = report.performance.metrics;
    const shown = HEADLINE_METRICS.filter((k) => all[k] !== undefined);
    const metrics = (shown.length ? shown : Object.keys(all).slice(0, 5))
      .map((k) => `${k} ${formatNumber(all[k])}`)
      .join(", ");
    lines.push(`  performance (${report.performance.labelled} labelled rows): ${metrics || "none"}`);
  }
  if (report.service) {
    const s = report.service;
    lines.push(
      `  service: ${s.calls} calls, ${s.errors} errors, latency p50 ${formatNumber(s.latencyMs.p50)} ms, p99 ${formatNumber(s.latencyMs.p99)} ms`,
    );
  }
  return lines;
}

/** `mlcycle monitors status NAME`: settings, rules, references, the latest window and the open alerts. */
export function statusLines(status: MonitorStatus): string[] {
  const c = status.config;
  const names = (role: string) =>
    c.columns
      .filter((col) => col.role === role)
      .map((col) => col.name)
      .join(", ") || "-";
  const lines = [
    `monitor ${status.name}: watches ${status.deployment !== undefined ? `deployment ${status.deployment}` : "rows given to observe"}, windows ${windowLabel(status.window)}` +
      ("ms" in status.window ? ` (closed ${formatDuration(c.graceMs)} after they end)` : ""),
    ...renderTable(
      [{ heading: "" }, { heading: "" }],
      [
        ["features", names("feature")],
        ["predictions", names("prediction")],
        ["label", names("label")],
        ["task", c.task],
        [
          "created",
          `${formatTime(status.createdAt)}, updated ${formatTime(status.updatedAt)} (revision ${status.revision})`,
        ],
      ],
    )
      .slice(1)
      .map((l) => `  ${l}`),
    "",
    "rules",
    ...renderTable(
      [
        { heading: "NAME" },
        { heading: "CONDITION" },
        { heading: "MIN ROWS", right: true },
        { heading: "WINDOWS", right: true },
        { heading: "SEVERITY" },
      ],
      c.rules.map((r) => [
        r.name,
        `${r.figure} ${r.op} ${formatNumber(r.threshold)}`,
        String(r.minRows),
        String(r.windows),
        r.severity,
      ]),
    ).map((l) => `  ${l}`),
    "",
    "references",
  ];
  if (status.references.length === 0) lines.push("  none: set one with monitor.setReference(source, { model })");
  else
    lines.push(
      ...renderTable(
        [
          { heading: "VERSION", right: true },
          { heading: "MODEL" },
          { heading: "ROWS", right: true },
          { heading: "SOURCE" },
          { heading: "DIGEST" },
          { heading: "CREATED" },
        ],
        status.references.map((r) => [
          String(r.version),
          modelRef(r.model),
          String(r.rows),
          [r.source.kind, r.source.name ?? r.source.view ?? r.source.deployment]
            .filter((s) => s !== undefined)
            .join(" "),
          r.digest.slice(0, 12),
          formatTime(r.createdAt),
        ]),
      ).map((l) => `  ${l}`),
    );
  lines.push("", ...latestWindowLines(status), "", "open alerts");
  lines.push(...(status.alerts.length ? alertsTable(status.alerts).map((l) => `  ${l}`) : ["  none"]));
  return lines;
}

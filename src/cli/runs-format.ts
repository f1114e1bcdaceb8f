// How `mlcycle runs …` shows runs to a person (--json prints the records themselves).
import type { DatasetInput, MetricObservation, RunComparison, RunInfo } from "../index.js";
import { formatElapsed, formatNumber, formatTime, plural, sparkline } from "./cli-format.js";
import { renderTable } from "./cli-table.js";
import type { Colors } from "./cli-terminal.js";

/** A run's status, coloured by outcome on a terminal. */
export function statusText(status: string, color: Colors): string {
  switch (status) {
    case "finished":
    case "succeeded":
    case "cached":
      return color.green(status);
    case "failed":
    case "crashed":
    case "timed_out":
      return color.red(status);
    case "running":
    case "queued":
      return color.yellow(status);
    default:
      return color.dim(status);
  }
}

/** A column of the run table beyond the fixed ones: `metrics.acc`, `params.lr`, `tags.team`. */
export interface RunColumn {
  kind: "metrics" | "params" | "tags";
  key: string;
}

/** Parses `--columns metrics.acc,params.lr` (undefined for a name that is not one). */
export function parseColumn(name: string): RunColumn | undefined {
  const m = /^(metrics|params|tags)\.(.+)$/.exec(name.trim());
  return m ? { kind: m[1] as RunColumn["kind"], key: m[2] } : undefined;
}

/** The columns shown when none are asked for: up to four metrics and two params the runs have, by name. */
export function defaultColumns(runs: readonly RunInfo[]): RunColumn[] {
  const keys = (pick: (r: RunInfo) => Record<string, unknown>) =>
    [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  return [
    ...keys((r) => r.metrics)
      .slice(0, 4)
      .map((key) => ({ kind: "metrics" as const, key })),
    ...keys((r) => r.params)
      .slice(0, 2)
      .map((key) => ({ kind: "params" as const, key })),
  ];
}

function cell(r: RunInfo, c: RunColumn): string {
  const v = r[c.kind][c.key];
  if (v === undefined) return "-";
  return typeof v === "number" ? formatNumber(v) : v;
}

/** `mlcycle runs list` / `search`: one line per run. */
export function runsTable(
  runs: readonly RunInfo[],
  experiments: ReadonlyMap<string, string>,
  columns: readonly RunColumn[],
  color: Colors,
): string[] {
  return renderTable(
    [
      { heading: "ID" },
      { heading: "NAME" },
      { heading: "EXPERIMENT" },
      { heading: "STATUS" },
      { heading: "STARTED" },
      { heading: "DURATION", right: true },
      ...columns.map((c) => ({ heading: `${c.kind}.${c.key}`, right: c.kind === "metrics" })),
    ],
    runs.map((r) => [
      r.id,
      r.name,
      experiments.get(r.experimentId) ?? r.experimentId,
      statusText(r.status, color),
      formatTime(r.startTime),
      formatElapsed(r.startTime, r.endTime),
      ...columns.map((c) => cell(r, c)),
    ]),
    color,
  );
}

/** One metric's history as a line: its sparkline, range and last value. */
export function historyLine(points: readonly MetricObservation[], width: number, color: Colors): string {
  if (points.length === 0) return "no points";
  const values = points.map((p) => p.value);
  const finite = values.filter(Number.isFinite);
  const first = points[0];
  const last = points[points.length - 1];
  return [
    color.cyan(sparkline(values, width)),
    `min ${formatNumber(finite.length ? Math.min(...finite) : undefined)}`,
    `max ${formatNumber(finite.length ? Math.max(...finite) : undefined)}`,
    `last ${formatNumber(last.value)}`,
    first.step === last.step ? `(step ${last.step})` : `(steps ${first.step}–${last.step})`,
  ].join("  ");
}

/** What `mlcycle runs show` reads of a run. */
export interface RunDetail {
  run: RunInfo;
  experiment: string;
  artifacts: Array<{ path: string; digest: string; size: number }>;
  inputs: DatasetInput[];
  children: RunInfo[];
  /** Metric key → its downsampled history, for the sparklines. */
  history: Record<string, MetricObservation[]>;
}

const indent = (lines: string[]) => lines.map((l) => `  ${l}`);

/** `mlcycle runs show RUN`: the run, its params, metrics with sparklines, tags, artifacts, inputs, children. */
export function runLines(d: RunDetail, width: number, color: Colors): string[] {
  const r = d.run;
  const lines = [
    `${color.bold(`run ${r.name}`)} (${r.id}) in experiment ${d.experiment}: ${statusText(r.status, color)}` +
      (r.lifecycle === "deleted" ? ` ${color.dim("(deleted)")}` : ""),
    `  started   ${formatTime(r.startTime)}`,
    `  ended     ${r.endTime !== undefined ? `${formatTime(r.endTime)} (after ${formatElapsed(r.startTime, r.endTime)})` : "-"}`,
  ];
  if (r.parentRunId !== undefined) lines.push(`  parent    ${r.parentRunId}`);
  if (r.error !== undefined) lines.push(`  error     ${color.red(r.error.replace(/\s*\n\s*/g, " "))}`);
  const section = (title: string, body: string[]) =>
    lines.push("", title, ...(body.length ? indent(body) : ["  none"]));
  section(
    "params",
    Object.keys(r.params).length
      ? renderTable(
          [{ heading: "KEY" }, { heading: "VALUE" }],
          Object.entries(r.params).sort(([a], [b]) => (a < b ? -1 : 1)),
          color,
        )
      : [],
  );
  const metricKeys = Object.keys(r.metrics).sort();
  section(
    "metrics",
    metricKeys.length
      ? renderTable(
          [{ heading: "KEY" }, { heading: "LATEST", right: true }, { heading: "HISTORY" }],
          metricKeys.map((k) => [k, formatNumber(r.metrics[k]), historyLine(d.history[k] ?? [], width, color)]),
          color,
        )
      : [],
  );
  section(
    "tags",
    Object.keys(r.tags).length
      ? renderTable(
          [{ heading: "KEY" }, { heading: "VALUE" }],
          Object.entries(r.tags).sort(([a], [b]) => (a < b ? -1 : 1)),
          color,
        )
      : [],
  );
  section(
    "artifacts",
    d.artifacts.length
      ? renderTable(
          [{ heading: "PATH" }, { heading: "SIZE", right: true }, { heading: "DIGEST" }],
          d.artifacts.map((a) => [a.path, String(a.size), a.digest.slice(0, 12)]),
          color,
        )
      : [],
  );
  section(
    "dataset inputs",
    d.inputs.length
      ? renderTable(
          [{ heading: "NAME" }, { heading: "DIGEST" }, { heading: "CONTEXT" }, { heading: "SOURCE" }],
          d.inputs.map((i) => [i.name, i.digest.slice(0, 12), i.context ?? "-", i.source ?? "-"]),
          color,
        )
      : [],
  );
  if (d.children.length)
    section(
      `child runs (${d.children.length})`,
      renderTable(
        [{ heading: "ID" }, { heading: "NAME" }, { heading: "STATUS" }],
        d.children.map((c) => [c.id, c.name, statusText(c.status, color)]),
        color,
      ),
    );
  return lines;
}

/**
 * `mlcycle runs compare`: params and latest metrics side by side, one column per run; rows whose
 * values differ are marked `≠` (and only they are shown with `diffOnly`).
 */
export function comparisonLines(c: RunComparison, diffOnly: boolean, color: Colors): string[] {
  const headings = [
    { heading: "KEY" },
    ...c.runs.map((r) => ({ heading: r.name === r.id ? r.id : `${r.name} (${r.id.slice(-6)})`, right: true })),
    { heading: "" },
  ];
  const section = <V>(kind: string, rows: RunComparison["params"] | RunComparison["metrics"], show: (v: V) => string) =>
    rows
      .filter((row) => row.differs || !diffOnly)
      .map((row) => [
        `${kind}.${row.key}`,
        ...(row.values as Array<V | undefined>).map((v) => (v === undefined ? "-" : show(v))),
        row.differs ? color.yellow("≠") : "",
      ]);
  const rows = [
    ...section<string>("params", c.params, (v) => v),
    ...section<number>("metrics", c.metrics, formatNumber),
  ];
  const statusRow = ["status", ...c.runs.map((r) => statusText(r.status, color)), ""];
  const differing = c.params.filter((r) => r.differs).length + c.metrics.filter((r) => r.differs).length;
  return [
    ...renderTable(headings, [statusRow, ...rows], color),
    "",
    `${plural(c.runs.length, "run")}, ${plural(c.params.length, "param")}, ${plural(c.metrics.length, "metric")}; ${differing} differ${differing === 1 ? "s" : ""}`,
  ];
}

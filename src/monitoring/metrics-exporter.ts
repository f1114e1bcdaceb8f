import type { AlertRecord, MonitorModelRef } from "../stores/monitor-store.js";

/** The figures of one monitor's latest window, with its open alerts: what exporters publish. */
export interface MonitorMetrics {
  monitor: string;
  /** The deployment the monitor watches, when it watches one. */
  deployment?: string;
  /** The latest closed window, when there is one. */
  window?: number;
  start?: number;
  end?: number;
  closedAt?: number;
  /** Every figure of the window's report by name (`drift_share`, `drift.age`, `performance.accuracy_score`…). */
  figures: Record<string, number>;
  reference?: number;
  model?: MonitorModelRef;
  /** The monitor's open alerts. */
  openAlerts: Array<Pick<AlertRecord, "id" | "rule" | "severity" | "figure" | "value" | "openedAt">>;
}

/**
 * Where monitor figures go as windows close (the OpenTelemetry exporter's shape): `export` gets each
 * window a process closes, `shutdown` is called once when the workspace closes. Add one with
 * `ws.monitors.addExporter`; the Prometheus exporter is built in ({@link prometheusExporter}).
 */
export interface MonitorExporter {
  /** Receives the figures of a window just closed (and the monitor's open alerts). */
  export(metrics: MonitorMetrics): void | Promise<void>;
  /** Sends what is buffered, if anything is. */
  forceFlush?(): Promise<void>;
  /** Releases what the exporter holds; called once by `ws.monitors.close()`. */
  shutdown(): Promise<void>;
}

/** A metric family of the Prometheus text: how a figure's name maps to a metric and its label. */
const FAMILIES: Record<string, { metric: string; label?: string; help: string }> = {
  rows: { metric: "rows", help: "Rows in the latest closed window." },
  labelled_rows: { metric: "labelled_rows", help: "Rows with a label in the latest closed window." },
  dataset_drift: { metric: "dataset_drift", help: "1 when at least driftShare of the feature columns drifted." },
  drift_share: { metric: "drift_share", help: "Share of the feature columns that drifted." },
  drifted_columns: { metric: "drifted_columns", help: "Feature columns that drifted." },
  prediction_drift: { metric: "prediction_drift", help: "1 when the predictions drifted." },
  prediction_drift_share: { metric: "prediction_drift_share", help: "Share of the prediction columns that drifted." },
  drift: {
    metric: "column_drift",
    label: "column",
    help: "A column's drift statistic (the p-value for ks, chisquare and z).",
  },
  drifted: { metric: "column_drifted", label: "column", help: "1 when the column drifted." },
  missing_share: { metric: "missing_share", label: "column", help: "Share of rows without a value." },
  out_of_range: { metric: "out_of_range", label: "column", help: "Values outside the reference's range." },
  new_categories: { metric: "new_categories", label: "column", help: "Rows with a category the reference never had." },
  schema_violations: { metric: "schema_violations", label: "column", help: "Values of the wrong type." },
  quality_violations: { metric: "quality_violations", help: "Data quality checks that failed." },
  performance: { metric: "performance", label: "metric", help: "Metrics of the labelled rows." },
  latency_ms: { metric: "latency_ms", label: "quantile", help: "Latency of the deployment's calls in ms." },
  calls: { metric: "calls", help: "Calls the deployment answered." },
  errors: { metric: "errors", help: "Calls the deployment failed." },
  error_rate: { metric: "error_rate", help: "Share of the deployment's calls that failed." },
  calls_per_second: { metric: "calls_per_second", help: "Calls per second." },
  rows_per_second: { metric: "rows_per_second", help: "Rows per second." },
};

const QUANTILES: Record<string, string> = { p50: "0.5", p90: "0.9", p95: "0.95", p99: "0.99" };

function metricName(s: string): string {
  return `mlcycle_monitor_${s.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Array<[string, string]>): string {
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function value(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "+Inf";
  if (x === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(x);
}

/**
 * Monitor figures in the Prometheus text exposition format (0.0.4): each figure a gauge labelled
 * with the monitor (and the deployment), per-column figures with `column`, performance with
 * `metric`, latency with `quantile` (`latency_ms_mean` and `latency_ms_max` apart); plus
 * `mlcycle_monitor_window` (the latest window's index), `mlcycle_monitor_window_end_seconds`, and
 * `mlcycle_monitor_alert_open{rule, severity}` = 1 for each open alert.
 *
 * @example
 * ```ts
 * prometheusText([{ monitor: "churn", window: 7, figures: { drift_share: 0.5, "drift.age": 0.01 }, openAlerts: [] }]);
 * // # HELP mlcycle_monitor_column_drift A column's drift statistic …
 * // mlcycle_monitor_column_drift{monitor="churn",column="age"} 0.01
 * ```
 */
export function prometheusText(metrics: readonly MonitorMetrics[]): string {
  const families = new Map<string, { help: string; samples: string[] }>();
  const add = (metric: string, help: string, pairs: Array<[string, string]>, x: number) => {
    const name = metricName(metric);
    let f = families.get(name);
    if (!f) {
      f = { help, samples: [] };
      families.set(name, f);
    }
    f.samples.push(`${name}${labels(pairs)} ${value(x)}`);
  };
  for (const m of metrics) {
    const base: Array<[string, string]> = [["monitor", m.monitor]];
    if (m.deployment !== undefined) base.push(["deployment", m.deployment]);
    if (m.window !== undefined) add("window", "Index of the latest closed window.", base, m.window);
    if (m.end !== undefined)
      add("window_end_seconds", "End of the latest closed window (Unix seconds).", base, m.end / 1000);
    for (const [key, x] of Object.entries(m.figures)) {
      const dot = key.indexOf(".");
      const head = dot < 0 ? key : key.slice(0, dot);
      const tail = dot < 0 ? undefined : key.slice(dot + 1);
      const fam = FAMILIES[head];
      if (head === "latency_ms" && tail !== undefined && !(tail in QUANTILES)) {
        add(`latency_ms_${tail}`, `The ${tail} latency of the deployment's calls in ms.`, base, x);
        continue;
      }
      if (!fam) {
        add(head, `The monitor figure '${head}'.`, tail === undefined ? base : [...base, ["key", tail]], x);
        continue;
      }
      const pairs: Array<[string, string]> = [...base];
      if (tail !== undefined)
        pairs.push([fam.label ?? "key", fam.label === "quantile" ? (QUANTILES[tail] ?? tail) : tail]);
      add(fam.metric, fam.help, pairs, x);
    }
    for (const a of m.openAlerts)
      add(
        "alert_open",
        "1 for each open alert of a monitor's rule.",
        [...base, ["rule", a.rule], ["severity", a.severity]],
        1,
      );
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} gauge`, ...f.samples);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}

/** The content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * A fetch-style handler (`(Request) => Promise<Response>`) serving `GET /metrics` (any path: mount
 * it where you like) from a source of figures: the Prometheus text of `collect()`. `HEAD` gives the
 * headers only; other methods are 405.
 *
 * @example
 * ```ts
 * const handler = ws.monitors.metricsHandler();            // or metricsHandler(() => exporter.collect())
 * // Hono: app.get("/metrics", (c) => handler(c.req.raw)); node:http via @hono/node-server's serve({ fetch: handler })
 * ```
 */
export function metricsHandler(
  collect: () => MonitorMetrics[] | Promise<MonitorMetrics[]>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD")
      return new Response("method not allowed: GET the metrics\n", { status: 405, headers: { allow: "GET, HEAD" } });
    const text = prometheusText(await collect());
    return new Response(request.method === "HEAD" ? null : text, {
      status: 200,
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
    });
  };
}

/** The built-in Prometheus exporter: the latest figures of each monitor, as text and as a handler. */
export interface PrometheusExporter extends MonitorExporter {
  /** The latest figures of every monitor exported to it, by monitor name. */
  collect(): MonitorMetrics[];
  /** {@link prometheusText} of what it holds. */
  text(): string;
  /** A fetch-style `GET /metrics` handler of what it holds. */
  readonly fetch: (request: Request) => Promise<Response>;
}

/**
 * A {@link MonitorExporter} keeping each monitor's latest figures in memory for a Prometheus
 * scrape: what windows closed in this process. (`ws.monitors.metricsHandler()` serves every
 * monitor's latest stored window instead, whichever process closed it.)
 *
 * @example
 * ```ts
 * const exporter = prometheusExporter();
 * ws.monitors.addExporter(exporter);
 * // later: exporter.text(), or mount exporter.fetch as GET /metrics
 * ```
 */
export function prometheusExporter(): PrometheusExporter {
  const latest = new Map<string, MonitorMetrics>();
  const collect = () =>
    [...latest.values()].sort((a, b) => (a.monitor < b.monitor ? -1 : a.monitor > b.monitor ? 1 : 0));
  return {
    export(metrics) {
      latest.set(metrics.monitor, metrics);
    },
    async shutdown() {
      latest.clear();
    },
    collect,
    text: () => prometheusText(collect()),
    fetch: metricsHandler(collect),
  };
}

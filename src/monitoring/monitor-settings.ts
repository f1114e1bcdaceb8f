import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";
import { checkName } from "../core/validation.js";
import type { LoggedPrediction } from "../stores/prediction-log-store.js";
import { DRIFT_METHODS, type DriftMethod, isPValueMethod } from "./drift/column-drift.js";

/** What a column is to a monitor. */
export type MonitorColumnRole = "feature" | "prediction" | "label" | "probability";

/** Per-column settings of a monitor. */
export interface MonitorColumnSettings {
  /** The column's name in the rows. */
  name: string;
  /** `numeric` or `categorical`; default: what the reference holds (numbers → numeric). */
  kind?: "numeric" | "categorical";
  /** The drift statistic; default Evidently's choice for the reference (see `defaultDriftMethod`). */
  method?: DriftMethod;
  /** The drift threshold; default the method's (0.05 for p-values, 0.1 for distances). */
  threshold?: number;
  /** Check this column for drift (default true). */
  drift?: boolean;
}

/** A column given by name (defaults) or with settings. */
export type MonitorColumnInput = string | MonitorColumnSettings;

/** How a monitor cuts its rows into windows: by time (`ms`) or by count (`rows`). */
export type MonitorWindow = { ms: number } | { rows: number };

/** A comparison of an alert rule. */
export type AlertOp = ">" | ">=" | "<" | "<=";

/**
 * An alert rule: a figure of each window's report compared with a threshold. An alert opens when
 * the rule holds for `windows` consecutive windows with at least `minRows` rows each (labelled rows
 * for `performance.*` figures), stays open (one per rule) while it holds, and resolves at the first
 * window where it does not.
 */
export interface AlertRule {
  /** Unique among the monitor's rules. */
  name: string;
  /**
   * The figure watched, as the report names it: `dataset_drift` (1 when ≥ `driftShare` of the
   * columns drifted), `drift_share`, `drift.<column>` (the column's statistic), `drifted.<column>`,
   * `prediction_drift`, `missing_share.<column>`, `out_of_range.<column>`, `new_categories.<column>`,
   * `schema_violations.<column>`, `quality_violations`, `performance.<metric>` (e.g.
   * `performance.accuracy_score`), `latency_ms.p99`, `error_rate`, `rows_per_second`, `rows`…
   */
  figure: string;
  /** How the figure is compared with the threshold (default `>=`). */
  op?: AlertOp;
  threshold: number;
  /** Windows with fewer rows (labelled rows, for performance figures) are not judged (default 1). */
  minRows?: number;
  /** Consecutive windows the rule must hold for before an alert opens (default 1). */
  windows?: number;
  /** e.g. `warning` (default) or `critical`. */
  severity?: string;
}

/** Options of `ws.monitors.open`. */
export interface MonitorOptions {
  /**
   * The deployment whose prediction log the monitor reads (inputs, outputs, feedback labels,
   * latency). Without it the monitor takes the rows given to `observe`.
   */
  deployment?: string;
  /** Feature columns (inputs), by name or with settings. With array inputs, in the order of their positions. */
  features: MonitorColumnInput[];
  /** Prediction columns (outputs); default `["prediction"]` for a deployment, none otherwise. */
  predictions?: MonitorColumnInput[];
  /** The label (ground truth) column: from the feedback of a deployment's predictions, or a row member. */
  label?: string;
  /** A column holding the predicted probability of the positive class (binary classification). */
  probability?: string;
  /** `classification` (default) or `regression`: which metrics performance reports. */
  task?: "classification" | "regression";
  /** Binary classification: the positive class (default the greater of the two). */
  positiveLabel?: string | number;
  /** Windows by time or by count (default `{ ms: 3_600_000 }`: hourly). */
  window?: MonitorWindow;
  /**
   * How long after a time window ends it is closed (default 5,000 ms for a deployment, whose log is
   * written in batches; 0 for rows given directly). Rows arriving later are left out.
   */
  graceMs?: number;
  /**
   * The memory bound: rows of a window kept exactly (default 10,000). Beyond it the window keeps a
   * mergeable sample of this many rows, histograms and counts (see docs/monitoring.md).
   */
  sampleSize?: number;
  /** Distinct values counted per column before the rarest are folded into one bucket (default 1,000). */
  maxCategories?: number;
  /** The dataset (and the predictions) drift when at least this share of columns drift (default 0.5). */
  driftShare?: number;
  /** Alert rules (default: one rule, `dataset-drift`: `dataset_drift >= 1`). */
  rules?: AlertRule[];
  /** A row member identifying each row: rows are sampled by its hash (default: the row's content). */
  idColumn?: string;
  /** A row member holding its time (ms since the epoch, a `Date` or an ISO string); default the time `observe` is called. */
  timeColumn?: string;
  /**
   * Turns a logged prediction into rows (members named as the columns). Default: array inputs are
   * rows (objects by name, arrays by the position of `features`), outputs one per row, the label
   * from the feedback. Kept in this process only.
   */
  toRows?: (prediction: LoggedPrediction) => Array<Record<string, unknown>>;
  /** How often windows are checked (closed, judged) in the background, in ms; `false`: only by `check()`. Default 60,000. */
  checkIntervalMs?: number | false;
  /** How often observed rows are written to the store as partials, in ms (default 1,000). */
  flushIntervalMs?: number;
  /** Rows buffered before a write (default 1,000). */
  flushSize?: number;
}

/** A column as stored in a monitor's settings. */
export interface ColumnConfig {
  name: string;
  role: MonitorColumnRole;
  kind?: "numeric" | "categorical";
  method?: DriftMethod;
  threshold?: number;
  drift: boolean;
}

/** A rule with its defaults applied. */
export interface RuleConfig {
  name: string;
  figure: string;
  op: AlertOp;
  threshold: number;
  minRows: number;
  windows: number;
  severity: string;
}

/** A monitor's settings as stored (JSON): what every process feeding the monitor shares. */
export interface MonitorConfig {
  /** `deployment`: the deployment's prediction log; `stream`: rows given to `observe`. */
  source: { kind: "deployment"; deployment: string } | { kind: "stream" };
  columns: ColumnConfig[];
  task: "classification" | "regression";
  positiveLabel?: string | number;
  window: { kind: "time"; ms: number } | { kind: "count"; rows: number };
  graceMs: number;
  sampleSize: number;
  maxCategories: number;
  driftShare: number;
  rules: RuleConfig[];
  idColumn?: string;
  timeColumn?: string;
}

/** The settings of a monitor that stay in this process. */
export interface LocalMonitorSettings {
  toRows?: (prediction: LoggedPrediction) => Array<Record<string, unknown>>;
  checkIntervalMs: number | false;
  flushIntervalMs: number;
  flushSize: number;
}

/** The default rule: the dataset drifts. */
export const DEFAULT_RULES: readonly AlertRule[] = Object.freeze([
  { name: "dataset-drift", figure: "dataset_drift", op: ">=", threshold: 1 } as const,
]);

const fn = z.custom<(...args: any[]) => unknown>((v) => typeof v === "function", { message: "must be a function" });
const columnSchema = z.union([
  z.string(),
  z.strictObject({
    name: z.string(),
    kind: z.enum(["numeric", "categorical"]).optional(),
    method: z.enum(DRIFT_METHODS as [DriftMethod, ...DriftMethod[]]).optional(),
    threshold: z.number().min(0).finite().optional(),
    drift: z.boolean().optional(),
  }),
]);
const ruleSchema = z.strictObject({
  name: z.string(),
  figure: z.string().min(1).max(500),
  op: z.enum([">", ">=", "<", "<="]).optional(),
  threshold: z.number().finite(),
  minRows: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  windows: z.number().int().min(1).max(1000).optional(),
  severity: z.string().optional(),
});
const optionsSchema = z.strictObject({
  deployment: z.string().optional(),
  features: z.array(columnSchema),
  predictions: z.array(columnSchema).optional(),
  label: z.string().optional(),
  probability: z.string().optional(),
  task: z.enum(["classification", "regression"]).optional(),
  positiveLabel: z.union([z.string(), z.number().finite()]).optional(),
  window: z
    .union([
      z.strictObject({ ms: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      z.strictObject({ rows: z.number().int().min(1).max(100_000_000) }),
    ])
    .optional(),
  graceMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  sampleSize: z.number().int().min(10).max(10_000_000).optional(),
  maxCategories: z.number().int().min(2).max(1_000_000).optional(),
  driftShare: z.number().gt(0).max(1).optional(),
  rules: z.array(ruleSchema).max(1000).optional(),
  idColumn: z.string().optional(),
  timeColumn: z.string().optional(),
  toRows: fn.optional(),
  checkIntervalMs: z.union([z.literal(false), z.number().int().min(10).max(86_400_000)]).optional(),
  flushIntervalMs: z.number().int().min(1).max(3_600_000).optional(),
  flushSize: z.number().int().min(1).max(1_000_000).optional(),
});

function column(input: MonitorColumnInput, role: MonitorColumnRole, at: string): ColumnConfig {
  const s = typeof input === "string" ? { name: input } : input;
  checkName(`${at}.name`, s.name);
  const out: ColumnConfig = { name: s.name, role, drift: s.drift ?? true };
  if (s.kind !== undefined) out.kind = s.kind;
  if (s.method !== undefined) {
    if (s.kind === "categorical" && (s.method === "ks" || s.method === "wasserstein"))
      throw invalid([at, "method"], `'${s.method}' needs a numeric column; '${s.name}' is categorical`);
    out.method = s.method;
  }
  if (s.threshold !== undefined) {
    if (s.method !== undefined && isPValueMethod(s.method) && s.threshold > 1)
      throw invalid([at, "threshold"], `the threshold of '${s.method}' is a p-value: at most 1, got ${s.threshold}`);
    out.threshold = s.threshold;
  }
  return out;
}

/**
 * Checks a monitor's options and splits them into the stored settings ({@link MonitorConfig}) and
 * those of this process. `VALIDATION` naming the option for anything wrong.
 */
export function resolveMonitorOptions(options: MonitorOptions): { config: MonitorConfig; local: LocalMonitorSettings } {
  if (typeof options !== "object" || options === null)
    throw invalid(["options"], "must be an object of monitor options");
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw fromZodError(parsed.error, "monitor options");
  const o = options;
  const deployment = o.deployment !== undefined ? checkName("deployment", o.deployment) : undefined;
  const columns: ColumnConfig[] = [
    ...o.features.map((c, i) => column(c, "feature", `features.${i}`)),
    ...(o.predictions ?? (deployment ? ["prediction"] : [])).map((c, i) => column(c, "prediction", `predictions.${i}`)),
  ];
  if (o.label !== undefined) columns.push({ name: checkName("label", o.label), role: "label", drift: false });
  if (o.probability !== undefined)
    columns.push({ name: checkName("probability", o.probability), role: "probability", kind: "numeric", drift: false });
  if (columns.length === 0) throw invalid(["features"], "name at least one column to monitor");
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name))
      throw invalid(["columns"], `'${c.name}' is named twice (features, predictions, label, probability)`);
    seen.add(c.name);
  }
  const window = o.window ?? { ms: 3_600_000 };
  const rules = (o.rules ?? DEFAULT_RULES).map((r, i) => {
    checkName(`rules.${i}.name`, r.name);
    if (r.severity !== undefined) checkName(`rules.${i}.severity`, r.severity);
    return {
      name: r.name,
      figure: r.figure,
      op: r.op ?? ">=",
      threshold: r.threshold,
      minRows: r.minRows ?? 1,
      windows: r.windows ?? 1,
      severity: r.severity ?? "warning",
    } satisfies RuleConfig;
  });
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) throw invalid(["rules"], `two rules are named '${r.name}'`);
    names.add(r.name);
  }
  if (o.idColumn !== undefined) checkName("idColumn", o.idColumn);
  if (o.timeColumn !== undefined) checkName("timeColumn", o.timeColumn);
  if (deployment && (o.idColumn !== undefined || o.timeColumn !== undefined))
    throw invalid(
      ["deployment"],
      "a deployment's rows are identified and timed by their predictions: drop idColumn and timeColumn",
    );
  const config: MonitorConfig = {
    source: deployment ? { kind: "deployment", deployment } : { kind: "stream" },
    columns,
    task: o.task ?? "classification",
    window: "ms" in window ? { kind: "time", ms: window.ms } : { kind: "count", rows: window.rows },
    graceMs: o.graceMs ?? (deployment ? 5_000 : 0),
    sampleSize: o.sampleSize ?? 10_000,
    maxCategories: o.maxCategories ?? 1_000,
    driftShare: o.driftShare ?? 0.5,
    rules,
  };
  if (o.positiveLabel !== undefined) config.positiveLabel = o.positiveLabel;
  if (o.idColumn !== undefined) config.idColumn = o.idColumn;
  if (o.timeColumn !== undefined) config.timeColumn = o.timeColumn;
  const local: LocalMonitorSettings = {
    checkIntervalMs: o.checkIntervalMs ?? 60_000,
    flushIntervalMs: o.flushIntervalMs ?? 1_000,
    flushSize: o.flushSize ?? 1_000,
  };
  if (o.toRows) local.toRows = o.toRows;
  return { config, local };
}

/** The columns of a role. */
export function columnsOf(config: MonitorConfig, ...roles: MonitorColumnRole[]): ColumnConfig[] {
  return config.columns.filter((c) => roles.includes(c.role));
}

import type {
  AlertRecord,
  AlertStatus,
  MonitorModelRef,
  MonitorRecord,
  ReferenceProfileRecord,
  WindowPartialRecord,
  WindowResultRecord,
} from "../monitor-store.js";

/**
 * Row types of the monitor tables (the shape `SqlMonitorStore` reads and writes), and the
 * conversions between rows and the records of the monitor store port.
 */

type Int = number | string;

/** A row of `monitors`. */
export interface MonitorRow {
  name: string;
  id: string;
  config: string;
  revision: Int;
  row_count: Int;
  created_at: Int;
  updated_at: Int;
}
/** The columns naming a model version (all NULL when there is none). */
export interface ModelColumns {
  model_name: string | null;
  model_version: Int | null;
  model_version_id: string | null;
}
/** A row of `monitor_references`. */
export interface ReferenceRow extends ModelColumns {
  monitor: string;
  version: Int;
  source: string;
  row_count: Int;
  digest: string;
  profile: string;
  created_at: Int;
}
/** A row of `monitor_partials`. */
export interface PartialRow {
  monitor: string;
  window_index: Int;
  producer: string;
  seq: Int;
  row_count: Int;
  reference_version: Int | null;
  data: string;
  at: Int;
}
/** A row of `monitor_window_results`. */
export interface ResultRow extends ModelColumns {
  monitor: string;
  window_index: Int;
  start_at: Int;
  end_at: Int;
  row_count: Int;
  reference_version: Int | null;
  figures: string;
  report: string;
  closed_at: Int;
}
/** A row of `monitor_alerts`. */
export interface AlertRow {
  id: string;
  monitor: string;
  rule: string;
  /** The rule while the alert is open, NULL once resolved: unique per monitor (see the migration). */
  open_rule: string | null;
  status: string;
  severity: string;
  figure: string;
  value: number | string;
  op: string;
  threshold: number | string;
  window_index: Int;
  last_window: Int;
  breaches: Int;
  message: string;
  details: string;
  opened_at: Int;
  updated_at: Int;
  resolved_at: Int | null;
  resolved_window: Int | null;
}
/** The monitor tables, by name. */
export interface MonitorTables {
  monitors: MonitorRow;
  monitor_references: ReferenceRow;
  monitor_partials: PartialRow;
  monitor_window_results: ResultRow;
  monitor_alerts: AlertRow;
}

/** The columns of a partial's row: the bound parameters it takes in an insert. */
export const PARTIAL_COLUMNS = 8;
/** The columns of a reference profile but its body, which `listReferences` leaves unread. */
export const REFERENCE_INFO_COLUMNS = [
  "monitor",
  "version",
  "model_name",
  "model_version",
  "model_version_id",
  "source",
  "row_count",
  "digest",
  "created_at",
] as const;

const optional = (v: Int | null): number | undefined => (v === null ? undefined : Number(v));

/** The model columns of an optional model version. */
export function modelColumns(m: MonitorModelRef | undefined): ModelColumns {
  return {
    model_name: m?.model ?? null,
    model_version: m?.version ?? null,
    model_version_id: m?.versionId ?? null,
  };
}

function modelFrom(r: ModelColumns): MonitorModelRef | undefined {
  if (r.model_name === null) return undefined;
  const m: MonitorModelRef = { model: r.model_name, version: Number(r.model_version) };
  if (r.model_version_id !== null) m.versionId = r.model_version_id;
  return m;
}

// Every `from…Row` builds the record with the members, in the order, its `stored…` rule gives them.

export function fromMonitorRow(r: MonitorRow): MonitorRecord {
  return {
    id: r.id,
    name: r.name,
    config: JSON.parse(r.config),
    revision: Number(r.revision),
    rowCount: Number(r.row_count),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function fromReferenceRow(r: Omit<ReferenceRow, "profile"> & { profile?: string }): ReferenceProfileRecord {
  const out = { monitor: r.monitor, version: Number(r.version) } as ReferenceProfileRecord;
  const model = modelFrom(r);
  if (model) out.model = model;
  out.source = JSON.parse(r.source);
  out.rows = Number(r.row_count);
  out.digest = r.digest;
  if (r.profile !== undefined) out.profile = JSON.parse(r.profile);
  out.createdAt = Number(r.created_at);
  return out;
}

export function toPartialRow(p: WindowPartialRecord): PartialRow {
  return {
    monitor: p.monitor,
    window_index: p.window,
    producer: p.producer,
    seq: p.seq,
    row_count: p.rows,
    reference_version: p.reference ?? null,
    data: JSON.stringify(p.data),
    at: p.at,
  };
}

export function fromPartialRow(r: PartialRow): WindowPartialRecord {
  const out = {
    monitor: r.monitor,
    window: Number(r.window_index),
    producer: r.producer,
    seq: Number(r.seq),
    rows: Number(r.row_count),
  } as WindowPartialRecord;
  const reference = optional(r.reference_version);
  if (reference !== undefined) out.reference = reference;
  out.data = JSON.parse(r.data);
  out.at = Number(r.at);
  return out;
}

export function toResultRow(r: WindowResultRecord): ResultRow {
  return {
    monitor: r.monitor,
    window_index: r.window,
    start_at: r.start,
    end_at: r.end,
    row_count: r.rows,
    reference_version: r.reference ?? null,
    ...modelColumns(r.model),
    figures: JSON.stringify(r.figures),
    report: JSON.stringify(r.report),
    closed_at: r.closedAt,
  };
}

export function fromResultRow(r: ResultRow): WindowResultRecord {
  const out = {
    monitor: r.monitor,
    window: Number(r.window_index),
    start: Number(r.start_at),
    end: Number(r.end_at),
    rows: Number(r.row_count),
  } as WindowResultRecord;
  const reference = optional(r.reference_version);
  if (reference !== undefined) out.reference = reference;
  const model = modelFrom(r);
  if (model) out.model = model;
  out.figures = JSON.parse(r.figures);
  out.report = JSON.parse(r.report);
  out.closedAt = Number(r.closed_at);
  return out;
}

export function toAlertRow(a: AlertRecord): AlertRow {
  return {
    id: a.id,
    monitor: a.monitor,
    rule: a.rule,
    open_rule: a.status === "open" ? a.rule : null,
    status: a.status,
    severity: a.severity,
    figure: a.figure,
    value: a.value,
    op: a.op,
    threshold: a.threshold,
    window_index: a.window,
    last_window: a.lastWindow,
    breaches: a.breaches,
    message: a.message,
    details: JSON.stringify(a.details),
    opened_at: a.openedAt,
    updated_at: a.updatedAt,
    resolved_at: a.resolvedAt ?? null,
    resolved_window: a.resolvedWindow ?? null,
  };
}

export function fromAlertRow(r: AlertRow): AlertRecord {
  const out: AlertRecord = {
    id: r.id,
    monitor: r.monitor,
    rule: r.rule,
    status: r.status as AlertStatus,
    severity: r.severity,
    figure: r.figure,
    value: Number(r.value),
    op: r.op,
    threshold: Number(r.threshold),
    window: Number(r.window_index),
    lastWindow: Number(r.last_window),
    breaches: Number(r.breaches),
    message: r.message,
    details: JSON.parse(r.details),
    openedAt: Number(r.opened_at),
    updatedAt: Number(r.updated_at),
  };
  const resolvedAt = optional(r.resolved_at);
  if (resolvedAt !== undefined) out.resolvedAt = resolvedAt;
  const resolvedWindow = optional(r.resolved_window);
  if (resolvedWindow !== undefined) out.resolvedWindow = resolvedWindow;
  return out;
}

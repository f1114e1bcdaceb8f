/**
 * The monitor store port: what monitoring keeps between windows and between processes —
 *
 * - **monitors**: a monitor's settings (JSON written by the monitoring module) under a revision
 *   that every update names (compare-and-set), and a row counter that gives rows positions when
 *   several processes feed one monitor's count windows;
 * - **reference profiles**: the distribution a monitor compares production with, versioned per
 *   monitor (1, 2, 3…), each naming the model version it describes;
 * - **window partials**: append-only partial aggregates, one per (window, producer, seq), that a
 *   process feeding a monitor writes; a window's aggregate is the merge of its partials, so several
 *   processes feeding one monitor give what one process seeing every row gives;
 * - **window results**: the report of a closed window, written once by whoever closes it;
 * - **alerts**: at most one open alert per (monitor, rule), enforced by the store, then updated
 *   and resolved.
 *
 * Built-ins: the memory store (the reference). Every store applies the checks and keeps records in
 * the form of `monitor-rules.ts`, so stores answer alike.
 */

/** A model version a reference profile or a window describes. */
export interface MonitorModelRef {
  /** The registered model's name. */
  model: string;
  version: number;
  /** The version's id, when known. */
  versionId?: string;
}

/** A monitor as stored. */
export interface MonitorRecord {
  id: string;
  /** Unique per store. */
  name: string;
  /** The monitor's settings as JSON (source, columns, windows, rules…), as the monitoring module writes them. */
  config: Record<string, unknown>;
  /** Incremented by every update; updates name the revision they read (compare-and-set). */
  revision: number;
  /** Rows given positions so far by {@link MonitorStore.reserveRows}. */
  rowCount: number;
  createdAt: number;
  updatedAt: number;
}

/** What {@link MonitorStore.createMonitor} takes: the store sets `revision` 1, `rowCount` 0, `updatedAt` = `createdAt`. */
export type NewMonitor = Omit<MonitorRecord, "revision" | "rowCount" | "updatedAt">;

/** A change to a monitor's settings. */
export interface MonitorPatch {
  config: Record<string, unknown>;
  updatedAt: number;
}

/** A reference profile as stored. */
export interface ReferenceProfileRecord {
  monitor: string;
  /** Position among the monitor's profiles, from 1 (assigned by the store). */
  version: number;
  /** The model version the profile describes, when it describes one. */
  model?: MonitorModelRef;
  /** Where the profile came from (a training set, rows, a feature view's statistics, a prediction log window), JSON. */
  source: Record<string, unknown>;
  /** Rows the profile was built from. */
  rows: number;
  /** sha256 of the canonical profile. */
  digest: string;
  /** The profile itself (per-column statistics, samples, bins), JSON. */
  profile: Record<string, unknown>;
  createdAt: number;
}

/** What {@link MonitorStore.addReference} takes: the store assigns `version`. */
export type NewReferenceProfile = Omit<ReferenceProfileRecord, "version">;

/** A reference profile without its (possibly large) body, as {@link MonitorStore.listReferences} returns it. */
export type ReferenceProfileInfo = Omit<ReferenceProfileRecord, "profile">;

/** One partial aggregate of one window, written by one producer. Append-only. */
export interface WindowPartialRecord {
  monitor: string;
  /** The window's index (a non-negative safe integer; time windows: start / size, count windows: 0, 1, 2…). */
  window: number;
  /** Who wrote it: an id unique to the writing process and monitor. */
  producer: string;
  /** Position among the producer's partials of the monitor, from 1: (monitor, window, producer, seq) is unique. */
  seq: number;
  /** Rows aggregated. */
  rows: number;
  /** The reference version the rows were aggregated against, when there was one. */
  reference?: number;
  /** The aggregate, JSON. */
  data: Record<string, unknown>;
  at: number;
}

/** The windows that have partials, with their totals ({@link MonitorStore.listPartialWindows}). */
export interface PartialWindowSummary {
  window: number;
  /** Number of partials. */
  partials: number;
  /** Sum of their rows. */
  rows: number;
  /** Earliest and latest `at` of the partials. */
  firstAt: number;
  lastAt: number;
}

/** The report of a closed window. */
export interface WindowResultRecord {
  monitor: string;
  window: number;
  /** Time range the window covers (ms; `end` exclusive for time windows, the last row's time for count windows). */
  start: number;
  end: number;
  /** Rows in the window. */
  rows: number;
  /** The reference version it was compared with. */
  reference?: number;
  /** The model version that answered its rows (the last one, when several did). */
  model?: MonitorModelRef;
  /** Every figure of the report by name (`drift_share`, `drift.age`, `performance.accuracy_score`…). */
  figures: Record<string, number>;
  /** The full report, JSON. */
  report: Record<string, unknown>;
  closedAt: number;
}

/** Which window results {@link MonitorStore.listWindowResults} returns. */
export interface WindowResultQuery {
  /** Windows with an index at least this. */
  from?: number;
  /** Windows with an index below this. */
  to?: number;
  /** By window index, ascending (default) or descending. */
  order?: "asc" | "desc";
  /** At most this many (default 100, at most 10,000). */
  limit?: number;
}

/** Whether an alert is still firing. */
export type AlertStatus = "open" | "resolved";

/** An alert as stored. */
export interface AlertRecord {
  id: string;
  monitor: string;
  /** The rule's name (one open alert per monitor and rule). */
  rule: string;
  status: AlertStatus;
  /** e.g. `warning`, `critical`. */
  severity: string;
  /** The figure the rule watches, its value in the last breaching window, and the rule's comparison. */
  figure: string;
  value: number;
  op: string;
  threshold: number;
  /** The window that opened it. */
  window: number;
  /** The last window that breached the rule. */
  lastWindow: number;
  /** Windows that breached the rule while it was open (1 when opened). */
  breaches: number;
  message: string;
  /** Facts about the alert (model version, reference, columns that drifted…), JSON. */
  details: Record<string, unknown>;
  openedAt: number;
  updatedAt: number;
  /** When and in which window it resolved (resolved alerts only). */
  resolvedAt?: number;
  resolvedWindow?: number;
}

/**
 * What {@link MonitorStore.openAlert} takes: the store sets `status` open, `lastWindow` = `window`,
 * `breaches` 1 and `updatedAt` = `openedAt`.
 */
export type NewAlert = Omit<
  AlertRecord,
  "status" | "lastWindow" | "breaches" | "updatedAt" | "resolvedAt" | "resolvedWindow"
>;

/** A change to an open alert: a further breaching window. */
export interface AlertUpdate {
  value: number;
  lastWindow: number;
  breaches: number;
  message?: string;
  details?: Record<string, unknown>;
  updatedAt: number;
}

/** What resolving an alert records. */
export interface AlertResolution {
  resolvedAt: number;
  /** The window in which the rule no longer held. */
  resolvedWindow: number;
  message?: string;
}

/** Which alerts {@link MonitorStore.listAlerts} returns, newest first (by `openedAt`, then id). */
export interface AlertQuery {
  monitor?: string;
  rule?: string;
  status?: AlertStatus;
  /** At most this many (default 100, at most 10,000). */
  limit?: number;
}

/** The monitor store port (see the file comment). */
export interface MonitorStore {
  /** Stores a new monitor at revision 1; `CONFLICT` when the name is taken. */
  createMonitor(monitor: NewMonitor): Promise<MonitorRecord>;
  /** A monitor by name, or undefined. */
  getMonitor(name: string): Promise<MonitorRecord | undefined>;
  /** Every monitor, by creation time, then id, then name. */
  listMonitors(): Promise<MonitorRecord[]>;
  /**
   * Replaces a monitor's settings if its stored revision is `expectedRevision`; returns the new
   * record. `NOT_FOUND` for an unknown monitor, `CONFLICT` (details.revision = the stored one) when
   * another writer got there first — nothing is written then.
   */
  updateMonitor(name: string, expectedRevision: number, patch: MonitorPatch): Promise<MonitorRecord>;
  /** Removes a monitor with its references, partials, window results and alerts; false when there was none. */
  deleteMonitor(name: string): Promise<boolean>;
  /**
   * Adds `rows` to the monitor's row counter atomically and returns the counter before the addition:
   * the position of the first of those rows. `NOT_FOUND` for an unknown monitor.
   */
  reserveRows(name: string, rows: number): Promise<number>;

  /** Stores a reference profile as the monitor's next version (1, 2, 3…); `NOT_FOUND` for an unknown monitor. */
  addReference(reference: NewReferenceProfile): Promise<ReferenceProfileRecord>;
  /** A monitor's reference profile by version (the newest when `version` is omitted), or undefined. */
  getReference(monitor: string, version?: number): Promise<ReferenceProfileRecord | undefined>;
  /** A monitor's reference profiles without their bodies, by version. */
  listReferences(monitor: string): Promise<ReferenceProfileInfo[]>;

  /**
   * Stores partials, all or none. A partial whose (monitor, window, producer, seq) is stored already
   * is skipped (a retried write stores nothing twice). `NOT_FOUND` naming the first unknown monitor.
   */
  appendPartials(partials: readonly WindowPartialRecord[]): Promise<void>;
  /** The partials of one window, by producer (code point order), then seq. */
  listPartials(monitor: string, window: number): Promise<WindowPartialRecord[]>;
  /** The windows of a monitor that have partials, ascending, with their totals. */
  listPartialWindows(monitor: string): Promise<PartialWindowSummary[]>;
  /** Removes the partials of one window (once it is closed); returns how many were removed. */
  deletePartials(monitor: string, window: number): Promise<number>;

  /**
   * Stores the result of a closed window unless one is stored for it: true when this call stored it,
   * false (nothing written) when another writer closed the window first. `NOT_FOUND` for an unknown monitor.
   */
  createWindowResult(result: WindowResultRecord): Promise<boolean>;
  /** Replaces a stored window result (e.g. performance once delayed labels arrived); `NOT_FOUND` when none is stored. */
  replaceWindowResult(result: WindowResultRecord): Promise<void>;
  /** One window's result, or undefined. */
  getWindowResult(monitor: string, window: number): Promise<WindowResultRecord | undefined>;
  /** A monitor's window results by index (see {@link WindowResultQuery}). */
  listWindowResults(monitor: string, query?: WindowResultQuery): Promise<WindowResultRecord[]>;

  /**
   * Opens an alert unless one is open for its (monitor, rule): returns the open alert and whether
   * this call opened it (false: the one already open, nothing written). `NOT_FOUND` for an unknown
   * monitor; `CONFLICT` when none is open for the rule but the id is another alert's (nothing written).
   */
  openAlert(alert: NewAlert): Promise<{ alert: AlertRecord; opened: boolean }>;
  /** Records a further breach of an open alert; `NOT_FOUND` for an unknown id, `CONFLICT` when it is resolved. */
  updateAlert(id: string, update: AlertUpdate): Promise<AlertRecord>;
  /** Resolves an open alert; `NOT_FOUND` for an unknown id, `CONFLICT` when it is resolved already. */
  resolveAlert(id: string, resolution: AlertResolution): Promise<AlertRecord>;
  /** An alert by id, or undefined. */
  getAlert(id: string): Promise<AlertRecord | undefined>;
  /** Alerts, newest first (see {@link AlertQuery}). */
  listAlerts(query?: AlertQuery): Promise<AlertRecord[]>;
}

/** The default and largest page of {@link MonitorStore.listWindowResults} and {@link MonitorStore.listAlerts}. */
export const MONITOR_PAGE_DEFAULT = 100;
export const MONITOR_PAGE_MAX = 10_000;

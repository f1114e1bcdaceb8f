import type { MonitorModelRef } from "../stores/monitor-store.js";

/** Payload of `monitor.window.closed`: a window was closed and its report stored. */
export interface MonitorWindowClosedEvent {
  monitor: string;
  window: number;
  start: number;
  end: number;
  rows: number;
  /** Every figure of the report (see `reportFigures`). */
  figures: Record<string, number>;
  /** The reference version compared with. */
  reference?: number;
  model?: MonitorModelRef;
  at: number;
}

/** Payload of `monitor.alert`: a rule held long enough and an alert opened (one per rule until it resolves). */
export interface MonitorAlertEvent {
  /** The alert's id (name it in an audit reason: `ws.monitors.alert(id)` reads it back). */
  id: string;
  monitor: string;
  rule: string;
  severity: string;
  figure: string;
  value: number;
  op: string;
  threshold: number;
  /** The window that opened it, and its time range. */
  window: number;
  start: number;
  end: number;
  message: string;
  /** The deployment the monitor watches, when it watches one. */
  deployment?: string;
  /** The model version that answered the window's last row (deployments). */
  model?: MonitorModelRef;
  at: number;
}

/** Payload of `monitor.resolved`: an open alert's rule no longer held in a window. */
export interface MonitorResolvedEvent {
  id: string;
  monitor: string;
  rule: string;
  /** The window in which the rule no longer held, and the figure's value there. */
  window: number;
  value: number;
  openedAt: number;
  deployment?: string;
  model?: MonitorModelRef;
  at: number;
}

/** Payload of `monitor.reference.added`: a reference profile was stored. */
export interface MonitorReferenceAddedEvent {
  monitor: string;
  version: number;
  model?: MonitorModelRef;
  rows: number;
  digest: string;
  at: number;
}

/** Events of `ws.monitors` on `ws.events`. */
export interface MonitorEvents {
  /** A window was closed and its report stored. */
  "monitor.window.closed": MonitorWindowClosedEvent;
  /** An alert opened. */
  "monitor.alert": MonitorAlertEvent;
  /** An alert resolved. */
  "monitor.resolved": MonitorResolvedEvent;
  /** A reference profile was stored. */
  "monitor.reference.added": MonitorReferenceAddedEvent;
}

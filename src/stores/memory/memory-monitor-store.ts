import { notFound } from "../../core/errors.js";
import { checkName } from "../../core/validation.js";
import {
  alertIdTaken,
  alertResolved,
  checkAlertQuery,
  checkAlertResolution,
  checkAlertUpdate,
  checkMonitorPatch,
  checkNewAlert,
  checkNewMonitor,
  checkNewReference,
  checkPartialBatch,
  checkReferenceVersion,
  checkReservedRows,
  checkWindowIndex,
  checkWindowResult,
  checkWindowResultQuery,
  compareAlertsNewestFirst,
  compareMonitors,
  comparePartials,
  monitorNameTaken,
  openedAlert,
  partialKey,
  referenceInfo,
  staleMonitorRevision,
  storedAlert,
  storedMonitor,
  storedPartial,
  storedReference,
  storedWindowResult,
} from "../monitor-rules.js";
import type {
  AlertQuery,
  AlertRecord,
  AlertResolution,
  AlertUpdate,
  MonitorPatch,
  MonitorRecord,
  MonitorStore,
  NewAlert,
  NewMonitor,
  NewReferenceProfile,
  PartialWindowSummary,
  ReferenceProfileInfo,
  ReferenceProfileRecord,
  WindowPartialRecord,
  WindowResultQuery,
  WindowResultRecord,
} from "../monitor-store.js";

interface Entry {
  record: MonitorRecord;
  references: ReferenceProfileRecord[];
  /** Partials by window index, each list in `comparePartials` order. */
  partials: Map<number, WindowPartialRecord[]>;
  results: Map<number, WindowResultRecord>;
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * The in-memory {@link MonitorStore}: the reference implementation. Records are kept as the
 * `stored*` functions of `monitor-rules.ts` give them (JSON values as their JSON text reads back),
 * so it answers exactly what a SQL store reads back.
 */
export class MemoryMonitorStore implements MonitorStore {
  private readonly entries = new Map<string, Entry>();
  private readonly partialKeys = new Set<string>();
  private readonly alerts = new Map<string, AlertRecord>();

  async createMonitor(monitor: NewMonitor): Promise<MonitorRecord> {
    checkNewMonitor(monitor);
    if (this.entries.has(monitor.name)) throw monitorNameTaken(monitor.name);
    const record = storedMonitor({ ...monitor, revision: 1, rowCount: 0, updatedAt: monitor.createdAt });
    this.entries.set(record.name, { record, references: [], partials: new Map(), results: new Map() });
    return clone(record);
  }

  async getMonitor(name: string): Promise<MonitorRecord | undefined> {
    checkName("name", name);
    const e = this.entries.get(name);
    return e ? clone(e.record) : undefined;
  }

  async listMonitors(): Promise<MonitorRecord[]> {
    return [...this.entries.values()]
      .map((e) => e.record)
      .sort(compareMonitors)
      .map(clone);
  }

  async updateMonitor(name: string, expectedRevision: number, patch: MonitorPatch): Promise<MonitorRecord> {
    checkName("name", name);
    checkMonitorPatch(expectedRevision, patch);
    const e = this.entry(name);
    if (e.record.revision !== expectedRevision) throw staleMonitorRevision(name, expectedRevision, e.record.revision);
    e.record = storedMonitor({
      ...e.record,
      config: patch.config,
      revision: e.record.revision + 1,
      updatedAt: patch.updatedAt,
    });
    return clone(e.record);
  }

  async deleteMonitor(name: string): Promise<boolean> {
    checkName("name", name);
    const e = this.entries.get(name);
    if (!e) return false;
    for (const list of e.partials.values()) for (const p of list) this.partialKeys.delete(partialKey(p));
    for (const [id, a] of this.alerts) if (a.monitor === name) this.alerts.delete(id);
    this.entries.delete(name);
    return true;
  }

  async reserveRows(name: string, rows: number): Promise<number> {
    checkName("name", name);
    checkReservedRows(rows);
    const e = this.entry(name);
    const first = e.record.rowCount;
    e.record = { ...e.record, rowCount: first + rows };
    return first;
  }

  async addReference(reference: NewReferenceProfile): Promise<ReferenceProfileRecord> {
    checkNewReference(reference);
    const e = this.entry(reference.monitor);
    const record = storedReference({ ...reference, version: e.references.length + 1 });
    e.references.push(record);
    return clone(record);
  }

  async getReference(monitor: string, version?: number): Promise<ReferenceProfileRecord | undefined> {
    checkName("monitor", monitor);
    if (version !== undefined) checkReferenceVersion(version);
    const refs = this.entries.get(monitor)?.references ?? [];
    const r = version === undefined ? refs[refs.length - 1] : refs[version - 1];
    return r ? clone(r) : undefined;
  }

  async listReferences(monitor: string): Promise<ReferenceProfileInfo[]> {
    checkName("monitor", monitor);
    return (this.entries.get(monitor)?.references ?? []).map((r) => clone(referenceInfo(r)));
  }

  async appendPartials(partials: readonly WindowPartialRecord[]): Promise<void> {
    checkPartialBatch(partials);
    for (const p of partials) this.entry(p.monitor);
    for (const p of partials) {
      const key = partialKey(p);
      if (this.partialKeys.has(key)) continue;
      this.partialKeys.add(key);
      const e = this.entry(p.monitor);
      const list = e.partials.get(p.window) ?? [];
      list.push(storedPartial(p));
      list.sort(comparePartials);
      e.partials.set(p.window, list);
    }
  }

  async listPartials(monitor: string, window: number): Promise<WindowPartialRecord[]> {
    checkName("monitor", monitor);
    checkWindowIndex("window", window);
    return (this.entries.get(monitor)?.partials.get(window) ?? []).map(clone);
  }

  async listPartialWindows(monitor: string): Promise<PartialWindowSummary[]> {
    checkName("monitor", monitor);
    const e = this.entries.get(monitor);
    if (!e) return [];
    return [...e.partials.entries()]
      .filter(([, list]) => list.length > 0)
      .sort((a, b) => a[0] - b[0])
      .map(([window, list]) => ({
        window,
        partials: list.length,
        rows: list.reduce((s, p) => s + p.rows, 0),
        firstAt: Math.min(...list.map((p) => p.at)),
        lastAt: Math.max(...list.map((p) => p.at)),
      }));
  }

  async deletePartials(monitor: string, window: number): Promise<number> {
    checkName("monitor", monitor);
    checkWindowIndex("window", window);
    const e = this.entries.get(monitor);
    const list = e?.partials.get(window);
    if (!e || !list) return 0;
    for (const p of list) this.partialKeys.delete(partialKey(p));
    e.partials.delete(window);
    return list.length;
  }

  async createWindowResult(result: WindowResultRecord): Promise<boolean> {
    checkWindowResult(result);
    const e = this.entry(result.monitor);
    if (e.results.has(result.window)) return false;
    e.results.set(result.window, storedWindowResult(result));
    return true;
  }

  async replaceWindowResult(result: WindowResultRecord): Promise<void> {
    checkWindowResult(result);
    const e = this.entry(result.monitor);
    if (!e.results.has(result.window)) throw notFound("window result", `${result.monitor}/${result.window}`);
    e.results.set(result.window, storedWindowResult(result));
  }

  async getWindowResult(monitor: string, window: number): Promise<WindowResultRecord | undefined> {
    checkName("monitor", monitor);
    checkWindowIndex("window", window);
    const r = this.entries.get(monitor)?.results.get(window);
    return r ? clone(r) : undefined;
  }

  async listWindowResults(monitor: string, query: WindowResultQuery = {}): Promise<WindowResultRecord[]> {
    checkName("monitor", monitor);
    const q = checkWindowResultQuery(query);
    const results = [...(this.entries.get(monitor)?.results.values() ?? [])]
      .filter((r) => (q.from === undefined || r.window >= q.from) && (q.to === undefined || r.window < q.to))
      .sort((a, b) => (q.order === "asc" ? a.window - b.window : b.window - a.window));
    return results.slice(0, q.limit).map(clone);
  }

  async openAlert(alert: NewAlert): Promise<{ alert: AlertRecord; opened: boolean }> {
    checkNewAlert(alert);
    this.entry(alert.monitor);
    for (const a of this.alerts.values())
      if (a.monitor === alert.monitor && a.rule === alert.rule && a.status === "open")
        return { alert: clone(a), opened: false };
    if (this.alerts.has(alert.id)) throw alertIdTaken(alert.id);
    const record = openedAlert(alert);
    this.alerts.set(record.id, record);
    return { alert: clone(record), opened: true };
  }

  async updateAlert(id: string, update: AlertUpdate): Promise<AlertRecord> {
    checkAlertUpdate(id, update);
    const a = this.alert(id);
    if (a.status !== "open") throw alertResolved(id);
    const next = storedAlert({
      ...a,
      value: update.value,
      lastWindow: update.lastWindow,
      breaches: update.breaches,
      message: update.message ?? a.message,
      details: update.details ?? a.details,
      updatedAt: update.updatedAt,
    });
    this.alerts.set(id, next);
    return clone(next);
  }

  async resolveAlert(id: string, resolution: AlertResolution): Promise<AlertRecord> {
    checkAlertResolution(id, resolution);
    const a = this.alert(id);
    if (a.status !== "open") throw alertResolved(id);
    const next = storedAlert({
      ...a,
      status: "resolved",
      message: resolution.message ?? a.message,
      updatedAt: resolution.resolvedAt,
      resolvedAt: resolution.resolvedAt,
      resolvedWindow: resolution.resolvedWindow,
    });
    this.alerts.set(id, next);
    return clone(next);
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    checkName("id", id);
    const a = this.alerts.get(id);
    return a ? clone(a) : undefined;
  }

  async listAlerts(query: AlertQuery = {}): Promise<AlertRecord[]> {
    const q = checkAlertQuery(query);
    return [...this.alerts.values()]
      .filter((a) => q.monitor === undefined || a.monitor === q.monitor)
      .filter((a) => q.rule === undefined || a.rule === q.rule)
      .filter((a) => q.status === undefined || a.status === q.status)
      .sort(compareAlertsNewestFirst)
      .slice(0, q.limit)
      .map(clone);
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw notFound("monitor", name);
    return e;
  }

  private alert(id: string): AlertRecord {
    const a = this.alerts.get(id);
    if (!a) throw notFound("alert", id);
    return a;
  }
}

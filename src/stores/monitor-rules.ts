import { invalid, MlcycleError } from "../core/errors.js";
import { checkJsonValue, checkName, checkRecord, checkText } from "../core/validation.js";
import type {
  AlertQuery,
  AlertRecord,
  AlertResolution,
  AlertStatus,
  AlertUpdate,
  MonitorModelRef,
  MonitorPatch,
  MonitorRecord,
  NewAlert,
  NewMonitor,
  NewReferenceProfile,
  ReferenceProfileInfo,
  ReferenceProfileRecord,
  WindowPartialRecord,
  WindowResultQuery,
  WindowResultRecord,
} from "./monitor-store.js";
import { MONITOR_PAGE_DEFAULT, MONITOR_PAGE_MAX } from "./monitor-store.js";
import { compareCodePoints, storedJson } from "./prediction-log-rules.js";

/**
 * The checks every monitor store applies, and the form every store keeps records in, so memory,
 * SQL and third-party stores refuse the same input with the same `VALIDATION`, `NOT_FOUND` or
 * `CONFLICT` and read back the same records.
 */

// Integers are safe integers (at most 2^53 - 1): what a number holds exactly and a 64-bit column
// stores, so every store reads back the value it was given.

function checkTime(what: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw invalid([what], `must be a time in ms since the epoch (a non-negative safe integer), got ${String(v)}`);
}

function checkCount(what: string, v: unknown, min = 0): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
    throw invalid([what], `must be a safe integer ≥ ${min}, got ${String(v)}`);
}

function checkFinite(what: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isFinite(v)) throw invalid([what], `must be a finite number, got ${String(v)}`);
}

/** A plain object whose JSON text reads back as an object (a `toJSON` turning it into something else is refused). */
function checkObject(what: string, v: unknown): void {
  checkRecord(what, v, "a JSON object");
  checkJsonValue(what, v);
  const read = storedJson(v);
  if (typeof read !== "object" || read === null || Array.isArray(read))
    throw invalid([what], "must be a JSON object: its toJSON() gives something else");
}

/** Checks a window index: a non-negative safe integer. */
export function checkWindowIndex(what: string, v: unknown): void {
  checkCount(what, v, 0);
}

function checkModelRef(what: string, m: unknown): void {
  if (typeof m !== "object" || m === null) throw invalid([what], "must be { model, version, versionId? }");
  const r = m as MonitorModelRef;
  checkName(`${what}.model`, r.model);
  checkCount(`${what}.version`, r.version, 1);
  if (r.versionId !== undefined) checkName(`${what}.versionId`, r.versionId);
}

/** Checks a new monitor. */
export function checkNewMonitor(m: NewMonitor): void {
  if (typeof m !== "object" || m === null) throw invalid(["monitor"], "must be a monitor record");
  checkName("id", m.id);
  checkName("name", m.name);
  checkObject("config", m.config);
  checkTime("createdAt", m.createdAt);
}

/** Checks an update's revision and patch. */
export function checkMonitorPatch(expectedRevision: number, patch: MonitorPatch): void {
  checkCount("expectedRevision", expectedRevision, 1);
  if (typeof patch !== "object" || patch === null) throw invalid(["patch"], "must be { config, updatedAt }");
  checkObject("patch.config", patch.config);
  checkTime("patch.updatedAt", patch.updatedAt);
}

/** Checks the rows given to `reserveRows`: a positive safe integer. */
export function checkReservedRows(rows: number): void {
  checkCount("rows", rows, 1);
}

/** Checks a new reference profile. */
export function checkNewReference(r: NewReferenceProfile): void {
  if (typeof r !== "object" || r === null) throw invalid(["reference"], "must be a reference profile record");
  checkName("monitor", r.monitor);
  if (r.model !== undefined) checkModelRef("model", r.model);
  checkObject("source", r.source);
  checkCount("rows", r.rows);
  if (typeof r.digest !== "string" || !/^[0-9a-f]{64}$/.test(r.digest))
    throw invalid(["digest"], "must be a sha256 digest (64 lowercase hex digits)");
  checkObject("profile", r.profile);
  checkTime("createdAt", r.createdAt);
}

/** Checks a reference version given to `getReference`. */
export function checkReferenceVersion(version: unknown): void {
  checkCount("version", version, 1);
}

/** Checks one partial; `i` is its position in the batch, named in errors. */
export function checkPartial(p: WindowPartialRecord, i = 0): void {
  const at = (k: string) => `partials.${i}.${k}`;
  if (typeof p !== "object" || p === null) throw invalid([`partials.${i}`], "must be a partial record");
  checkName(at("monitor"), p.monitor);
  checkWindowIndex(at("window"), p.window);
  checkName(at("producer"), p.producer);
  checkCount(at("seq"), p.seq, 1);
  checkCount(at("rows"), p.rows);
  if (p.reference !== undefined) checkCount(at("reference"), p.reference, 1);
  checkObject(at("data"), p.data);
  checkTime(at("at"), p.at);
}

/** Checks every partial of a batch given to `appendPartials`. */
export function checkPartialBatch(partials: readonly WindowPartialRecord[]): void {
  if (!Array.isArray(partials)) throw invalid(["partials"], "must be an array of partial records");
  for (let i = 0; i < partials.length; i++) checkPartial(partials[i], i);
}

/** Checks a window result. */
export function checkWindowResult(r: WindowResultRecord): void {
  if (typeof r !== "object" || r === null) throw invalid(["result"], "must be a window result record");
  checkName("monitor", r.monitor);
  checkWindowIndex("window", r.window);
  checkTime("start", r.start);
  checkTime("end", r.end);
  if (r.end < r.start) throw invalid(["end"], `must not be before start (${r.start}), got ${r.end}`);
  checkCount("rows", r.rows);
  if (r.reference !== undefined) checkCount("reference", r.reference, 1);
  if (r.model !== undefined) checkModelRef("model", r.model);
  checkRecord("figures", r.figures, "an object of figure name → number");
  for (const [k, v] of Object.entries(r.figures)) {
    checkText("figures", k, 500);
    checkFinite(`figures.${k}`, v);
  }
  checkObject("report", r.report);
  checkTime("closedAt", r.closedAt);
}

/** A query with its limit applied. */
export type CheckedWindowResultQuery = WindowResultQuery & { limit: number; order: "asc" | "desc" };

function checkLimit(limit: unknown): number {
  const l = limit ?? MONITOR_PAGE_DEFAULT;
  if (typeof l !== "number" || !Number.isInteger(l) || l < 1 || l > MONITOR_PAGE_MAX)
    throw invalid(["limit"], `must be an integer from 1 to ${MONITOR_PAGE_MAX}, got ${String(limit)}`, "too_big");
  return l;
}

/** Checks the query of `listWindowResults`. */
export function checkWindowResultQuery(query: WindowResultQuery = {}): CheckedWindowResultQuery {
  if (typeof query !== "object" || query === null) throw invalid(["query"], "must be an object");
  if (query.from !== undefined) checkWindowIndex("from", query.from);
  if (query.to !== undefined) checkWindowIndex("to", query.to);
  const order = query.order ?? "asc";
  if (order !== "asc" && order !== "desc") throw invalid(["order"], "must be 'asc' or 'desc'");
  return { ...query, order, limit: checkLimit(query.limit) };
}

const STATUSES = new Set<AlertStatus>(["open", "resolved"]);

/** Checks a new alert. */
export function checkNewAlert(a: NewAlert): void {
  if (typeof a !== "object" || a === null) throw invalid(["alert"], "must be an alert record");
  checkName("id", a.id);
  checkName("monitor", a.monitor);
  checkName("rule", a.rule);
  checkName("severity", a.severity);
  checkText("figure", a.figure, 500);
  checkFinite("value", a.value);
  checkText("op", a.op, 10);
  checkFinite("threshold", a.threshold);
  checkWindowIndex("window", a.window);
  checkText("message", a.message, 8000);
  checkObject("details", a.details);
  checkTime("openedAt", a.openedAt);
}

/** Checks an alert update. */
export function checkAlertUpdate(id: string, u: AlertUpdate): void {
  checkName("id", id);
  if (typeof u !== "object" || u === null) throw invalid(["update"], "must be an alert update");
  checkFinite("update.value", u.value);
  checkWindowIndex("update.lastWindow", u.lastWindow);
  checkCount("update.breaches", u.breaches, 1);
  if (u.message !== undefined) checkText("update.message", u.message, 8000);
  if (u.details !== undefined) checkObject("update.details", u.details);
  checkTime("update.updatedAt", u.updatedAt);
}

/** Checks an alert resolution. */
export function checkAlertResolution(id: string, r: AlertResolution): void {
  checkName("id", id);
  if (typeof r !== "object" || r === null) throw invalid(["resolution"], "must be { resolvedAt, resolvedWindow }");
  checkTime("resolution.resolvedAt", r.resolvedAt);
  checkWindowIndex("resolution.resolvedWindow", r.resolvedWindow);
  if (r.message !== undefined) checkText("resolution.message", r.message, 8000);
}

/** A query with its limit applied. */
export type CheckedAlertQuery = AlertQuery & { limit: number };

/** Checks the query of `listAlerts`. */
export function checkAlertQuery(query: AlertQuery = {}): CheckedAlertQuery {
  if (typeof query !== "object" || query === null) throw invalid(["query"], "must be an object");
  if (query.monitor !== undefined) checkName("monitor", query.monitor);
  if (query.rule !== undefined) checkName("rule", query.rule);
  if (query.status !== undefined && !STATUSES.has(query.status)) throw invalid(["status"], "must be open or resolved");
  return { ...query, limit: checkLimit(query.limit) };
}

// -------------------------------------------------------------------------------- stored form

// `-0` reads back as `0` from a SQL column (and from JSON): the stores keep `0`.
const num = (v: number): number => v + 0;

function storedModel(m: MonitorModelRef): MonitorModelRef {
  const out: MonitorModelRef = { model: m.model, version: m.version };
  if (m.versionId !== undefined) out.versionId = m.versionId;
  return out;
}

/**
 * A (checked) monitor as every store keeps and returns it: its members only, in the order of
 * {@link MonitorRecord}, `config` as its JSON text reads back (`storedJson`). A store writes this
 * and reads back exactly it.
 */
export function storedMonitor(r: MonitorRecord): MonitorRecord {
  return {
    id: r.id,
    name: r.name,
    config: storedJson(r.config) as Record<string, unknown>,
    revision: r.revision,
    rowCount: r.rowCount,
    createdAt: num(r.createdAt),
    updatedAt: num(r.updatedAt),
  };
}

/** A (checked) reference profile as every store keeps it (see {@link storedMonitor}). */
export function storedReference(r: ReferenceProfileRecord): ReferenceProfileRecord {
  const out: ReferenceProfileRecord = { monitor: r.monitor, version: r.version } as ReferenceProfileRecord;
  if (r.model !== undefined) out.model = storedModel(r.model);
  out.source = storedJson(r.source) as Record<string, unknown>;
  out.rows = num(r.rows);
  out.digest = r.digest;
  out.profile = storedJson(r.profile) as Record<string, unknown>;
  out.createdAt = num(r.createdAt);
  return out;
}

/** A stored reference profile without its body. */
export function referenceInfo(r: ReferenceProfileRecord): ReferenceProfileInfo {
  const { profile: _profile, ...info } = r;
  return info;
}

/** A (checked) partial as every store keeps it. */
export function storedPartial(p: WindowPartialRecord): WindowPartialRecord {
  const out: WindowPartialRecord = {
    monitor: p.monitor,
    window: p.window,
    producer: p.producer,
    seq: p.seq,
    rows: num(p.rows),
  } as WindowPartialRecord;
  if (p.reference !== undefined) out.reference = p.reference;
  out.data = storedJson(p.data) as Record<string, unknown>;
  out.at = num(p.at);
  return out;
}

/** A (checked) window result as every store keeps it: figures in the order given, `-0` as `0`. */
export function storedWindowResult(r: WindowResultRecord): WindowResultRecord {
  const out: WindowResultRecord = {
    monitor: r.monitor,
    window: r.window,
    start: num(r.start),
    end: num(r.end),
    rows: num(r.rows),
  } as WindowResultRecord;
  if (r.reference !== undefined) out.reference = r.reference;
  if (r.model !== undefined) out.model = storedModel(r.model);
  out.figures = Object.fromEntries(Object.entries(r.figures).map(([k, v]) => [k, num(v)]));
  out.report = storedJson(r.report) as Record<string, unknown>;
  out.closedAt = num(r.closedAt);
  return out;
}

/** A (checked) alert as every store keeps it, in the order of {@link AlertRecord}. */
export function storedAlert(a: AlertRecord): AlertRecord {
  const out: AlertRecord = {
    id: a.id,
    monitor: a.monitor,
    rule: a.rule,
    status: a.status,
    severity: a.severity,
    figure: a.figure,
    value: num(a.value),
    op: a.op,
    threshold: num(a.threshold),
    window: a.window,
    lastWindow: a.lastWindow,
    breaches: a.breaches,
    message: a.message,
    details: storedJson(a.details) as Record<string, unknown>,
    openedAt: num(a.openedAt),
    updatedAt: num(a.updatedAt),
  };
  if (a.resolvedAt !== undefined) out.resolvedAt = num(a.resolvedAt);
  if (a.resolvedWindow !== undefined) out.resolvedWindow = a.resolvedWindow;
  return out;
}

/** The alert `openAlert` stores for a new alert. */
export function openedAlert(a: NewAlert): AlertRecord {
  return storedAlert({
    ...a,
    status: "open",
    lastWindow: a.window,
    breaches: 1,
    updatedAt: a.openedAt,
  });
}

// -------------------------------------------------------------------------------- orders

/**
 * The order of `listMonitors` in every store: by creation time, then id, then name (ids and names in
 * code point order; the name settles monitors that share a time and an id).
 */
export function compareMonitors(a: MonitorRecord, b: MonitorRecord): number {
  return a.createdAt - b.createdAt || compareCodePoints(a.id, b.id) || compareCodePoints(a.name, b.name);
}

/** The order of `listPartials` in every store: by producer (code point order), then seq. */
export function comparePartials(a: WindowPartialRecord, b: WindowPartialRecord): number {
  return compareCodePoints(a.producer, b.producer) || a.seq - b.seq;
}

/** The order of `listAlerts` in every store: newest `openedAt` first, then id descending (code point order). */
export function compareAlertsNewestFirst(a: AlertRecord, b: AlertRecord): number {
  return b.openedAt - a.openedAt || compareCodePoints(b.id, a.id);
}

/** A partial's identity as one map key. */
export function partialKey(p: { monitor: string; window: number; producer: string; seq: number }): string {
  return `${p.monitor}\u0000${p.window}\u0000${p.producer}\u0000${p.seq}`;
}

// -------------------------------------------------------------------------------- errors

/** The `CONFLICT` of a stale compare-and-set. */
export function staleMonitorRevision(name: string, expected: number, stored: number): MlcycleError {
  return new MlcycleError(
    "CONFLICT",
    `monitor '${name}' is at revision ${stored}, not ${expected}: another writer changed it; read it again`,
    { details: { monitor: name, expected, revision: stored } },
  );
}

/** The `CONFLICT` of a taken name. */
export function monitorNameTaken(name: string): MlcycleError {
  return new MlcycleError("CONFLICT", `a monitor named '${name}' already exists`, { details: { monitor: name } });
}

/** The `CONFLICT` of a change to a resolved alert. */
export function alertResolved(id: string): MlcycleError {
  return new MlcycleError("CONFLICT", `alert '${id}' is resolved: only an open alert can be updated or resolved`, {
    details: { alert: id },
  });
}

/** The `CONFLICT` of a new alert whose id is another alert's. */
export function alertIdTaken(id: string): MlcycleError {
  return new MlcycleError("CONFLICT", `an alert with id '${id}' already exists: give the new alert its own id`, {
    details: { alert: id },
  });
}

import { isMlcycleError, type MlcycleError } from "../core/errors.js";
import type {
  AlertRecord,
  MonitorRecord,
  MonitorStore,
  NewAlert,
  NewMonitor,
  NewReferenceProfile,
  ReferenceProfileInfo,
  ReferenceProfileRecord,
  WindowPartialRecord,
  WindowResultRecord,
} from "../stores/monitor-store.js";

/** A sha256 digest (64 lowercase hex digits). */
export const DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/** A well-formed new monitor named `name` (created at 1,000). */
export function monitor(name: string, extra: Partial<NewMonitor> = {}): NewMonitor {
  return {
    id: `id-${name}`,
    name,
    config: { source: { deployment: "churn" }, window: { ms: 60_000 } },
    createdAt: 1_000,
    ...extra,
  };
}

/** The record a store gives back for a new monitor as it was given. */
export function created(m: NewMonitor): MonitorRecord {
  return { ...m, revision: 1, rowCount: 0, updatedAt: m.createdAt };
}

/** A well-formed new reference profile of `monitorName`. */
export function reference(monitorName: string, extra: Partial<NewReferenceProfile> = {}): NewReferenceProfile {
  return {
    monitor: monitorName,
    source: { kind: "rows" },
    rows: 100,
    digest: DIGEST,
    profile: { columns: { age: { kind: "numeric", min: 18, max: 90 } } },
    createdAt: 2_000,
    ...extra,
  };
}

/** A stored reference profile without its body, as `listReferences` gives it. */
export function info(r: ReferenceProfileRecord): ReferenceProfileInfo {
  const { profile: _profile, ...rest } = r;
  return rest;
}

/** A well-formed partial of `monitorName`'s window `window`, written by `producer` as its `seq`th. */
export function partial(
  monitorName: string,
  window: number,
  producer: string,
  seq: number,
  extra: Partial<WindowPartialRecord> = {},
): WindowPartialRecord {
  return {
    monitor: monitorName,
    window,
    producer,
    seq,
    rows: 10,
    data: { count: 10, sum: seq },
    at: 5_000 + seq,
    ...extra,
  };
}

/** A well-formed result of `monitorName`'s window `window` (a minute long). */
export function result(
  monitorName: string,
  window: number,
  extra: Partial<WindowResultRecord> = {},
): WindowResultRecord {
  return {
    monitor: monitorName,
    window,
    start: window * 60_000,
    end: (window + 1) * 60_000,
    rows: 5,
    figures: { rows: 5, drift_share: 0.5 },
    report: { columns: [{ name: "age", drifted: true }] },
    closedAt: (window + 1) * 60_000,
    ...extra,
  };
}

/** A well-formed new alert `id` of monitor `m`, rule `drift`, opened at 10,000 in window 3. */
export function alert(id: string, extra: Partial<NewAlert> = {}): NewAlert {
  return {
    id,
    monitor: "m",
    rule: "drift",
    severity: "warning",
    figure: "drift_share",
    value: 0.6,
    op: ">=",
    threshold: 0.5,
    window: 3,
    message: "60% of columns drifted",
    details: { columns: ["age", "income"] },
    openedAt: 10_000,
    ...extra,
  };
}

/** The record a store gives back for a new alert it opened. */
export function opened(a: NewAlert): AlertRecord {
  return { ...a, status: "open", lastWindow: a.window, breaches: 1, updatedAt: a.openedAt };
}

/** A fresh store from `factory` holding a monitor for each name. */
export async function withMonitors(factory: () => Promise<MonitorStore>, ...names: string[]): Promise<MonitorStore> {
  const s = await factory();
  for (const name of names) await s.createMonitor(monitor(name));
  return s;
}

/** The error `promise` rejects with (fails the test when it resolves or rejects with something else). */
export async function failure(promise: Promise<unknown>): Promise<MlcycleError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (!isMlcycleError(outcome)) throw new Error(`expected an MlcycleError, got ${String(outcome)}`);
  return outcome;
}

/** The path of an error's first issue, dotted. */
export const pathOf = (e: MlcycleError): string => (e.issues[0]?.path ?? []).map(String).join(".");

/** Strings compared by their UTF-8 bytes: code point order, the order every store lists names in. */
export const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

import type { OnlineStore } from "../stores/online-store.js";
import type { FeatureStatus, OnlineFeatureRow, OnlineFeatures } from "./feature-types.js";
import { entityKeyAt, type SelectionPlan, sourceFeatures } from "./selection-plan.js";

/**
 * Reads a plan's features for a batch of entity rows from the online store, at clock time `now`.
 * A value older than its view's TTL comes back null with status `expired`, an absent one null with
 * `not_found`; each value carries its event time. On-demand features are computed from the entity
 * rows' request data and the stored values.
 */
export async function readOnlineFeatures(
  online: OnlineStore,
  plan: SelectionPlan,
  entityRows: ReadonlyArray<Record<string, unknown>>,
  now: number,
): Promise<OnlineFeatures> {
  const n = entityRows.length;
  const rows = new Array<OnlineFeatureRow>(n);
  // One view and no computed features: every row's statuses are one of three shapes, shared.
  const shared = plan.stored.length === 1 && plan.onDemand.length === 0 ? statusShapes(plan) : undefined;
  for (let i = 0; i < n; i++) rows[i] = { values: {}, status: shared ? shared.present : {}, eventTime: {} };
  const sources = plan.onDemand.length ? entityRows.map(() => ({}) as Record<string, unknown>) : undefined;
  for (const group of plan.stored) {
    const view = group.resolved;
    const keys = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = entityKeyAt(view, entityRows[i], i);
    const records = online.readSync ? online.readSync(view.def.name, keys) : await online.read(view.def.name, keys);
    const ttl = view.def.ttlMs;
    for (let i = 0; i < n; i++) {
      const rec = records[i];
      const status: FeatureStatus = !rec ? "not_found" : ttl > 0 && now - rec.eventTime > ttl ? "expired" : "present";
      const values = status === "present" ? rec!.values : undefined;
      const out = rows[i];
      const eventTime = rec ? rec.eventTime : null;
      if (shared) out.status = shared[status];
      for (const f of group.features) {
        const v = values ? (values[f.feature] ?? null) : null;
        if (f.column !== undefined) {
          out.values[f.column] = v;
          if (!shared) (out.status as Record<string, FeatureStatus>)[f.column] = status;
          out.eventTime[f.column] = eventTime;
        }
        if (sources) sources[i][`${group.view}:${f.feature}`] = v;
      }
    }
  }
  for (const od of plan.onDemand) {
    for (let i = 0; i < n; i++) {
      const computed = od.view.evaluate(entityRows[i], sourceFeatures(od.view, sources![i]), ["entityRows", i]);
      const out = rows[i];
      for (const f of od.features) {
        out.values[f.column] = computed[f.feature] ?? null;
        (out.status as Record<string, FeatureStatus>)[f.column] = "present";
        out.eventTime[f.column] = null;
      }
    }
  }
  return { columns: plan.columns, rows };
}

const shapes = new WeakMap<SelectionPlan, Record<FeatureStatus, Readonly<Record<string, FeatureStatus>>>>();

/** The three frozen status objects of a one-view plan (every column has its view's status). */
function statusShapes(plan: SelectionPlan): Record<FeatureStatus, Readonly<Record<string, FeatureStatus>>> {
  let s = shapes.get(plan);
  if (!s) {
    const of = (status: FeatureStatus) => Object.freeze(Object.fromEntries(plan.columns.map((c) => [c, status])));
    s = { present: of("present"), expired: of("expired"), not_found: of("not_found") };
    shapes.set(plan, s);
  }
  return s;
}

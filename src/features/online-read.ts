import type { OnlineRecord, OnlineStore } from "../stores/online-store.js";
import type { FeatureStatus, OnlineFeatureRow, OnlineFeatures } from "./feature-types.js";
import { entityKeyAt, type PlanGroup, type SelectionPlan, sourceFeatures } from "./selection-plan.js";

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
  if (online.readSync) return readOnlineFeaturesSync(online as SyncOnlineStore, plan, entityRows, now);
  const records = new Array<Array<OnlineRecord | undefined>>(plan.stored.length);
  for (let g = 0; g < plan.stored.length; g++) {
    const group = plan.stored[g];
    records[g] = await online.read(group.resolved.def.name, keysOf(group, entityRows));
  }
  return assemble(plan, entityRows, records, now);
}

/** An online store that reads synchronously. */
export type SyncOnlineStore = OnlineStore & { readSync: NonNullable<OnlineStore["readSync"]> };

/**
 * {@link readOnlineFeatures} for a store that reads synchronously (`readSync`): the same answer
 * without a promise, for the serving hot path.
 */
export function readOnlineFeaturesSync(
  online: SyncOnlineStore,
  plan: SelectionPlan,
  entityRows: ReadonlyArray<Record<string, unknown>>,
  now: number,
): OnlineFeatures {
  const single = layoutOf(plan).single;
  if (single) {
    const group = plan.stored[0];
    return assembleSingle(plan, single, online.readSync(group.resolved.def.name, keysOf(group, entityRows)), now);
  }
  const records = new Array<Array<OnlineRecord | undefined>>(plan.stored.length);
  for (let g = 0; g < plan.stored.length; g++) {
    const group = plan.stored[g];
    records[g] = online.readSync(group.resolved.def.name, keysOf(group, entityRows));
  }
  return assemble(plan, entityRows, records, now);
}

function keysOf(group: PlanGroup, entityRows: ReadonlyArray<Record<string, unknown>>): string[] {
  const view = group.resolved;
  const keys = new Array<string>(entityRows.length);
  for (let i = 0; i < entityRows.length; i++) keys[i] = entityKeyAt(view, entityRows[i], i);
  return keys;
}

/** The output rows from the records each stored group read (in `plan.stored` order). */
function assemble(
  plan: SelectionPlan,
  entityRows: ReadonlyArray<Record<string, unknown>>,
  records: ReadonlyArray<ReadonlyArray<OnlineRecord | undefined>>,
  now: number,
): OnlineFeatures {
  const layout = layoutOf(plan);
  if (layout.single) return assembleSingle(plan, layout.single, records[0], now);
  const n = entityRows.length;
  const rows = new Array<OnlineFeatureRow>(n);
  for (let i = 0; i < n; i++) rows[i] = { values: {}, status: {}, eventTime: {} };
  const sources = plan.onDemand.length ? entityRows.map(() => ({}) as Record<string, unknown>) : undefined;
  for (let g = 0; g < plan.stored.length; g++) {
    const group = plan.stored[g];
    const ttl = group.resolved.def.ttlMs;
    const groupRecords = records[g];
    for (let i = 0; i < n; i++) {
      const rec = groupRecords[i];
      const status: FeatureStatus = !rec ? "not_found" : ttl > 0 && now - rec.eventTime > ttl ? "expired" : "present";
      const values = status === "present" ? rec!.values : undefined;
      const out = rows[i];
      const eventTime = rec ? rec.eventTime : null;
      for (const f of group.features) {
        const v = values ? (values[f.feature] ?? null) : null;
        if (f.column !== undefined) {
          out.values[f.column] = v;
          (out.status as Record<string, FeatureStatus>)[f.column] = status;
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

/**
 * The rows of a one-view plan without on-demand features (the common serving call): every column
 * has its view's status and event time, so the statuses are one of three shared frozen objects, and
 * a row's values and event times are each built by one object literal holding every column,
 * compiled once per plan (one allocation, the stored values read by name); where code cannot be
 * generated, rows start as copies of a template holding every column, filled through arrays laid
 * out once per plan.
 */
function assembleSingle(
  plan: SelectionPlan,
  single: SingleLayout,
  records: ReadonlyArray<OnlineRecord | undefined>,
  now: number,
): OnlineFeatures {
  const { features, columns, template, ttl, status: shapes, build } = single;
  const m = features.length;
  const n = records.length;
  const rows = new Array<OnlineFeatureRow>(n);
  for (let i = 0; i < n; i++) {
    const rec = records[i];
    let values: Record<string, unknown>;
    let eventTime: Record<string, number | null>;
    let status = shapes.not_found;
    if (!rec) {
      values = { ...template };
      eventTime = { ...template };
    } else {
      const t = rec.eventTime;
      const present = !(ttl > 0 && now - t > ttl);
      status = present ? shapes.present : shapes.expired;
      if (build) {
        values = present ? build.values(rec.values) : { ...template };
        eventTime = build.times(t);
      } else {
        values = { ...template };
        eventTime = { ...template };
        for (let j = 0; j < m; j++) eventTime[columns[j]] = t;
        if (present) {
          const stored = rec.values;
          for (let j = 0; j < m; j++) values[columns[j]] = stored[features[j]] ?? null;
        }
      }
    }
    rows[i] = { values, status, eventTime };
  }
  return { columns: plan.columns, rows };
}

/** What a one-view plan's rows are built from, laid out once per plan. */
interface SingleLayout {
  /** The stored feature of each output column, in column order. */
  features: string[];
  columns: string[];
  /** Every column set to null, in column order: each row's values and event times start as a copy. */
  template: Readonly<Record<string, null>>;
  ttl: number;
  status: Record<FeatureStatus, Readonly<Record<string, FeatureStatus>>>;
  /** The compiled row builders, when code could be generated. */
  build?: RowBuilders;
}

interface RowBuilders {
  /** Every column (in the plan's order) set to its stored feature's value, null when absent. */
  values(stored: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** Every column set to `t`. */
  times(t: number): Record<string, number | null>;
}

/** Columns beyond which rows are filled from the template (an object literal that large gains nothing). */
const MAX_COMPILED_COLUMNS = 128;

/**
 * Compiles the two object literals of a one-view plan's rows, keys in the plan's column order (the
 * template's), each feature read by name. Undefined when a name cannot be a plain literal key
 * (`__proto__` would set the prototype), when there are too many columns, or where `new Function`
 * may not run (a policy forbidding it).
 */
function compileRowBuilders(
  columns: readonly string[],
  featureOf: ReadonlyMap<string, string>,
): RowBuilders | undefined {
  if (columns.length > MAX_COMPILED_COLUMNS) return undefined;
  const values: string[] = [];
  const times: string[] = [];
  for (const c of columns) {
    const f = featureOf.get(c);
    if (f === undefined || c === "__proto__") return undefined;
    const key = JSON.stringify(c);
    values.push(`${key}: s[${JSON.stringify(f)}] ?? null`);
    times.push(`${key}: t`);
  }
  try {
    return new Function(
      `"use strict";\nreturn {\nvalues(s) { return { ${values.join(", ")} }; },\ntimes(t) { return { ${times.join(", ")} }; },\n};`,
    )() as RowBuilders;
  } catch {
    return undefined;
  }
}

const layouts = new WeakMap<SelectionPlan, { single?: SingleLayout }>();

/** The plan's layout: a {@link SingleLayout} when it reads one view and computes nothing. */
function layoutOf(plan: SelectionPlan): { single?: SingleLayout } {
  let layout = layouts.get(plan);
  if (!layout) {
    layout = {};
    const group = plan.stored[0];
    if (plan.stored.length === 1 && plan.onDemand.length === 0 && group.features.every((f) => f.column !== undefined)) {
      const of = (v: FeatureStatus | null) => Object.fromEntries(plan.columns.map((c) => [c, v]));
      layout.single = {
        features: group.features.map((f) => f.feature),
        columns: group.features.map((f) => f.column as string),
        // Not frozen: it is never handed out, and copying a frozen object leaves V8's fast path.
        template: of(null) as Record<string, null>,
        ttl: group.resolved.def.ttlMs,
        status: {
          present: Object.freeze(of("present")),
          expired: Object.freeze(of("expired")),
          not_found: Object.freeze(of("not_found")),
        } as Record<FeatureStatus, Readonly<Record<string, FeatureStatus>>>,
      };
      const featureOf = new Map(group.features.map((f) => [f.column as string, f.feature] as const));
      const build = compileRowBuilders(plan.columns, featureOf);
      if (build) layout.single.build = build;
    }
    layouts.set(plan, layout);
  }
  return layout;
}

import { invalid, MlcycleError } from "../core/errors.js";
import { checkJsonValue, checkName, checkRecord, checkText } from "../core/validation.js";
import type {
  AggregateSums,
  NewOnlineExperiment,
  OnlineExperimentEventRecord,
  OnlineExperimentPatch,
  OnlineExperimentRecord,
  OnlineExperimentStatus,
  OnlineVariantRecord,
  VariantAggregateRecord,
} from "./online-experiment-store.js";
import { compareCodePoints, storedJson } from "./prediction-log-rules.js";

/**
 * The checks every online experiment store applies, so memory, SQL and third-party stores refuse the
 * same input with the same `VALIDATION` or `CONFLICT`.
 */

const KINDS = new Set(["split", "canary", "shadow", "bandit"]);
const STATUSES = new Set(["running", "stopped", "completed", "rolled_back"]);

// Integers are safe integers (at most 2^53 - 1): what a number holds exactly and a 64-bit column
// stores, so every store reads back the value it was given.

function checkTime(what: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw invalid([what], `must be a time in ms since the epoch (a non-negative safe integer), got ${String(v)}`);
}

/** A plain object whose JSON text reads back as an object (a `toJSON` turning it into a string is refused). */
function checkObject(what: string, v: unknown): void {
  checkRecord(what, v, "a JSON object");
  checkJsonValue(what, v);
  const read = storedJson(v);
  if (typeof read !== "object" || read === null || Array.isArray(read))
    throw invalid([what], "must be a JSON object: its toJSON() gives something else");
}

/**
 * Checks the variants of an experiment: at least one, unique names, finite weights ≥ 0. `what` is
 * the path the errors name (`variants`, or `patch.variants` in an update).
 */
export function checkVariants(variants: unknown, what = "variants"): void {
  if (!Array.isArray(variants) || variants.length === 0) throw invalid([what], "must be a non-empty array");
  const names = new Set<string>();
  variants.forEach((v: unknown, i) => {
    const at = `${what}.${i}`;
    if (typeof v !== "object" || v === null) throw invalid([at], "must be a variant { name, ref, weight }");
    const { name, ref, weight } = v as Record<string, unknown>;
    checkName(`${at}.name`, name);
    checkName(`${at}.ref`, ref);
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0)
      throw invalid([`${at}.weight`], `must be a finite number ≥ 0, got ${String(weight)}`);
    if (names.has(name as string)) throw invalid([`${at}.name`], `'${String(name)}' is used by another variant`);
    names.add(name as string);
  });
}

/** Checks a new experiment. */
export function checkNewExperiment(e: NewOnlineExperiment): void {
  if (typeof e !== "object" || e === null) throw invalid(["experiment"], "must be an experiment record");
  checkName("id", e.id);
  checkName("name", e.name);
  checkName("deployment", e.deployment);
  if (!KINDS.has(e.kind)) throw invalid(["kind"], "must be split, canary, shadow or bandit");
  if (!STATUSES.has(e.status)) throw invalid(["status"], "must be running, stopped, completed or rolled_back");
  checkText("salt", e.salt, 500);
  checkVariants(e.variants);
  checkObject("config", e.config);
  checkObject("state", e.state);
  checkTime("createdAt", e.createdAt);
}

/** Checks an update's revision, patch and event. */
export function checkPatch(
  expectedRevision: number,
  patch: OnlineExperimentPatch,
  event?: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
): void {
  if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 1)
    throw invalid(["expectedRevision"], `must be a positive integer, got ${String(expectedRevision)}`);
  if (typeof patch !== "object" || patch === null) throw invalid(["patch"], "must be an object");
  if (patch.status !== undefined && !STATUSES.has(patch.status))
    throw invalid(["patch", "status"], "must be running, stopped, completed or rolled_back");
  if (patch.variants !== undefined) checkVariants(patch.variants, "patch.variants");
  if (patch.config !== undefined) checkObject("patch.config", patch.config);
  if (patch.state !== undefined) checkObject("patch.state", patch.state);
  checkTime("patch.updatedAt", patch.updatedAt);
  if (event !== undefined) checkEvent(event);
}

/** Checks an audit trail entry. */
export function checkEvent(event: Omit<OnlineExperimentEventRecord, "seq" | "experiment">): void {
  if (typeof event !== "object" || event === null) throw invalid(["event"], "must be an event record");
  checkName("event.action", event.action);
  checkText("event.actor", event.actor, 500);
  checkText("event.reason", event.reason, 8000);
  checkObject("event.details", event.details);
  checkTime("event.at", event.at);
}

/** Checks aggregate deltas: names, and sums that are finite with n a non-negative integer. */
export function checkAggregateDeltas(deltas: readonly VariantAggregateRecord[]): void {
  if (!Array.isArray(deltas)) throw invalid(["deltas"], "must be an array of { variant, metric, sums }");
  deltas.forEach((d, i) => {
    const at = `deltas.${i}`;
    if (typeof d !== "object" || d === null) throw invalid([at], "must be { variant, metric, sums }");
    checkName(`${at}.variant`, d.variant);
    checkName(`${at}.metric`, d.metric);
    if (typeof d.sums !== "object" || d.sums === null) throw invalid([`${at}.sums`], "must be an object of sums");
    for (const k of SUM_KEYS) {
      const v = d.sums[k];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw invalid([`${at}.sums.${k}`], `must be a finite number, got ${String(v)}`);
    }
    if (!Number.isSafeInteger(d.sums.n) || d.sums.n < 0)
      throw invalid([`${at}.sums.n`], `must be a non-negative safe integer, got ${String(d.sums.n)}`);
  });
}

/** Checks the filter of `listExperiments`. */
export function checkExperimentFilter(filter: { deployment?: string; status?: OnlineExperimentStatus }): void {
  if (typeof filter !== "object" || filter === null) throw invalid(["filter"], "must be an object");
  if (filter.deployment !== undefined) checkName("deployment", filter.deployment);
  if (filter.status !== undefined && !STATUSES.has(filter.status))
    throw invalid(["status"], "must be running, stopped, completed or rolled_back");
}

/** The members of {@link AggregateSums}, in storage order. */
export const SUM_KEYS = ["n", "sum", "sumSquares", "covariateSum", "covariateSumSquares", "productSum"] as const;

/**
 * The deltas of one `addAggregates` call merged per (variant, metric), in the order each key first
 * appears, each the sum of its deltas in order starting from zero. Every store adds these to its
 * stored rows, so memory and SQL make the same floating-point additions in the same order (and a
 * SQL upsert never meets one key twice in a statement).
 */
export function mergeAggregateDeltas(deltas: readonly VariantAggregateRecord[]): VariantAggregateRecord[] {
  const merged = new Map<string, VariantAggregateRecord>();
  for (const d of deltas) {
    const key = aggregateKey(d.variant, d.metric);
    const prev = merged.get(key);
    merged.set(key, { variant: d.variant, metric: d.metric, sums: addSums(prev?.sums ?? zeroSums(), d.sums) });
  }
  return [...merged.values()];
}

/** A (variant, metric) pair as one map key. */
export function aggregateKey(variant: string, metric: string): string {
  return `${variant}\u0000${metric}`;
}

/** The order of `getAggregates` in every store: by variant, then metric, each by code point. */
export function compareAggregates(a: VariantAggregateRecord, b: VariantAggregateRecord): number {
  return compareCodePoints(a.variant, b.variant) || compareCodePoints(a.metric, b.metric);
}

/**
 * The order of `listExperiments` in every store: by creation time, then id, then name (ids and
 * names by code point, the byte order of a SQL index on their UTF-8).
 */
export function compareExperiments(a: OnlineExperimentRecord, b: OnlineExperimentRecord): number {
  return a.createdAt - b.createdAt || compareCodePoints(a.id, b.id) || compareCodePoints(a.name, b.name);
}

// `-0` reads back as `0` from a SQL column (and from JSON): the stores keep `0`.
const num = (v: number): number => v + 0;

/** A (checked) variant as every store keeps it: its three members, in order, `-0` as `0`. */
export function storedVariant(v: OnlineVariantRecord): OnlineVariantRecord {
  return { name: v.name, ref: v.ref, weight: num(v.weight) };
}

/**
 * A (checked) experiment as every store keeps and returns it: its members only, in the order of
 * {@link OnlineExperimentRecord}, variants as {@link storedVariant} gives them, `config` and `state`
 * as their JSON text reads back (`storedJson`: `-0` as `0`, a `Date` as its ISO string, `undefined`
 * members dropped). A store writes this and reads back exactly it.
 */
export function storedExperiment(r: OnlineExperimentRecord): OnlineExperimentRecord {
  return {
    id: r.id,
    name: r.name,
    deployment: r.deployment,
    kind: r.kind,
    status: r.status,
    salt: r.salt,
    variants: r.variants.map(storedVariant),
    config: storedJson(r.config) as Record<string, unknown>,
    state: storedJson(r.state) as Record<string, unknown>,
    revision: r.revision,
    createdAt: num(r.createdAt),
    updatedAt: num(r.updatedAt),
  };
}

/** A (checked) trail entry as every store keeps it (see {@link storedExperiment}). */
export function storedEvent(
  experiment: string,
  seq: number,
  e: Omit<OnlineExperimentEventRecord, "seq" | "experiment">,
): OnlineExperimentEventRecord {
  return {
    seq,
    experiment,
    action: e.action,
    actor: e.actor,
    reason: e.reason,
    details: storedJson(e.details) as Record<string, unknown>,
    at: num(e.at),
  };
}

/** Zero sums. */
export function zeroSums(): AggregateSums {
  return { n: 0, sum: 0, sumSquares: 0, covariateSum: 0, covariateSumSquares: 0, productSum: 0 };
}

/** `a + b`, member by member. */
export function addSums(a: AggregateSums, b: AggregateSums): AggregateSums {
  return {
    n: a.n + b.n,
    sum: a.sum + b.sum,
    sumSquares: a.sumSquares + b.sumSquares,
    covariateSum: a.covariateSum + b.covariateSum,
    covariateSumSquares: a.covariateSumSquares + b.covariateSumSquares,
    productSum: a.productSum + b.productSum,
  };
}

/** The `CONFLICT` of a stale compare-and-set. */
export function staleRevision(name: string, expected: number, stored: number): MlcycleError {
  return new MlcycleError(
    "CONFLICT",
    `online experiment '${name}' is at revision ${stored}, not ${expected}: another writer changed it; read it again`,
    { details: { experiment: name, expected, revision: stored } },
  );
}

/** The `CONFLICT` of a taken name. */
export function nameTaken(name: string): MlcycleError {
  return new MlcycleError("CONFLICT", `an online experiment named '${name}' already exists`, {
    details: { experiment: name },
  });
}

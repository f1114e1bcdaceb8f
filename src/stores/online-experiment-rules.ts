import { invalid, MlcycleError } from "../core/errors.js";
import { checkJsonValue, checkName, checkText } from "../core/validation.js";
import type {
  AggregateSums,
  NewOnlineExperiment,
  OnlineExperimentEventRecord,
  OnlineExperimentPatch,
  VariantAggregateRecord,
} from "./online-experiment-store.js";

/**
 * The checks every online experiment store applies, so memory, SQL and third-party stores refuse the
 * same input with the same `VALIDATION` or `CONFLICT`.
 */

const KINDS = new Set(["split", "canary", "shadow", "bandit"]);
const STATUSES = new Set(["running", "stopped", "completed", "rolled_back"]);

function checkTime(what: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw invalid([what], `must be a time in ms since the epoch (a non-negative integer), got ${String(v)}`);
}

function checkObject(what: string, v: unknown): void {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid([what], "must be a JSON object");
  checkJsonValue(what, v);
}

/** Checks the variants of an experiment: at least one, unique names, finite weights ≥ 0. */
export function checkVariants(variants: unknown): void {
  if (!Array.isArray(variants) || variants.length === 0) throw invalid(["variants"], "must be a non-empty array");
  const names = new Set<string>();
  variants.forEach((v: unknown, i) => {
    const at = `variants.${i}`;
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
  if (!Number.isInteger(expectedRevision) || expectedRevision < 1)
    throw invalid(["expectedRevision"], `must be a positive integer, got ${String(expectedRevision)}`);
  if (typeof patch !== "object" || patch === null) throw invalid(["patch"], "must be an object");
  if (patch.status !== undefined && !STATUSES.has(patch.status))
    throw invalid(["patch", "status"], "must be running, stopped, completed or rolled_back");
  if (patch.variants !== undefined) checkVariants(patch.variants);
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
    if (!Number.isInteger(d.sums.n) || d.sums.n < 0) throw invalid([`${at}.sums.n`], "must be a non-negative integer");
  });
}

/** The members of {@link AggregateSums}, in storage order. */
export const SUM_KEYS = ["n", "sum", "sumSquares", "covariateSum", "covariateSumSquares", "productSum"] as const;

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

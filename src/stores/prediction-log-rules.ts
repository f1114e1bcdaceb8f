import { invalid } from "../core/errors.js";
import { checkJsonValue, checkName } from "../core/validation.js";
import {
  type FeedbackRecord,
  PREDICTION_PAGE_DEFAULT,
  PREDICTION_PAGE_MAX,
  type PredictionModelRef,
  type PredictionQuery,
  type PredictionRecord,
} from "./prediction-log-store.js";

/**
 * The checks every prediction log store applies, so memory, SQL and third-party stores refuse the
 * same input with the same `VALIDATION`.
 */

const PAYLOAD_STATES = new Set(["full", "sampled_out", "truncated"]);

// Integers are safe integers (at most 2^53 - 1): what a number holds exactly and a 64-bit column
// stores, so every store reads back the value it was given.

function checkTime(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw invalid([what], `must be a time in ms since the epoch (a non-negative safe integer), got ${String(v)}`);
  return v;
}

function checkVersion(what: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1)
    throw invalid([what], `must be a positive safe integer, got ${String(v)}`);
}

/** `VALIDATION` naming the first member of a prediction record that is not well formed. */
export function checkPredictionRecord(r: PredictionRecord, i = 0): void {
  const at = (k: string) => `predictions.${i}.${k}`;
  if (typeof r !== "object" || r === null) throw invalid([`predictions.${i}`], "must be a prediction record");
  checkName(at("id"), r.id);
  checkName(at("deployment"), r.deployment);
  checkName(at("model"), r.model);
  checkVersion(at("version"), r.version);
  checkName(at("versionId"), r.versionId);
  if (r.variant !== undefined) checkName(at("variant"), r.variant);
  if (!Number.isSafeInteger(r.rows) || r.rows < 0)
    throw invalid([at("rows")], `must be a non-negative safe integer, got ${String(r.rows)}`);
  if (typeof r.latencyMs !== "number" || !Number.isFinite(r.latencyMs) || r.latencyMs < 0)
    throw invalid([at("latencyMs")], `must be a non-negative number of ms, got ${String(r.latencyMs)}`);
  checkTime(at("at"), r.at);
  if (!PAYLOAD_STATES.has(r.payload)) throw invalid([at("payload")], "must be full, sampled_out or truncated");
  if (r.inputs !== undefined) checkJsonValue(at("inputs"), r.inputs);
  if (r.outputs !== undefined) checkJsonValue(at("outputs"), r.outputs);
  if (r.models !== undefined) {
    if (!Array.isArray(r.models)) throw invalid([at("models")], "must be an array of model versions");
    r.models.forEach((m, j) => {
      checkName(`${at("models")}.${j}.model`, m?.model);
      checkVersion(`${at("models")}.${j}.version`, m?.version);
      checkName(`${at("models")}.${j}.versionId`, m?.versionId);
      if (m.step !== undefined) checkName(`${at("models")}.${j}.step`, m.step);
    });
  }
}

/** `VALIDATION` naming the first member of a feedback record that is not well formed. */
export function checkFeedbackRecord(f: FeedbackRecord, i = 0): void {
  const at = (k: string) => `feedback.${i}.${k}`;
  if (typeof f !== "object" || f === null) throw invalid([`feedback.${i}`], "must be a feedback record");
  checkName(at("predictionId"), f.predictionId);
  if (f.label === undefined && f.outcome === undefined)
    throw invalid([`feedback.${i}`], "must give a label or an outcome");
  if (f.label !== undefined) checkJsonValue(at("label"), f.label);
  if (f.outcome !== undefined && (typeof f.outcome !== "number" || !Number.isFinite(f.outcome)))
    throw invalid([at("outcome")], `must be a finite number, got ${String(f.outcome)}`);
  checkTime(at("at"), f.at);
}

/** Checks every record of a batch given to `putPredictions`. */
export function checkPredictionBatch(records: readonly PredictionRecord[]): void {
  if (!Array.isArray(records)) throw invalid(["predictions"], "must be an array of prediction records");
  for (let i = 0; i < records.length; i++) checkPredictionRecord(records[i], i);
}

/** Checks every record of a batch given to `putFeedback`. */
export function checkFeedbackBatch(records: readonly FeedbackRecord[]): void {
  if (!Array.isArray(records)) throw invalid(["feedback"], "must be an array of feedback records");
  for (let i = 0; i < records.length; i++) checkFeedbackRecord(records[i], i);
}

/** A query with its page size and decoded cursor. */
export interface CheckedPredictionQuery extends PredictionQuery {
  limit: number;
  /** Predictions strictly after (at, id). */
  after?: { at: number; id: string };
}

/** Checks a query and decodes its page token (`VALIDATION` for a bad one). */
export function checkPredictionQuery(query: PredictionQuery = {}): CheckedPredictionQuery {
  if (typeof query !== "object" || query === null) throw invalid(["query"], "must be an object");
  for (const k of ["deployment", "model", "variant"] as const) if (query[k] !== undefined) checkName(k, query[k]);
  if (query.version !== undefined) checkVersion("version", query.version);
  if (query.from !== undefined) checkTime("from", query.from);
  if (query.to !== undefined) checkTime("to", query.to);
  if (query.withFeedback !== undefined && typeof query.withFeedback !== "boolean")
    throw invalid(["withFeedback"], "must be a boolean");
  const limit = query.limit ?? PREDICTION_PAGE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > PREDICTION_PAGE_MAX)
    throw invalid(["limit"], `must be an integer from 1 to ${PREDICTION_PAGE_MAX}, got ${String(limit)}`, "too_big");
  const out: CheckedPredictionQuery = { ...query, limit };
  if (query.pageToken !== undefined) out.after = decodePredictionPageToken(query.pageToken);
  return out;
}

/** The opaque token of the page after the prediction (at, id). */
export function encodePredictionPageToken(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), "utf8").toString("base64url");
}

function decodePredictionPageToken(token: unknown): { at: number; id: string } {
  const bad = () => invalid(["pageToken"], "is not a page token of this prediction log");
  if (typeof token !== "string" || token.length === 0 || token.length > 1000) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    parsed[0] < 0 ||
    typeof parsed[1] !== "string"
  )
    throw bad();
  return { at: parsed[0], id: parsed[1] };
}

/** Merges new feedback into stored feedback (see `PredictionLogStore.putFeedback`). */
export function mergeFeedback(stored: FeedbackRecord | undefined, next: FeedbackRecord): FeedbackRecord {
  const merged: FeedbackRecord = { predictionId: next.predictionId, at: Math.max(stored?.at ?? 0, next.at) };
  const label = next.label !== undefined ? next.label : stored?.label;
  const outcome = next.outcome !== undefined ? next.outcome : stored?.outcome;
  if (label !== undefined) merged.label = label;
  if (outcome !== undefined) merged.outcome = outcome;
  return merged;
}

/**
 * The order of predictions in every store: by time, then by id compared code point by code point
 * (which is the byte order of the ids' UTF-8, the order a SQL index on a binary-collated column
 * keeps; JavaScript's `<` compares UTF-16 code units, which differs for characters past U+FFFF).
 */
export function comparePredictionOrder(a: { at: number; id: string }, b: { at: number; id: string }): number {
  return a.at - b.at || compareCodePoints(a.id, b.id);
}

/** `a` and `b` compared by code point (well-formed strings: no lone surrogate). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// A code unit's rank in code point order: surrogates (which start characters past U+FFFF) after
// every other code unit, the units from U+E000 moved down into the gap they leave.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

/**
 * A JSON value as every store gives it back: what `JSON.parse(JSON.stringify(value))` is, the
 * stored text read back. `-0` becomes `0`, a `Date` its ISO string (any `toJSON` is followed), a
 * member that is `undefined` is dropped. The value has passed `checkJsonValue`.
 */
export function storedJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

// `-0` reads back as `0` from a SQL column (and from JSON): the stores keep `0`.
const num = (v: number): number => v + 0;

/**
 * A (checked) prediction record as every store keeps and returns it: its members only, in this
 * order, optional ones absent when not given, JSON members as {@link storedJson} gives them, `-0`
 * as `0`. A store writes this and reads back exactly it.
 */
export function storedPrediction(r: PredictionRecord): PredictionRecord {
  const out: PredictionRecord = {
    id: r.id,
    deployment: r.deployment,
    model: r.model,
    version: r.version,
    versionId: r.versionId,
    rows: num(r.rows),
    payload: r.payload,
    latencyMs: num(r.latencyMs),
    at: num(r.at),
  };
  if (r.variant !== undefined) out.variant = r.variant;
  if (r.models !== undefined) out.models = r.models.map(storedModelRef);
  if (r.inputs !== undefined) out.inputs = storedJson(r.inputs);
  if (r.outputs !== undefined) out.outputs = storedJson(r.outputs);
  return out;
}

/** A (checked) model reference as every store keeps it (see {@link storedPrediction}). */
export function storedModelRef(m: PredictionModelRef): PredictionModelRef {
  const out: PredictionModelRef = { model: m.model, version: m.version, versionId: m.versionId };
  if (m.step !== undefined) out.step = m.step;
  return out;
}

/** A (checked) feedback record as every store keeps it (see {@link storedPrediction}). */
export function storedFeedback(f: FeedbackRecord): FeedbackRecord {
  const out: FeedbackRecord = { predictionId: f.predictionId, at: num(f.at) };
  if (f.label !== undefined) out.label = storedJson(f.label);
  if (f.outcome !== undefined) out.outcome = num(f.outcome);
  return out;
}

import type { z } from "zod";
import { invalid, isMlcycleError, issueFromZod, MlcycleError, type MlcycleIssue } from "../core/errors.js";
import type { FeatureViewDefinition, JoinKey } from "../stores/feature-registry-store.js";
import type { OfflineRow } from "../stores/offline-store.js";
import { encodeEntityKey } from "./entity-key.js";
import type { FeatureSource, SourceSpec } from "./sources/feature-source.js";
import { jsonValueProblem } from "./json-value.js";
import { isEpochMs, toEpochMs } from "./timestamps.js";

/** Rows to ingest: an array, any iterable, or an async iterable (a stream, a cursor), read in chunks. */
export type RowSource<T = Record<string, unknown>> = Iterable<T> | AsyncIterable<T>;

/** Yields the items of a {@link RowSource} in arrays of at most `size`, holding one chunk at a time. */
export async function* chunked<T>(source: RowSource<T>, size: number): AsyncIterable<T[]> {
  let chunk: T[] = [];
  if (Symbol.asyncIterator in source) {
    for await (const item of source as AsyncIterable<T>) {
      chunk.push(item);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  } else {
    for (const item of source as Iterable<T>) {
      chunk.push(item);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** A view resolved for reading and writing: its definition, join keys and row validator. */
export interface ResolvedView {
  def: FeatureViewDefinition;
  joinKeys: JoinKey[];
  /** Validates the features of one row. */
  validator: z.ZodType;
  featureNames: string[];
  loadedAt: number;
  /** The spec of the source the view reads its rows from, when it has one. */
  sourceSpec?: SourceSpec;
  /** That source, when this process has it (applied here, or rebuilt from its spec). */
  source?: FeatureSource;
}

/**
 * Converts user rows (join keys, timestamps and features in one object) to offline rows, validating
 * every row of the chunk before returning. Throws one `VALIDATION` error naming the first bad row's
 * index in the whole input (`firstIndex` + position) with zod's issues, so nothing of a bad chunk is
 * stored.
 */
export function toOfflineRows(
  view: ResolvedView,
  rows: readonly Record<string, unknown>[],
  firstIndex: number,
  now: number,
): OfflineRow[] {
  const out: OfflineRow[] = new Array(rows.length);
  const { def } = view;
  for (let i = 0; i < rows.length; i++) {
    const index = firstIndex + i;
    const row = rows[i];
    if (typeof row !== "object" || row === null || Array.isArray(row))
      throw invalid([index], `row ${index} of '${def.name}' must be an object`);
    const entityKey = encodeEntityKey(view.joinKeys, row, [index]);
    const event = row[def.timestampField];
    const eventTime = isEpochMs(event) ? event : rowTime(def.name, event, index, def.timestampField);
    const created = row[def.createdTimestampField];
    const createdTime =
      created === undefined || created === null
        ? now
        : isEpochMs(created)
          ? created
          : rowTime(def.name, created, index, def.createdTimestampField);
    const features: Record<string, unknown> = {};
    for (const f of view.featureNames) if (f in row) features[f] = row[f];
    const parsed = view.validator.safeParse(features);
    if (!parsed.success) {
      const issues: MlcycleIssue[] = parsed.error.issues.map((iss) => issueFromZod(iss, [index]));
      const first = issues[0];
      throw new MlcycleError(
        "VALIDATION",
        `row ${index} of '${def.name}' does not fit the view's schema: ${first.path.slice(1).map(String).join(".") || "(row)"}: ${first.message}`,
        { issues, details: { view: def.name, rowIndex: index }, cause: parsed.error },
      );
    }
    const values = parsed.data as Record<string, unknown>;
    for (const f in values) {
      const v = values[f];
      const t = typeof v;
      // JSON has no -0: the SQL stores would serve 0 where the memory store served -0, so both get 0.
      if (v === 0) values[f] = 0;
      // Strings, booleans and finite numbers (nearly every value) need no walk.
      else if (t === "number" ? !Number.isFinite(v) : t !== "string" && t !== "boolean" && v != null) {
        const problem = jsonValueProblem(v);
        if (problem)
          throw new MlcycleError("VALIDATION", `row ${index} of '${def.name}': feature ${f} ${problem}`, {
            issues: [{ code: "invalid_value", path: [index, f], message: `${f} ${problem}` }],
            details: { view: def.name, rowIndex: index, field: f },
          });
      }
    }
    out[i] = { entityKey, eventTime, createdTime, values };
  }
  return out;
}

/** A row's event or created time that is not a plain epoch-ms integer: converted, or `VALIDATION` naming the row and field. */
function rowTime(view: string, value: unknown, index: number, field: string): number {
  try {
    return toEpochMs(value, [index, field]);
  } catch (error) {
    if (!isMlcycleError(error)) throw error;
    const issue = error.issues[0];
    throw new MlcycleError("VALIDATION", `row ${index} of '${view}': ${field} ${issue.message}`, {
      issues: error.issues,
      details: { view, rowIndex: index, field },
    });
  }
}

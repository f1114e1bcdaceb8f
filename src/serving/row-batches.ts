import { MlcycleError } from "../core/errors.js";

/**
 * How micro-batching and batch prediction see inputs and outputs made of rows: an array of rows, or
 * a record name → array of rows (a model with named inputs, as ONNX's). Outputs split the same way:
 * an array (or typed array) with one item per row, or a record of them.
 */

/** The row shape of some inputs: calls of the same `key` can be merged into one model call. */
export interface RowShape {
  /** `[]` for an array of rows; the sorted input names for a record of them. */
  key: string;
  rows: number;
}

/** A typed array (Float32Array…), as a model may return one output row per item. */
type TypedArray = ArrayLike<unknown> & { slice(start?: number, end?: number): unknown };

function isRowArray(v: unknown): v is unknown[] | TypedArray {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The row shape of inputs, or undefined when they are not made of rows (a scalar, an empty array,
 * a record whose members are not arrays of the same length): such a call runs alone.
 */
export function rowShape(inputs: unknown): RowShape | undefined {
  if (Array.isArray(inputs)) return inputs.length > 0 ? { key: "[]", rows: inputs.length } : undefined;
  if (!isPlainRecord(inputs)) return undefined;
  const names = Object.keys(inputs);
  if (names.length === 0) return undefined;
  let rows = -1;
  for (const name of names) {
    const v = inputs[name];
    if (!Array.isArray(v) || v.length === 0 || (rows >= 0 && v.length !== rows)) return undefined;
    rows = v.length;
  }
  return { key: `{${names.sort().join(",")}}`, rows };
}

/** Merges inputs of one shape key into one model input (rows concatenated in order). */
export function mergeRows(parts: readonly unknown[]): unknown {
  const first = parts[0];
  if (Array.isArray(first)) {
    const out: unknown[] = [];
    for (const p of parts) for (const row of p as unknown[]) out.push(row);
    return out;
  }
  const out: Record<string, unknown[]> = {};
  for (const name of Object.keys(first as object)) {
    const rows: unknown[] = [];
    for (const p of parts) for (const row of (p as Record<string, unknown[]>)[name]) rows.push(row);
    out[name] = rows;
  }
  return out;
}

/**
 * Splits a model's outputs for merged inputs back into one part per call, by the calls' row
 * counts. `INTERNAL` when the outputs are not row-shaped with one row per input row: such a model
 * cannot be micro-batched.
 */
export function splitRows(outputs: unknown, counts: readonly number[], what: string): unknown[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const cut = (v: unknown[] | TypedArray): unknown[] => {
    const parts: unknown[] = [];
    let start = 0;
    for (const n of counts) {
      parts.push(v.slice(start, start + n));
      start += n;
    }
    return parts;
  };
  if (isRowArray(outputs) && outputs.length === total) return cut(outputs);
  if (isPlainRecord(outputs)) {
    const names = Object.keys(outputs);
    if (names.length > 0 && names.every((n) => isRowArray(outputs[n]) && (outputs[n] as unknown[]).length === total)) {
      const parts: Record<string, unknown>[] = counts.map(() => ({}));
      for (const n of names) {
        const cuts = cut(outputs[n] as unknown[]);
        for (let i = 0; i < cuts.length; i++) parts[i][n] = cuts[i];
      }
      return parts;
    }
  }
  throw new MlcycleError(
    "INTERNAL",
    `${what} returned outputs that cannot be split into the ${counts.length} calls of a micro-batch: expected an ` +
      `array with one item per input row (${total}), or a record of such arrays; turn batching off for this model`,
    { details: { rows: total, calls: counts.length } },
  );
}

/** The number of output rows, or undefined when outputs are not row-shaped. */
export function outputRowCount(outputs: unknown): number | undefined {
  if (isRowArray(outputs)) return outputs.length;
  if (!isPlainRecord(outputs)) return undefined;
  let rows: number | undefined;
  for (const v of Object.values(outputs)) {
    if (!isRowArray(v) || (rows !== undefined && v.length !== rows)) return undefined;
    rows = v.length;
  }
  return rows;
}

/** Row `i` of row-shaped outputs: the item of an array, or `{ name: item }` of a record. */
export function outputRow(outputs: unknown, i: number): unknown {
  if (isRowArray(outputs)) return (outputs as ArrayLike<unknown>)[i];
  const row: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(outputs as Record<string, unknown[]>)) row[name] = v[i];
  return row;
}

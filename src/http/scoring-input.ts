import { z } from "zod";
import { fromZodError, invalid } from "../index.js";
import { type CsvTable, inferCell, typedCell } from "./csv.js";
import type { InputShape } from "./input-shape.js";

/** The input formats of MLflow's scoring protocol, plus `entities` (feature-enriched serving). */
export const INPUT_FORMATS = ["dataframe_split", "dataframe_records", "instances", "inputs", "entities"] as const;

/** What a scoring request asks for once read. */
export type ScoringRequest =
  | { kind: "predict"; inputs: unknown; params?: Record<string, unknown> }
  | {
      kind: "entities";
      entities: Array<Record<string, unknown>>;
      values?: Array<Record<string, unknown>>;
      params?: Record<string, unknown>;
    };

/** A data frame as the protocol sends it: optional column names and rows of values. */
interface Frame {
  columns?: string[];
  rows: unknown[][];
  /** The request member it came from, for error paths. */
  from: string;
  /** Cells are strings to read (CSV). */
  text?: boolean;
}

const record = z.record(z.string(), z.unknown());
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const splitSchema = z.object({
  columns: z.array(z.string()).optional(),
  data: z.array(z.unknown()),
  index: z.array(z.unknown()).optional(),
});
const recordsSchema = z.array(record);
const entitiesSchema = z.array(record).min(1);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const e = fromZodError(r.error, what);
    for (const issue of e.issues) issue.path.unshift(what);
    throw e;
  }
  return r.data;
}

/**
 * Reads a JSON scoring request (MLflow's protocol): exactly one of `dataframe_split`,
 * `dataframe_records`, `instances`, `inputs` — or `entities` (with optional `values`) for a
 * deployment that reads its features itself — and optional `params`. The data is mapped onto the
 * model's inputs by its signature's {@link InputShape}. `VALIDATION` for anything malformed.
 */
export function readJsonRequest(body: unknown, shape: InputShape): ScoringRequest {
  if (!isRecord(body))
    throw invalid(
      [],
      `the body must be a JSON object with one of ${INPUT_FORMATS.slice(0, 4).join(", ")}; got ${Array.isArray(body) ? "an array" : typeof body}`,
    );
  const formats = INPUT_FORMATS.filter((f) => f in body);
  if (formats.length !== 1)
    throw invalid(
      [],
      `the body must have exactly one of ${INPUT_FORMATS.slice(0, 4).join(", ")} (or entities); got ${
        formats.length === 0 ? `keys ${JSON.stringify(Object.keys(body))}` : formats.join(" and ")
      }`,
    );
  let params: Record<string, unknown> | undefined;
  if (body.params !== undefined && body.params !== null) params = parse(record, body.params, "params");
  const format = formats[0];
  const value = body[format];
  switch (format) {
    case "dataframe_split": {
      const split = parse(splitSchema, value, format);
      const rows = split.data.map((row, i) => {
        if (Array.isArray(row)) return row;
        // One column sent as a flat list of values.
        if (split.columns?.length === 1 || (!split.columns && !Array.isArray(row))) return [row];
        throw invalid([format, "data", i], "each row must be an array of values");
      });
      if (split.columns)
        for (const [i, row] of rows.entries())
          if (row.length !== split.columns.length)
            throw invalid(
              [format, "data", i],
              `has ${row.length} values, and there are ${split.columns.length} columns`,
            );
      return withParams(
        { kind: "predict", inputs: fromFrame({ columns: split.columns, rows, from: format }, shape) },
        params,
      );
    }
    case "dataframe_records": {
      const records = parse(recordsSchema, value, format);
      return withParams({ kind: "predict", inputs: fromRecords(records, shape) }, params);
    }
    case "instances":
      return withParams({ kind: "predict", inputs: fromInstances(value, shape) }, params);
    case "inputs":
      return withParams({ kind: "predict", inputs: fromInputs(value, shape) }, params);
    default: {
      const entities = parse(entitiesSchema, value, "entities");
      let values: Array<Record<string, unknown>> | undefined;
      if (body.values !== undefined) {
        values = parse(z.array(record), body.values, "values");
        if (values.length !== entities.length)
          throw invalid(["values"], `has ${values.length} rows, and there are ${entities.length} entities`);
      }
      return { kind: "entities", entities, ...(values ? { values } : {}), ...(params ? { params } : {}) };
    }
  }
}

/** Reads a CSV scoring request: the header names the columns, as `dataframe_split` does. */
export function readCsvRequest(table: CsvTable, shape: InputShape): ScoringRequest {
  return {
    kind: "predict",
    inputs: fromFrame({ columns: table.columns, rows: table.rows, from: "csv", text: true }, shape),
  };
}

function withParams(
  request: { kind: "predict"; inputs: unknown },
  params: Record<string, unknown> | undefined,
): ScoringRequest {
  return params ? { ...request, params } : request;
}

/** The cell reader of a column: CSV text by the column's type, JSON values as they are. */
function cellReader(frame: Frame, type?: string): (v: unknown) => unknown {
  if (!frame.text) return (v) => v;
  return (v) => typedCell(v as string, type);
}

/** A data frame mapped onto the model's inputs. */
function fromFrame(frame: Frame, shape: InputShape): unknown {
  const { columns, rows } = frame;
  switch (shape.kind) {
    case "records": {
      if (!columns)
        throw invalid(
          [frame.from, "columns"],
          `are needed: the model takes rows as objects (${shape.columns.join(", ")})`,
        );
      const readers = columns.map((c) => cellReader(frame, shape.types[c]));
      return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, readers[i](row[i])])));
    }
    case "named": {
      if (!columns)
        throw invalid([frame.from, "columns"], `are needed: the model takes named inputs (${shape.names.join(", ")})`);
      const read = cellReader(frame);
      return Object.fromEntries(columns.map((c, i) => [c, rows.map((row) => read(row[i]))]));
    }
    default: {
      const read = frame.text ? inferCell : (v: unknown) => v;
      const order =
        shape.kind === "tensor" && shape.columns && columns ? positions(columns, shape.columns, frame.from) : undefined;
      if (!order) return frame.text ? rows.map((row) => row.map((v) => read(v as string))) : rows;
      return rows.map((row) => order.map((i) => (frame.text ? read(row[i] as string) : row[i])));
    }
  }
}

/** For each column of the signature, its index among the columns sent; `VALIDATION` when one is missing. */
function positions(sent: string[], wanted: string[], from: string): number[] {
  const missing = wanted.filter((c) => !sent.includes(c));
  if (missing.length > 0)
    throw invalid(
      [from, "columns"],
      `miss ${missing.join(", ")} (the model takes ${wanted.join(", ")}, in that order)`,
    );
  return wanted.map((c) => sent.indexOf(c));
}

/** `dataframe_records` mapped onto the model's inputs. */
function fromRecords(records: Array<Record<string, unknown>>, shape: InputShape): unknown {
  if (shape.kind === "records") return records;
  // The columns of the frame pandas would build: every key, in the order first seen.
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  const columns = [...seen];
  if (shape.kind === "named") return Object.fromEntries(columns.map((c) => [c, records.map((r) => r[c] ?? null)]));
  const order = shape.kind === "tensor" && shape.columns ? shape.columns : columns;
  if (shape.kind === "tensor" && shape.columns) positions(columns, shape.columns, "dataframe_records");
  return records.map((r) => order.map((c) => r[c] ?? null));
}

/**
 * `instances` (TF Serving's row format): a list of objects is a list of named rows — kept as rows
 * for a model that takes objects, turned into named tensors (input name → values) otherwise, as
 * MLflow does; anything else is the tensor itself.
 */
function fromInstances(value: unknown, shape: InputShape): unknown {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isRecord)) return value;
  if (shape.kind === "records") return value;
  const columns: Record<string, unknown[]> = {};
  const keys = new Set<string>();
  for (const item of value) for (const k of Object.keys(item)) keys.add(k);
  for (const k of keys) columns[k] = value.map((item) => item[k] ?? null);
  return columns;
}

/**
 * `inputs` (TF Serving's column format): the tensor, or an object of named tensors, passed as it is —
 * except for a model that takes rows as objects, for which an object of equally long columns is
 * turned into rows.
 */
function fromInputs(value: unknown, shape: InputShape): unknown {
  if (shape.kind !== "records" || !isRecord(value)) return value;
  const entries = Object.entries(value);
  if (entries.length === 0 || !entries.every(([, v]) => Array.isArray(v))) return value;
  const length = (entries[0][1] as unknown[]).length;
  for (const [k, v] of entries)
    if ((v as unknown[]).length !== length)
      throw invalid(["inputs", k], `has ${(v as unknown[]).length} values, and ${entries[0][0]} has ${length}`);
  return Array.from({ length }, (_, i) => Object.fromEntries(entries.map(([k, v]) => [k, (v as unknown[])[i]])));
}

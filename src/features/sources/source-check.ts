import { MlcycleError } from "../../core/errors.js";
import type { JoinKey } from "../../stores/feature-registry-store.js";
import type { SourceColumnKind, SourceColumn } from "../../stores/offline-engine.js";
import type { ResolvedView } from "../rows.js";
import type { FeatureSource } from "./feature-source.js";
import { kindOfValue } from "./source-values.js";

/** Kinds a column may have to hold a value of each JSON Schema type (`text` and `unknown` fit all). */
const FITS: Record<string, readonly SourceColumnKind[]> = {
  integer: ["integer"],
  number: ["integer", "number"],
  string: ["string"],
  boolean: ["boolean"],
  array: ["list", "json"],
  object: ["struct", "json"],
};
const TIME_KINDS: readonly SourceColumnKind[] = ["timestamp", "date", "integer", "string"];
const ANY: readonly SourceColumnKind[] = ["text", "unknown"];

const WANTS: Record<string, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean",
  array: "a list",
  object: "an object",
};

function fits(kind: SourceColumnKind, wanted: readonly SourceColumnKind[] | undefined): boolean {
  return wanted === undefined || ANY.includes(kind) || wanted.includes(kind);
}

/** What a source must have: every join key, feature and time column, each of a kind that fits. */
interface Wanted {
  column: string;
  /** What the column is for, for the message: `join key driver_id`, `feature trips`, `event time`. */
  role: string;
  kinds: readonly SourceColumnKind[] | undefined;
  wants: string;
}

function keyWanted(source: FeatureSource, keys: readonly JoinKey[]): Wanted[] {
  return keys.map((k) => ({
    column: source.columnOf(k.name),
    role: `join key ${k.name}`,
    kinds: k.type === "int" ? ["integer"] : ["string"],
    wants: k.type === "int" ? "an integer" : "a string",
  }));
}

function timeWanted(source: FeatureSource): Wanted[] {
  const out: Wanted[] = [
    { column: source.timestampField, role: "event time", kinds: TIME_KINDS, wants: "a timestamp or epoch ms" },
  ];
  if (source.createdTimestampField)
    out.push({
      column: source.createdTimestampField,
      role: "created time",
      kinds: TIME_KINDS,
      wants: "a timestamp or epoch ms",
    });
  return out;
}

/**
 * Checks a view's source columns before any row is used: each join key, feature and time field
 * must be there (after the source's field mapping), of a type that fits the view's schema — an
 * integer feature from an integer column, a number from an integer or floating-point one, and so
 * on (text from CSV fits all and is converted per value). `VALIDATION` naming the view, the
 * source, the column and the type found; `details` has them too.
 */
export function checkViewColumns(view: ResolvedView, source: FeatureSource, columns: readonly SourceColumn[]): void {
  const wanted: Wanted[] = [...keyWanted(source, view.joinKeys), ...timeWanted(source)];
  for (const f of view.def.features)
    wanted.push({
      column: source.columnOf(f.name),
      role: `feature ${f.name}`,
      kinds: FITS[f.type],
      wants: WANTS[f.type] ?? "a value",
    });
  check(`${source.describe()} of view '${view.def.name}'`, wanted, columns);
}

/** Checks the columns of entity rows read from a source: the join keys of every view, and the time. */
export function checkEntityColumns(
  source: FeatureSource,
  joinKeys: readonly JoinKey[],
  columns: readonly SourceColumn[],
): void {
  check(`entity rows from ${source.describe()}`, [...keyWanted(source, joinKeys), timeWanted(source)[0]], columns);
}

function check(where: string, wanted: readonly Wanted[], columns: readonly SourceColumn[]): void {
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const w of wanted) {
    const column = byName.get(w.column);
    if (!column) {
      const names = columns.map((c) => c.name);
      throw new MlcycleError(
        "VALIDATION",
        `${where} has no column '${w.column}' (${w.role}); its columns are ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`,
        {
          issues: [{ code: "missing_column", path: [w.column], message: `no column '${w.column}' (${w.role})` }],
          details: { column: w.column, role: w.role, columns: names },
        },
      );
    }
    if (!fits(column.kind, w.kinds))
      throw new MlcycleError(
        "VALIDATION",
        `${where}: column '${w.column}' (${w.role}) is ${column.type}; the view's schema wants ${w.wants}`,
        {
          issues: [
            {
              code: "invalid_type",
              path: [w.column],
              message: `is ${column.type}; wants ${w.wants}`,
              expected: w.wants,
              received: column.type,
            },
          ],
          details: { column: w.column, role: w.role, found: column.type, kind: column.kind },
        },
      );
  }
}

/**
 * The columns of rows from a source that cannot say them in advance (an iterable): every field of
 * the rows, of the kind of its first non-null value (`unknown` when all are null).
 */
export function columnsOfRows(rows: ReadonlyArray<Record<string, unknown>>): SourceColumn[] {
  const kinds = new Map<string, SourceColumnKind | undefined>();
  for (const row of rows) {
    if (typeof row !== "object" || row === null) continue;
    for (const name of Object.keys(row)) {
      if (kinds.get(name) !== undefined) continue;
      kinds.set(name, kindOfValue(row[name]));
    }
  }
  return [...kinds].map(([name, kind]) => ({ name, kind: kind ?? "unknown", type: kindName(kind) }));
}

function kindName(kind: SourceColumnKind | undefined): string {
  switch (kind) {
    case undefined:
      return "null";
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "struct":
      return "an object";
    case "list":
      return "an array";
    case "timestamp":
      return "a Date";
    default:
      return `a ${kind}`;
  }
}

import { CsvSource } from "./csv-source.js";
import type { FeatureSource, SourceKind, SourceSpec } from "./feature-source.js";
import { ParquetSource } from "./parquet-source.js";
import { SqlSource } from "./sql-source.js";

const KINDS: readonly SourceKind[] = ["parquet", "csv", "sql", "postgres", "iterable"];

/**
 * The source spec kept in a view's definition (its `source` text), or undefined when the text is
 * a description for people (any view applied with `source: "a table"`).
 */
export function parseSourceSpec(text: string | undefined): SourceSpec | undefined {
  if (!text?.startsWith('{"kind":')) return undefined;
  try {
    const spec = JSON.parse(text) as SourceSpec;
    return KINDS.includes(spec.kind) && typeof spec.timestampField === "string" ? spec : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A source rebuilt from its spec — files and queries on the workspace's database can be, so a view
 * applied in one process reads its source in every process; a PostgreSQL pool or an iterable
 * cannot (undefined): a process must apply the view with its source to use it.
 */
export function sourceFromSpec(spec: SourceSpec): FeatureSource | undefined {
  const common = {
    timestampField: spec.timestampField,
    ...(spec.createdTimestampField !== undefined ? { createdTimestampField: spec.createdTimestampField } : {}),
    ...(spec.fieldMapping ? { fieldMapping: spec.fieldMapping } : {}),
  };
  switch (spec.kind) {
    case "parquet":
      return new ParquetSource({ ...common, path: spec.path as string });
    case "csv":
      return new CsvSource({
        ...common,
        path: spec.path as string,
        ...(spec.delimiter !== undefined ? { delimiter: spec.delimiter } : {}),
        ...(spec.quote !== undefined ? { quote: spec.quote } : {}),
        ...(spec.header !== undefined ? { header: spec.header } : {}),
        ...(spec.columns ? { columns: spec.columns } : {}),
      });
    case "sql":
      return new SqlSource({ ...common, query: spec.query as string, params: spec.params ?? [] });
    default:
      return undefined;
  }
}

/** The text a view's definition keeps for a source: its spec as JSON, `kind` first. */
export function sourceText(source: FeatureSource): string {
  const { kind, ...rest } = source.spec();
  // A bigint parameter is kept as a number when it is safe, else as its decimal text.
  return JSON.stringify({ kind, ...rest }, (_k, v) =>
    typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v,
  );
}

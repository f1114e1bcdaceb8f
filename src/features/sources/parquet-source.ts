import {
  asyncBufferFromFile,
  type FileMetaData,
  type ParquetParsers,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type SchemaElement,
} from "hyparquet";
import { isAbsolute, resolve } from "node:path";
import { MlcycleError } from "../../core/errors.js";
import type { SourceColumnKind, EngineTable, SourceColumn } from "../../stores/offline-engine.js";
import { expandGlob } from "./file-glob.js";
import {
  FeatureSource,
  type SourceContext,
  type SourceOptions,
  type SourceReadOptions,
  type SourceSpec,
} from "./feature-source.js";

/** Options of {@link parquetSource}. */
export interface ParquetSourceOptions extends SourceOptions {
  /**
   * A Parquet file, or a glob of them (`data/driver_stats/*.parquet`, `data/**\/*.parquet`), read in
   * the byte order of their paths. A relative path is resolved against the working directory when
   * the source is made.
   */
  path: string;
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** Timestamps as `Date`s of whole milliseconds, rounded down (as DuckDB's `epoch_ms` does). */
const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms) => new Date(Number(ms)),
  timestampFromMicroseconds: (us) => new Date(Number(floorDiv(us, 1000n))),
  timestampFromNanoseconds: (ns) => new Date(Number(floorDiv(ns, 1_000_000n))),
};

/**
 * Parquet files as a feature source (Feast's `FileSource`), read in pure JavaScript (hyparquet)
 * one row group at a time, only the columns the view uses, or in place by an offline store's engine
 * (DuckDB's `read_parquet`). A row group is the unit of memory: a file written with row groups of
 * 100,000 rows holds at most that many rows in memory at once.
 */
export class ParquetSource extends FeatureSource {
  readonly kind = "parquet" as const;
  readonly path: string;

  constructor(options: ParquetSourceOptions) {
    super(options);
    if (typeof options.path !== "string" || options.path.trim() === "")
      throw new MlcycleError("VALIDATION", "path: must be a Parquet file or glob", {
        issues: [{ code: "invalid_type", path: ["path"], message: "must be a Parquet file or glob" }],
      });
    this.path = isAbsolute(options.path) ? options.path : resolve(options.path);
  }

  spec(): SourceSpec {
    return { kind: "parquet", path: this.path, ...this.commonSpec() };
  }

  describe(): string {
    return `parquet source '${this.path}'`;
  }

  /** The files the path names, in reading order. */
  files(): Promise<string[]> {
    return expandGlob(this.path);
  }

  async table(): Promise<EngineTable> {
    return { kind: "parquet", files: await this.files() };
  }

  async columns(): Promise<SourceColumn[]> {
    const files = await this.files();
    const meta = await metadataOf(files[0]);
    const columns = parquetSchema(meta).children.map((c) => ({
      name: c.element.name,
      kind: parquetKind(c.element, c.children.length > 0),
      type: parquetTypeName(c.element, c.children.length > 0),
    }));
    // Every file of a glob must have the same columns, of the same types.
    for (const file of files.slice(1)) {
      const other = parquetSchema(await metadataOf(file)).children;
      for (const c of columns) {
        const o = other.find((x) => x.element.name === c.name);
        if (o && parquetTypeName(o.element, o.children.length > 0) !== c.type)
          throw new MlcycleError(
            "VALIDATION",
            `${this.describe()}: column '${c.name}' is ${c.type} in ${files[0]} but ${parquetTypeName(o.element, o.children.length > 0)} in ${file}`,
            { details: { column: c.name, files: [files[0], file] } },
          );
      }
    }
    return columns;
  }

  async *read(_context: SourceContext, options: SourceReadOptions): AsyncIterable<Array<Record<string, unknown>>> {
    let skip = options.skip ?? 0;
    for (const path of await this.files()) {
      const file = await asyncBufferFromFile(path);
      const metadata = await metadataOf(path, file);
      const names = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
      const columns = options.columns?.filter((c) => names.has(c));
      let groupStart = 0;
      for (const group of metadata.row_groups) {
        const n = Number(group.num_rows);
        if (skip >= n) {
          // Whole row groups are passed over without being read.
          skip -= n;
          groupStart += n;
          continue;
        }
        if (options.signal?.aborted) return;
        let rows: Array<Record<string, unknown>>;
        try {
          rows = (await parquetReadObjects({
            file,
            metadata,
            rowStart: groupStart + skip,
            rowEnd: groupStart + n,
            parsers: PARSERS,
            ...(columns ? { columns } : {}),
          })) as Array<Record<string, unknown>>;
        } catch (error) {
          throw new MlcycleError(
            "INTERNAL",
            `${this.describe()}: reading ${path} failed: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        skip = 0;
        groupStart += n;
        for (let i = 0; i < rows.length; i += options.chunkSize) yield rows.slice(i, i + options.chunkSize);
      }
    }
  }
}

async function metadataOf(path: string, file?: Awaited<ReturnType<typeof asyncBufferFromFile>>): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(file ?? (await asyncBufferFromFile(path)));
  } catch (error) {
    throw new MlcycleError("VALIDATION", `'${path}' is not a Parquet file: ${(error as Error).message}`, {
      cause: error,
      details: { path },
    });
  }
}

/** The kind of a top-level Parquet column, from its logical (or converted) and physical types. */
function parquetKind(e: SchemaElement, nested: boolean): SourceColumnKind {
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  if (nested) return logical === "LIST" || converted === "LIST" ? "list" : "struct";
  if (logical === "TIMESTAMP" || converted === "TIMESTAMP_MILLIS" || converted === "TIMESTAMP_MICROS")
    return "timestamp";
  if (e.type === "INT96") return "timestamp";
  if (logical === "DATE" || converted === "DATE") return "date";
  if (logical === "DECIMAL" || converted === "DECIMAL") return "number";
  if (logical === "JSON" || converted === "JSON") return "json";
  if (logical === "STRING" || logical === "ENUM" || logical === "UUID" || converted === "UTF8" || converted === "ENUM")
    return "string";
  if (logical === "TIME" || converted === "TIME_MILLIS" || converted === "TIME_MICROS") return "other";
  switch (e.type) {
    case "BOOLEAN":
      return "boolean";
    case "INT32":
    case "INT64":
      return "integer";
    case "FLOAT":
    case "DOUBLE":
      return "number";
    case "BYTE_ARRAY":
    case "FIXED_LEN_BYTE_ARRAY":
      return "binary";
    default:
      return "other";
  }
}

function parquetTypeName(e: SchemaElement, nested: boolean): string {
  if (nested) return e.logical_type?.type ?? e.converted_type ?? "GROUP";
  const logical = e.logical_type;
  if (logical?.type === "INTEGER")
    return `${e.type} (INTEGER(${logical.bitWidth}, ${logical.isSigned ? "signed" : "unsigned"}))`;
  if (logical) return `${e.type} (${logical.type})`;
  return e.converted_type ? `${e.type} (${e.converted_type})` : String(e.type);
}

/**
 * A Parquet file or glob as a feature source (Feast's `FileSource` with `ParquetFormat`).
 *
 * @example
 * ```ts
 * await ws.features.applyFeatureView({ name: "driver_stats", entities: ["driver"], schema,
 *   source: parquetSource({ path: "data/driver_stats/*.parquet", timestampField: "event_timestamp" }) });
 * ```
 */
export function parquetSource(options: ParquetSourceOptions): ParquetSource {
  return new ParquetSource(options);
}

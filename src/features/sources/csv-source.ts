import { createReadStream } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parse } from "csv-parse";
import { invalid, MlcycleError } from "../../core/errors.js";
import type { EngineTable, SourceColumn } from "../../stores/offline-engine.js";
import { expandGlob } from "./file-glob.js";
import {
  columnName,
  FeatureSource,
  type SourceContext,
  type SourceOptions,
  type SourceReadOptions,
  type SourceSpec,
} from "./feature-source.js";

/** Options of {@link csvSource}. */
export interface CsvSourceOptions extends SourceOptions {
  /** A CSV file, or a glob of them, read in the byte order of their paths (relative: to the working directory). */
  path: string;
  /** Field delimiter (default `,`). */
  delimiter?: string;
  /** Quote character (default `"`). */
  quote?: string;
  /** Whether the first line names the columns (default true). */
  header?: boolean;
  /** The column names, for files without a header line. */
  columns?: string[];
}

/**
 * CSV files as a feature source (Feast's `FileSource` on CSV), streamed in JavaScript (csv-parse)
 * chunk by chunk, or read in place by an offline store's engine (DuckDB's `read_csv`). Fields are
 * text: each is converted by the view's schema when read (an integer feature from `"42"`), and an
 * empty field is null. Times are ISO-8601 text (a date-time without a zone is read as UTC) or
 * integers (epoch ms).
 */
export class CsvSource extends FeatureSource {
  readonly kind = "csv" as const;
  readonly path: string;
  readonly delimiter: string;
  readonly quote: string;
  readonly header: boolean;
  readonly names?: string[];

  constructor(options: CsvSourceOptions) {
    super(options);
    if (typeof options.path !== "string" || options.path.trim() === "")
      throw invalid(["path"], "must be a CSV file or glob");
    this.path = isAbsolute(options.path) ? options.path : resolve(options.path);
    this.delimiter = options.delimiter ?? ",";
    this.quote = options.quote ?? '"';
    for (const [what, v] of [
      ["delimiter", this.delimiter],
      ["quote", this.quote],
    ] as const)
      if (typeof v !== "string" || v.length !== 1 || v === "\n" || v === "\r")
        throw invalid([what], "must be one character (not a line break)");
    this.header = options.header ?? true;
    if (options.columns !== undefined) {
      if (!Array.isArray(options.columns) || options.columns.length === 0)
        throw invalid(["columns"], "must be a list of column names");
      this.names = options.columns.map((c, i) => columnName(`columns.${i}`, c));
    } else if (!this.header) throw invalid(["columns"], "a file without a header line needs its column names");
  }

  spec(): SourceSpec {
    return {
      kind: "csv",
      path: this.path,
      delimiter: this.delimiter,
      quote: this.quote,
      header: this.header,
      ...(this.names ? { columns: [...this.names] } : {}),
      ...this.commonSpec(),
    };
  }

  describe(): string {
    return `csv source '${this.path}'`;
  }

  files(): Promise<string[]> {
    return expandGlob(this.path);
  }

  async table(): Promise<EngineTable> {
    return {
      kind: "csv",
      files: await this.files(),
      delimiter: this.delimiter,
      quote: this.quote,
      header: this.header,
      ...(this.names ? { columns: [...this.names] } : {}),
    };
  }

  async columns(): Promise<SourceColumn[]> {
    const [file] = await this.files();
    let names = this.names;
    if (!names) {
      const parser = createReadStream(file).pipe(this.parser("header"));
      for await (const record of parser as AsyncIterable<string[]>) {
        names = record;
        break;
      }
      parser.destroy();
    }
    return (names ?? []).map((name) => ({ name, kind: "text", type: "text" }));
  }

  async *read(_context: SourceContext, options: SourceReadOptions): AsyncIterable<Array<Record<string, unknown>>> {
    let skip = options.skip ?? 0;
    for (const file of await this.files()) {
      const parser = createReadStream(file).pipe(this.parser("rows"));
      let chunk: Array<Record<string, unknown>> = [];
      try {
        for await (const record of parser as AsyncIterable<Record<string, string>>) {
          if (skip > 0) {
            skip--;
            continue;
          }
          chunk.push(record);
          if (chunk.length >= options.chunkSize) {
            if (options.signal?.aborted) return;
            yield chunk;
            chunk = [];
          }
        }
      } catch (error) {
        throw new MlcycleError(
          "VALIDATION",
          `${this.describe()}: ${file} is not valid CSV: ${(error as Error).message}`,
          {
            cause: error,
            details: { path: file },
          },
        );
      } finally {
        parser.destroy();
      }
      if (chunk.length > 0) yield chunk;
    }
  }

  /** The parser of one file: records as objects (`"rows"`), or the header line alone (`"header"`). */
  private parser(mode: "rows" | "header") {
    const common = { delimiter: this.delimiter, quote: this.quote, bom: true, skip_empty_lines: true };
    if (mode === "header") return parse({ ...common, columns: false, to_line: 1 });
    if (!this.names) return parse({ ...common, columns: true });
    return parse({ ...common, columns: this.names, from_line: this.header ? 2 : 1 });
  }
}

/**
 * A CSV file or glob as a feature source (Feast's `FileSource` with a CSV file).
 *
 * @example
 * ```ts
 * const trips = csvSource({ path: "data/trips.csv", timestampField: "ts", fieldMapping: { driver: "driver_id" } });
 * ```
 */
export function csvSource(options: CsvSourceOptions): CsvSource {
  return new CsvSource(options);
}

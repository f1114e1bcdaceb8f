import { invalid, MlcycleError } from "../../core/errors.js";
import type { EngineTable, SourceColumn } from "../../stores/offline-engine.js";
import { chunked, type RowSource } from "../rows.js";
import {
  FeatureSource,
  rechunk,
  type SourceContext,
  type SourceOptions,
  type SourceReadOptions,
  type SourceSpec,
} from "./feature-source.js";

/** Options of {@link iterableSource}. */
export interface IterableSourceOptions extends SourceOptions {
  /**
   * The rows: an array, an iterable or an async iterable (a stream, a cursor, a generator), or a
   * function returning one — called for each read, so the source can be read again (each
   * materialisation or training set reads it once). A plain iterator can be read only once.
   */
  rows: RowSource<Record<string, unknown>> | (() => RowSource<Record<string, unknown>>);
}

/**
 * Rows produced by code as a feature source (Feast's `PushSource` fed by a stream; here pulled):
 * read chunk by chunk in JavaScript, its columns known from the first chunk, which is checked
 * against the view before any row is used.
 */
export class IterableSource extends FeatureSource {
  readonly kind = "iterable" as const;
  private readonly rows: IterableSourceOptions["rows"];
  private used = false;

  constructor(options: IterableSourceOptions) {
    super(options);
    const rows = options.rows as unknown;
    const ok =
      typeof rows === "function" ||
      (typeof rows === "object" &&
        rows !== null &&
        (Symbol.iterator in rows || Symbol.asyncIterator in (rows as object)));
    if (!ok || typeof rows === "string")
      throw invalid(["rows"], "must be an array, an iterable, an async iterable, or a function returning one");
    this.rows = options.rows;
  }

  spec(): SourceSpec {
    return { kind: "iterable", ...this.commonSpec() };
  }

  describe(): string {
    return "iterable source";
  }

  async table(): Promise<EngineTable | undefined> {
    return undefined;
  }

  async columns(): Promise<SourceColumn[] | undefined> {
    return undefined;
  }

  async *read(_context: SourceContext, options: SourceReadOptions): AsyncIterable<Array<Record<string, unknown>>> {
    let rows: RowSource<Record<string, unknown>>;
    if (typeof this.rows === "function") rows = this.rows();
    else {
      const reusable = Array.isArray(this.rows);
      if (this.used && !reusable)
        throw new MlcycleError(
          "PRECONDITION",
          "this iterable source was read already and an iterator reads once: give iterableSource a function returning the rows, or an array",
        );
      this.used = true;
      rows = this.rows;
    }
    yield* rechunk(chunked(rows, options.chunkSize), options.chunkSize, options.skip);
  }
}

/**
 * Rows from code (an array, a generator, a stream) as a feature source.
 *
 * @example
 * ```ts
 * const live = iterableSource({ rows: () => readTripsFromKafka(), timestampField: "ts" });
 * ```
 */
export function iterableSource(options: IterableSourceOptions): IterableSource {
  return new IterableSource(options);
}

import { isMlcycleError, MlcycleError } from "../../core/errors.js";
import type { SourceColumnKind, EngineViewTable, SourceColumn } from "../../stores/offline-engine.js";
import type { OfflineRow } from "../../stores/offline-store.js";
import { type ResolvedView, toOfflineRows } from "../rows.js";
import type { FeatureSource, SourceContext } from "./feature-source.js";
import { checkViewColumns, columnsOfRows } from "./source-check.js";
import { featureValue, joinKeyValue, sourceTime } from "./source-values.js";

/** A chunk of a view's rows read from its source, and how many source rows were read up to its end. */
export interface SourceChunk {
  rows: OfflineRow[];
  /** Source rows read so far, those passed over included: where a resumed read continues. */
  position: number;
}

/** Options of {@link SourceRowReader.chunks}. */
export interface SourceChunkOptions {
  chunkSize: number;
  /** Source rows to pass over first. */
  skip?: number;
  signal?: AbortSignal;
}

/**
 * Reads a view's rows from its source as offline rows: checks the source's columns against the
 * view first (from the source's description, or from the first chunk when it has none), then maps
 * each row (field mapping, join keys, times, features converted as the view's types ask) and
 * validates it with the view's schema, chunk by chunk. A bad row is `VALIDATION` naming the source,
 * the row's position in it and the field. Each row's created time is its created-time column, or
 * 0 without one (ties then go to the row read last).
 */
export class SourceRowReader {
  private checked = false;
  private kinds = new Map<string, SourceColumnKind>();

  constructor(
    readonly view: ResolvedView,
    readonly source: FeatureSource,
    readonly context: SourceContext,
  ) {}

  /** Checks the source's columns against the view (once), when the source can describe them. */
  async check(signal?: AbortSignal): Promise<void> {
    if (this.checked) return;
    let columns: SourceColumn[] | undefined;
    try {
      columns = await this.source.columns(this.context, signal);
    } catch (error) {
      throw this.sourceError(error);
    }
    if (columns) this.accept(columns);
  }

  /** The view's table for the offline store's engine, when the engine reads the source in place. */
  async engineTable(signal?: AbortSignal): Promise<EngineViewTable | undefined> {
    const engine = this.context.engine;
    if (!engine) return undefined;
    const table = await this.source.table(this.context).catch((e: unknown) => {
      throw this.sourceError(e);
    });
    if (!table || !engine.reads(table)) return undefined;
    await this.check(signal);
    // The engine reads the columns with types of its own (a CSV's sniffed by DuckDB): checked too.
    const columns = await engine.describe(table, signal);
    checkViewColumns(this.view, this.source, columns);
    const kinds = new Map(columns.map((c) => [c.name, c.kind]));
    const column = (name: string) => ({ column: name, kind: kinds.get(name) ?? "unknown" });
    const { def, joinKeys } = this.view;
    return {
      table,
      keys: joinKeys.map((k) => ({ ...column(this.source.columnOf(k.name)), type: k.type })),
      eventTime: column(this.source.timestampField),
      ...(this.source.createdTimestampField ? { createdTime: column(this.source.createdTimestampField) } : {}),
      features: def.features.map((f) => ({ name: f.name, column: this.source.columnOf(f.name), type: f.type })),
    };
  }

  /** The view's rows, chunk by chunk (memory holds one chunk, or one Parquet row group). */
  async *chunks(options: SourceChunkOptions): AsyncIterable<SourceChunk> {
    await this.check(options.signal);
    const { def, joinKeys, featureNames } = this.view;
    const source = this.source;
    const keyColumns = joinKeys.map((k) => source.columnOf(k.name));
    const featureColumns = featureNames.map((f) => source.columnOf(f));
    const featureTypes = def.features.map((f) => f.type);
    const created = source.createdTimestampField;
    const columns = [
      ...new Set([...keyColumns, ...featureColumns, source.timestampField, ...(created ? [created] : [])]),
    ];
    let position = options.skip ?? 0;
    const raw = source.read(this.context, {
      chunkSize: options.chunkSize,
      columns,
      ...(options.skip ? { skip: options.skip } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    try {
      for await (const chunk of raw) {
        if (options.signal?.aborted) return;
        if (!this.checked) this.accept(columnsOfRows(chunk));
        const mapped = new Array<Record<string, unknown>>(chunk.length);
        for (let i = 0; i < chunk.length; i++) {
          const r = chunk[i];
          const at = position + i;
          const row: Record<string, unknown> = {};
          for (let k = 0; k < joinKeys.length; k++)
            row[joinKeys[k].name] = joinKeyValue(r[keyColumns[k]], joinKeys[k].type);
          row[def.timestampField] = sourceTime(r[source.timestampField], [at, source.timestampField]);
          row[def.createdTimestampField] = created ? sourceTime(r[created], [at, created]) : 0;
          for (let f = 0; f < featureNames.length; f++) {
            const column = featureColumns[f];
            row[featureNames[f]] = featureValue(r[column], featureTypes[f], this.kinds.get(column) ?? "unknown");
          }
          mapped[i] = row;
        }
        const rows = toOfflineRows(this.view, mapped, position, 0);
        position += chunk.length;
        yield { rows, position };
      }
    } catch (error) {
      throw this.sourceError(error);
    }
  }

  private accept(columns: readonly SourceColumn[]): void {
    checkViewColumns(this.view, this.source, columns);
    this.kinds = new Map(columns.map((c) => [c.name, c.kind]));
    this.checked = true;
  }

  /**
   * Our errors gain the source's name (once); a reader's failure becomes `UNAVAILABLE` with it as
   * `cause`; an iterable's own error passes as it is.
   */
  private sourceError(error: unknown): unknown {
    const where = `${this.source.describe()} of view '${this.view.def.name}'`;
    if (isMlcycleError(error)) {
      if (error.message.includes(this.source.describe())) return error;
      return new MlcycleError(error.code, `${where}: ${error.message}`, {
        issues: error.issues,
        details: { ...error.details, source: this.source.kind },
        cause: error.cause ?? error,
      });
    }
    // Rows made by the caller's own code fail as that code failed.
    if (this.source.kind === "iterable" || (error instanceof Error && error.name === "AbortError")) return error;
    return new MlcycleError("UNAVAILABLE", `${where}: reading failed: ${String((error as Error)?.message ?? error)}`, {
      cause: error,
    });
  }
}

import { invalid, MlcycleError } from "../../core/errors.js";
import type { EngineTable, SourceColumn, SqlParam } from "../../stores/offline-engine.js";
import {
  FeatureSource,
  rechunk,
  type SourceContext,
  type SourceOptions,
  type SourceReadOptions,
  type SourceSpec,
} from "./feature-source.js";

/** Options of {@link sqlSource}. */
export interface SqlSourceOptions extends SourceOptions {
  /** A query returning the view's rows (a `SELECT`): written with parameters, never with values pasted in. */
  query: string;
  /** The query's parameters (`?` on SQLite, `$1` on DuckDB). */
  params?: SqlParam[];
}

/** Checks a query and its parameters. */
export function checkQuery(query: unknown, params: unknown): { query: string; params: SqlParam[] } {
  if (typeof query !== "string" || query.trim() === "") throw invalid(["query"], "must be a SQL query (a SELECT)");
  const text = query.trim().replace(/;\s*$/, "");
  if (params !== undefined && !Array.isArray(params)) throw invalid(["params"], "must be a list of values");
  const list = (params ?? []) as unknown[];
  list.forEach((p, i) => {
    if (!(p === null || ["string", "number", "bigint", "boolean"].includes(typeof p)))
      throw invalid(["params", i], "must be a string, number, bigint, boolean or null");
  });
  return { query: text, params: list as SqlParam[] };
}

/**
 * A query on the workspace's database as a feature source (Feast's `PostgreSQLSource` /
 * `SnowflakeSource` with a `query`): on the offline store's engine when it has one (DuckDB runs it,
 * and joins its result in place), else on the backend's SQL database (`sqliteBackend()` brings
 * one), read chunk by chunk. A workspace with neither is `PRECONDITION` when the source is used.
 */
export class SqlSource extends FeatureSource {
  readonly kind = "sql" as const;
  readonly query: string;
  readonly params: readonly SqlParam[];

  constructor(options: SqlSourceOptions) {
    super(options);
    const checked = checkQuery(options.query, options.params);
    this.query = checked.query;
    this.params = checked.params;
  }

  spec(): SourceSpec {
    return { kind: "sql", query: this.query, params: [...this.params], ...this.commonSpec() };
  }

  describe(): string {
    return `sql source '${this.query.slice(0, 60)}${this.query.length > 60 ? "…" : ""}'`;
  }

  async table(context: SourceContext): Promise<EngineTable | undefined> {
    const table: EngineTable = { kind: "sql", query: this.query, params: this.params };
    return context.engine?.reads(table) ? table : undefined;
  }

  async columns(context: SourceContext, signal?: AbortSignal): Promise<SourceColumn[] | undefined> {
    const table = await this.table(context);
    if (table && context.engine) return context.engine.describe(table, signal);
    const sql = this.database(context);
    return sql.columns ? sql.columns(this.query, this.params) : undefined;
  }

  async *read(context: SourceContext, options: SourceReadOptions): AsyncIterable<Array<Record<string, unknown>>> {
    const table = await this.table(context);
    if (table && context.engine) {
      yield* context.engine.rows(table, {
        chunkSize: options.chunkSize,
        ...(options.skip ? { skip: options.skip } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return;
    }
    yield* rechunk(
      this.database(context).rows(this.query, this.params, options.chunkSize),
      options.chunkSize,
      options.skip,
    );
  }

  private database(context: SourceContext) {
    if (!context.sql)
      throw new MlcycleError(
        "PRECONDITION",
        `${this.describe()}: this workspace has no SQL database to run it on: use a backend that brings one (sqliteBackend(), openWorkspace()) or an offline store with an engine (mlcycle/duckdb)`,
      );
    return context.sql;
  }
}

/**
 * A query on the workspace's database as a feature source.
 *
 * @example
 * ```ts
 * const stats = sqlSource({ query: "select * from driver_stats where city = ?", params: ["Paris"] });
 * ```
 */
export function sqlSource(options: SqlSourceOptions): SqlSource {
  return new SqlSource(options);
}

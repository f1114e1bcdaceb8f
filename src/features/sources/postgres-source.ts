import { MlcycleError } from "../../core/errors.js";
import type { SourceColumnKind, EngineTable, SourceColumn } from "../../stores/offline-engine.js";
import { FeatureSource, type SourceContext, type SourceReadOptions, type SourceSpec } from "./feature-source.js";
import { checkQuery, type SqlSourceOptions } from "./sql-source.js";

/** A query result as node-postgres gives it: rows, and the columns with their type OIDs. */
export interface PgResultLike {
  rows: Array<Record<string, unknown>>;
  fields: Array<{ name: string; dataTypeID: number }>;
}

/** The subset of a node-postgres `PoolClient` a PostgreSQL source calls (typed structurally). */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<PgResultLike>;
  release(error?: Error | boolean): void;
}

/** The subset of a node-postgres `Pool` a PostgreSQL source calls: it borrows a client per read. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
}

/** Options of {@link postgresSource}. */
export interface PostgresSourceOptions extends SqlSourceOptions {
  /** The caller's node-postgres `Pool` (`new Pool({ connectionString })`); never closed by the source. */
  pool: PgPoolLike;
}

/** Column kinds of PostgreSQL's built-in type OIDs. */
const PG_KINDS: Record<number, [SourceColumnKind, string]> = {
  16: ["boolean", "boolean"],
  20: ["integer", "bigint"],
  21: ["integer", "smallint"],
  23: ["integer", "integer"],
  26: ["integer", "oid"],
  700: ["number", "real"],
  701: ["number", "double precision"],
  1700: ["number", "numeric"],
  25: ["string", "text"],
  1043: ["string", "character varying"],
  1042: ["string", "character"],
  19: ["string", "name"],
  2950: ["string", "uuid"],
  1114: ["timestamp", "timestamp without time zone"],
  1184: ["timestamp", "timestamp with time zone"],
  1082: ["date", "date"],
  114: ["json", "json"],
  3802: ["json", "jsonb"],
  17: ["binary", "bytea"],
  1000: ["list", "boolean[]"],
  1005: ["list", "smallint[]"],
  1007: ["list", "integer[]"],
  1016: ["list", "bigint[]"],
  1021: ["list", "real[]"],
  1022: ["list", "double precision[]"],
  1231: ["list", "numeric[]"],
  1009: ["list", "text[]"],
  1015: ["list", "character varying[]"],
};

let cursors = 0;

/**
 * A query on the caller's PostgreSQL pool as a feature source (Feast's `PostgreSQLSource`), read
 * with a server-side cursor (`DECLARE … CURSOR`, `FETCH` a chunk at a time, in a read-only
 * transaction), so a large result never sits whole in memory; a resumed materialisation moves the
 * cursor past the rows already written. Its columns are checked from the query's result description
 * (`LIMIT 0`) before any row is read. Always read in JavaScript (no engine reads a caller's pool).
 */
export class PostgresSource extends FeatureSource {
  readonly kind = "postgres" as const;
  readonly query: string;
  readonly params: readonly unknown[];
  private readonly pool: PgPoolLike;

  constructor(options: PostgresSourceOptions) {
    super(options);
    if (typeof options.pool?.connect !== "function")
      throw new MlcycleError("VALIDATION", "pool: must be a node-postgres Pool (new Pool({ connectionString }))", {
        issues: [{ code: "invalid_type", path: ["pool"], message: "must be a node-postgres Pool" }],
      });
    const checked = checkQuery(options.query, options.params);
    this.query = checked.query;
    this.params = checked.params;
    this.pool = options.pool;
  }

  spec(): SourceSpec {
    return { kind: "postgres", query: this.query, params: [...(this.params as never[])], ...this.commonSpec() };
  }

  describe(): string {
    return `postgres source '${this.query.slice(0, 60)}${this.query.length > 60 ? "…" : ""}'`;
  }

  async table(): Promise<EngineTable | undefined> {
    return undefined;
  }

  async columns(): Promise<SourceColumn[]> {
    const client = await this.connect();
    try {
      const result = await this.run(client, `SELECT * FROM (${this.query}) AS mlcycle_source LIMIT 0`, [
        ...this.params,
      ]);
      return result.fields.map((f) => {
        const [kind, type] = PG_KINDS[f.dataTypeID] ?? ["other", `type oid ${f.dataTypeID}`];
        return { name: f.name, kind, type };
      });
    } finally {
      client.release();
    }
  }

  async *read(_context: SourceContext, options: SourceReadOptions): AsyncIterable<Array<Record<string, unknown>>> {
    const client = await this.connect();
    const cursor = `mlcycle_source_${process.pid}_${++cursors}`;
    let failed: Error | undefined;
    try {
      await this.run(client, "BEGIN READ ONLY", []);
      await this.run(client, `DECLARE ${cursor} NO SCROLL CURSOR FOR ${this.query}`, [...this.params]);
      if (options.skip) await this.run(client, `MOVE FORWARD ${Math.floor(options.skip)} FROM ${cursor}`, []);
      for (;;) {
        if (options.signal?.aborted) break;
        const { rows } = await this.run(client, `FETCH FORWARD ${Math.floor(options.chunkSize)} FROM ${cursor}`, []);
        if (rows.length > 0) yield rows;
        if (rows.length < options.chunkSize) break;
      }
    } catch (error) {
      failed = error as Error;
      throw error;
    } finally {
      // Ending the transaction closes the cursor; a broken connection is not given back to the pool.
      await client.query("ROLLBACK").catch((e: Error) => {
        failed ??= e;
      });
      client.release(failed);
    }
  }

  private async connect(): Promise<PgClientLike> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw new MlcycleError("UNAVAILABLE", `${this.describe()}: could not connect: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async run(client: PgClientLike, text: string, values: unknown[]): Promise<PgResultLike> {
    try {
      return await client.query(text, values);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      // Class 42 (syntax error or access rule violation) and 22 (data exception) are the query's fault.
      const mine = code.startsWith("42") || code.startsWith("22");
      throw new MlcycleError(mine ? "VALIDATION" : "UNAVAILABLE", `${this.describe()}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * A query on the caller's PostgreSQL pool as a feature source.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const stats = postgresSource({ pool, query: "select * from driver_stats where city = $1", params: ["Paris"] });
 * ```
 */
export function postgresSource(options: PostgresSourceOptions): PostgresSource {
  return new PostgresSource(options);
}

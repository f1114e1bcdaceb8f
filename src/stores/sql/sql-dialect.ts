import {
  type CreateTableBuilder,
  type Expression,
  type Kysely,
  type RawBuilder,
  type SqlBool,
  sql,
  type Transaction,
} from "kysely";
import { MlcycleError } from "../../core/errors.js";

/**
 * What differs between SQL backends, declared once per backend and read by the dialect-neutral SQL
 * stores (`src/stores/sql/`), which never test a backend's name. A dialect emits SQL and classifies
 * errors; it never imports a driver. Extend {@link SqlDialectBase} rather than implementing this
 * interface from scratch: a member added later gets a default there, so a third-party dialect keeps
 * compiling and working (Kysely's `DialectAdapterBase` is the model).
 *
 * @example
 * ```ts
 * class MyDialect extends SqlDialectBase {
 *   readonly name = "mysql";
 *   override readonly supportsReturning = false;
 *   override jsonObjectAgg(key: Expression<unknown>, value: Expression<unknown>) {
 *     return sql`json_objectagg(${key}, ${value})`;
 *   }
 * }
 * ```
 */
export interface SqlDialect {
  /** A short name of the backend (`sqlite`, `postgres`…); the metadata store's `kind`. */
  readonly name: string;
  /**
   * Whether `INSERT`/`UPDATE … RETURNING` works. Default `false`: the stores then read the written
   * row back in the same transaction.
   */
  readonly supportsReturning: boolean;
  /** How many times a write transaction is retried on a retryable error before giving up. Default 50. */
  readonly maxWriteRetries: number;
  /**
   * The most bound parameters one statement may carry; a query needing more is refused with
   * `VALIDATION` before it reaches the database. Default 999, the lowest limit of common backends
   * (SQLite before 3.32); SQLite as built by better-sqlite3 allows 32,766, PostgreSQL 65,535.
   */
  readonly maxBoundParameters: number;
  /**
   * True when a write failed only because another writer held a lock and running it again may
   * succeed (SQLite's `SQLITE_BUSY`, PostgreSQL's serialization failures). Default: nothing is.
   */
  isRetryableError(error: unknown): boolean;
  /** The pause before retry `attempt` (0-based), in ms. Default: 5 ms doubling to 200 ms, jittered ±50%. */
  retryDelayMs(attempt: number): number;
  /** The error thrown once retries are exhausted. Default: `UNAVAILABLE`, the last error as `cause`. */
  retriesExhausted(error: unknown): Error;
  /** True when an error is a unique-constraint violation. Default: SQLSTATE `23505`. */
  isUniqueViolation(error: unknown): boolean;
  /**
   * Runs `fn` as one write transaction, once (the retry loop is {@link runWithRetries}'s). Default:
   * Kysely's `db.transaction()`, which begins with the backend's plain `BEGIN`.
   */
  runWriteTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T>;
  /**
   * Makes concurrent migration runs queue behind one another; called first inside the migration's
   * write transaction. Default: nothing, which is right when {@link runWriteTransaction} already
   * takes a database-wide write lock (SQLite's `BEGIN IMMEDIATE`); a server dialect overrides it
   * (PostgreSQL: `select pg_advisory_xact_lock(…)`, see `PostgresSqlDialect` in `mlcycle/postgres`).
   */
  acquireMigrationLock(trx: Kysely<any>): Promise<void>;
  /**
   * Runs the migrations' transaction, once. Default: {@link runWriteTransaction}. A server dialect
   * whose write transactions see one snapshot from their first statement overrides it with one whose
   * statements each see what committed before them (PostgreSQL: `READ COMMITTED`), so a process that
   * waited for the migration lock sees the migrations the other one applied.
   */
  runMigrationTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T>;
  /**
   * The database a migration's `up` is given, inside the migration transaction `trx`. Default: `trx`
   * itself. PostgreSQL adds a plugin creating every string column with `COLLATE "C"`, so strings
   * compare and sort by code point as on SQLite.
   */
  forMigrations(trx: Kysely<any>): Kysely<any>;
  /**
   * Announces `payload` on `channel` to the other processes using the database, inside the write
   * transaction `trx`: delivered when it commits, never when it rolls back. Default: nothing (a
   * database without notifications; its readers poll). PostgreSQL: `pg_notify`, heard through
   * `SqlDatabase.listen`.
   */
  notify(trx: Kysely<any>, channel: string, payload: string): Promise<void>;
  /**
   * `target` matched by a LIKE pattern in `\`-escape form (`%`, `_` wildcards; `\%`, `\_`, `\\`
   * literals), case-insensitively or not. Default: `like … escape '\'`, with `lower()` on both
   * sides when case-insensitive.
   */
  like(target: Expression<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<SqlBool>;
  /**
   * `target IN (values…)`, or `NOT IN` when `negated`, with the list bound in as few parameters as
   * the backend allows, so a long list never meets {@link maxBoundParameters}. `values` is not
   * empty. Default: one parameter per value (`in (?, ?, …)`); SQLite binds one JSON array
   * (`in (select value from json_each(?))`), PostgreSQL one array (`= any(?)`).
   */
  inList(target: Expression<unknown>, values: readonly (string | number)[], negated: boolean): RawBuilder<SqlBool>;
  /** An aggregate of key/value rows into one JSON object. Default: `json_object_agg(key, value)`. */
  jsonObjectAgg(key: Expression<unknown>, value: Expression<unknown>): RawBuilder<unknown>;
  /**
   * A metric value to aggregate into JSON with its sign of zero put back: the value where `flag`
   * (the `negative_zero` column) is not 1, else something the JSON reader turns into `-0` (the
   * text `"-0"`). Lets the latest metrics of a run be read with one aggregate rather than a second one
   * of the flagged keys. Default: `undefined` (no such expression: the flagged keys are aggregated apart).
   */
  signedZeroMetric(value: Expression<unknown>, flag: Expression<unknown>): RawBuilder<unknown> | undefined;
  /**
   * The condition of an upsert's `DO UPDATE … WHERE` that keeps the newest row: the incoming row
   * (`excluded`) replaces the stored one of `table` when its first version column is greater, or equal
   * and its second at least as great — the SQL form of `supersedes` (`stores/newest-wins.ts`). Default: that
   * comparison written with `or`/`and`, valid on every backend with `ON CONFLICT`.
   */
  upsertIfNewer(table: string, columns: readonly [string, string]): RawBuilder<SqlBool>;
  /**
   * The column type of an auto-incrementing integer primary key. Default: `serial` / `bigserial`
   * (PostgreSQL's spelling).
   */
  autoIncrementType(size: "integer" | "bigint"): RawBuilder<unknown>;
  /**
   * A table definition changed so rows are stored in primary-key order where the backend can (SQLite:
   * `WITHOUT ROWID`). Default: unchanged.
   */
  clusterByPrimaryKey<T extends string, C extends string>(table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>;
}

/**
 * The defaults of every {@link SqlDialect} member but `name`: standard SQL, PostgreSQL's spelling
 * where the standard says nothing. A dialect overrides what differs.
 */
export abstract class SqlDialectBase implements SqlDialect {
  abstract readonly name: string;
  readonly supportsReturning: boolean = false;
  readonly maxWriteRetries: number = 50;
  readonly maxBoundParameters: number = 999;

  isRetryableError(_error: unknown): boolean {
    return false;
  }

  retryDelayMs(attempt: number): number {
    return Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random());
  }

  retriesExhausted(error: unknown): Error {
    return new MlcycleError("UNAVAILABLE", `the ${this.name} database stayed locked by another writer`, {
      cause: error,
    });
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: unknown } | undefined)?.code === "23505";
  }

  runWriteTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return db.transaction().execute((trx: Transaction<any>) => fn(trx));
  }

  async acquireMigrationLock(_trx: Kysely<any>): Promise<void> {}

  runMigrationTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.runWriteTransaction(db, fn);
  }

  forMigrations(trx: Kysely<any>): Kysely<any> {
    return trx;
  }

  async notify(_trx: Kysely<any>, _channel: string, _payload: string): Promise<void> {}

  like(target: Expression<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<SqlBool> {
    return caseInsensitive
      ? sql<SqlBool>`lower(${target}) like lower(${pattern}) escape '\\'`
      : sql<SqlBool>`${target} like ${pattern} escape '\\'`;
  }

  inList(target: Expression<unknown>, values: readonly (string | number)[], negated: boolean): RawBuilder<SqlBool> {
    return negated
      ? sql<SqlBool>`${target} not in (${sql.join(values)})`
      : sql<SqlBool>`${target} in (${sql.join(values)})`;
  }

  jsonObjectAgg(key: Expression<unknown>, value: Expression<unknown>): RawBuilder<unknown> {
    return sql`json_object_agg(${key}, ${value})`;
  }

  signedZeroMetric(_value: Expression<unknown>, _flag: Expression<unknown>): RawBuilder<unknown> | undefined {
    return undefined;
  }

  upsertIfNewer(table: string, [first, second]: readonly [string, string]): RawBuilder<SqlBool> {
    const incoming = (c: string) => sql.ref(`excluded.${c}`);
    const stored = (c: string) => sql.ref(`${table}.${c}`);
    return sql<SqlBool>`(${incoming(first)} > ${stored(first)} or (${incoming(first)} = ${stored(first)} and ${incoming(second)} >= ${stored(second)}))`;
  }

  autoIncrementType(size: "integer" | "bigint"): RawBuilder<unknown> {
    return sql.raw(size === "bigint" ? "bigserial" : "serial");
  }

  clusterByPrimaryKey<T extends string, C extends string>(table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> {
    return table;
  }
}

/**
 * The one busy-retry loop of the SQL stores: runs `attempt` until it succeeds, throws an error the
 * dialect does not call retryable, or has failed {@link SqlDialect.maxWriteRetries} more times. A
 * synchronous stretch of `attempt` stays synchronous (it is called directly, not after an await).
 *
 * @example
 * ```ts
 * const n = await runWithRetries(database.dialect, () => database.dialect.runWriteTransaction(db, work));
 * ```
 */
export async function runWithRetries<T>(dialect: SqlDialect, attempt: () => T | Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!dialect.isRetryableError(error)) throw error;
      if (n >= dialect.maxWriteRetries) throw dialect.retriesExhausted(error);
      await new Promise((resolve) => setTimeout(resolve, dialect.retryDelayMs(n)));
    }
  }
}

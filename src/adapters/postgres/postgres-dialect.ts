import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import { sha256 } from "../../core/hash.js";
import { SqlDialectBase } from "../../stores/sql/sql-dialect.js";
import { CodePointCollationPlugin } from "./postgres-collation.js";
import { DEFAULT_POSTGRES_SCHEMA } from "./postgres-schema.js";

/** SQLSTATEs of a transaction PostgreSQL aborted for running it again: serialization failure, deadlock. */
const RETRYABLE = new Set(["40001", "40P01"]);

/** The longest channel name `LISTEN` and `pg_notify` take (NAMEDATALEN − 1 bytes). */
const MAX_CHANNEL_BYTES = 63;

/**
 * PostgreSQL's {@link SqlDialectBase | SQL dialect}, for the stores of one schema. What differs from
 * SQLite, each in one member:
 *
 * - **Write transactions are `SERIALIZABLE`** ({@link runWriteTransaction}): the SQL stores read then
 *   write inside a transaction (the next version number, a compare-and-set, a step claim), which
 *   SQLite makes safe by taking the database's write lock up front; PostgreSQL gives the same
 *   guarantee without a global lock, aborting one of two transactions that would interleave
 *   (`40001`; deadlocks `40P01`), which {@link isRetryableError} sends round the busy-retry loop.
 * - **Migrations** take a transaction-scoped advisory lock of their schema
 *   ({@link acquireMigrationLock}) in a `READ COMMITTED` transaction
 *   ({@link runMigrationTransaction}), so a process that waited for another's migrations sees them
 *   applied; the schema is created there when absent.
 * - **Strings compare by code point** ({@link forMigrations}): string columns are created with
 *   `COLLATE "C"`, whatever the database's collation.
 * - Case-insensitive `LIKE` is `ILIKE`; an `IN` list is one bound array (`= any($1)`); `RETURNING`.
 * - **Alias moves are announced** with `pg_notify` in the moving transaction ({@link notify}); the
 *   adapter's `LISTEN` client hears them in every process.
 *
 * Numbers and JSON come back as SQLite gives them because of the adapter's type parsers (see
 * `kyselyPool`), not because of the dialect: `bigint`/`numeric` as numbers, `json` as text.
 *
 * @example
 * ```ts
 * const dialect = new PostgresSqlDialect("mlcycle");
 * dialect.channel("alias-moves"); // "mlcycle:alias-moves:mlcycle"
 * ```
 */
export class PostgresSqlDialect extends SqlDialectBase {
  readonly name = "postgres";
  override readonly supportsReturning = true;
  /** PostgreSQL's protocol counts a statement's parameters in 16 bits. */
  override readonly maxBoundParameters = 65_535;

  /** The first half of the advisory lock key every mlcycle migration run takes; the second is the schema's hash. */
  static readonly MIGRATION_LOCK_KEY = 726351;

  private readonly collation = new CodePointCollationPlugin();

  /** @param schema The schema the stores' tables are in (default `public`), already checked. */
  constructor(readonly schema: string = DEFAULT_POSTGRES_SCHEMA) {
    super();
  }

  override isRetryableError(error: unknown): boolean {
    const code = (error as { code?: unknown } | undefined)?.code;
    return typeof code === "string" && RETRYABLE.has(code);
  }

  override retriesExhausted(error: unknown): Error {
    return new MlcycleError(
      "UNAVAILABLE",
      "PostgreSQL kept aborting the write for conflicting with concurrent ones (serialization failures or deadlocks)",
      { cause: error },
    );
  }

  override runWriteTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return db
      .transaction()
      .setIsolationLevel("serializable")
      .execute((trx) => fn(trx));
  }

  /**
   * `READ COMMITTED`: each statement sees what committed before it began, so after waiting for the
   * migration lock a process sees the tables and `mlcycle_migrations` rows of the one it waited for
   * (under `SERIALIZABLE` its snapshot would date from the lock statement and predate them).
   */
  override runMigrationTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return db.transaction().execute((trx) => fn(trx));
  }

  /**
   * Takes the schema's advisory lock (`pg_advisory_xact_lock(key, hashtext(schema))`, released at
   * commit or rollback), then creates the schema when it does not exist — under the lock, since two
   * concurrent `CREATE SCHEMA IF NOT EXISTS` can both fail on the catalog's unique index. An
   * existing schema is not created again, so a role without `CREATE` on the database can use one
   * made for it.
   */
  override async acquireMigrationLock(trx: Kysely<any>): Promise<void> {
    await sql`select pg_advisory_xact_lock(${sql.lit(PostgresSqlDialect.MIGRATION_LOCK_KEY)}, hashtext(${this.schema}))`.execute(
      trx,
    );
    const found = await sql`select 1 from pg_namespace where nspname = ${this.schema}`.execute(trx);
    if (found.rows.length === 0) await sql`create schema ${sql.id(this.schema)}`.execute(trx);
  }

  /** Migrations create string columns with `COLLATE "C"` (see {@link CodePointCollationPlugin}). */
  override forMigrations(db: Kysely<any>): Kysely<any> {
    return db.withPlugin(this.collation);
  }

  override inList(
    target: Expression<unknown>,
    values: readonly (string | number)[],
    negated: boolean,
  ): RawBuilder<SqlBool> {
    // One array parameter whatever the list's length; `<> all` is `NOT IN` (NULL when target is).
    return negated ? sql<SqlBool>`${target} <> all(${[...values]})` : sql<SqlBool>`${target} = any(${[...values]})`;
  }

  override like(target: Expression<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<SqlBool> {
    return caseInsensitive
      ? sql<SqlBool>`${target} ilike ${pattern} escape '\\'`
      : sql<SqlBool>`${target} like ${pattern} escape '\\'`;
  }

  /** `select pg_notify(channel, payload)`: delivered to every `LISTEN`er when the transaction commits. */
  override async notify(trx: Kysely<any>, channel: string, payload: string): Promise<void> {
    await sql`select pg_notify(${this.channel(channel)}, ${payload})`.execute(trx);
  }

  /**
   * The PostgreSQL channel of a store channel in this schema: `mlcycle:<channel>:<schema>`, or, when
   * that is longer than PostgreSQL allows (63 bytes), `mlcycle:<channel>:` and a hash of the schema.
   */
  channel(channel: string): string {
    const plain = `mlcycle:${channel}:${this.schema}`;
    if (Buffer.byteLength(plain) <= MAX_CHANNEL_BYTES) return plain;
    const prefix = `mlcycle:${channel}:`;
    return `${prefix}${sha256(this.schema).slice(0, 16)}`;
  }
}

import { type CreateTableBuilder, type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import { MlcycleError } from "../../core/errors.js";
import { SqlDialectBase } from "../../stores/sql/sql-dialect.js";

const BUSY = new Set(["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"]);

/**
 * SQLite's {@link SqlDialectBase | SQL dialect}: write transactions begin with `BEGIN IMMEDIATE`
 * (the write lock up front, so two writers never deadlock on a lock upgrade, and migrations need no
 * other lock), "database is locked" errors are retried, case-sensitive LIKE is `GLOB` (SQLite's
 * `LIKE` ignores ASCII case), JSON objects aggregate with `json_group_object`, clustered tables are
 * `WITHOUT ROWID`.
 */
export class SqliteSqlDialect extends SqlDialectBase {
  readonly name = "sqlite";
  override readonly supportsReturning = true;
  /** `SQLITE_MAX_VARIABLE_NUMBER` as better-sqlite3 compiles SQLite (the default since SQLite 3.32). */
  override readonly maxBoundParameters = 32_766;

  override isRetryableError(error: unknown): boolean {
    const code = (error as { code?: unknown } | undefined)?.code;
    return typeof code === "string" && BUSY.has(code);
  }

  override retriesExhausted(error: unknown): Error {
    return new MlcycleError("UNAVAILABLE", "the SQLite database stayed locked by another writer", { cause: error });
  }

  override isUniqueViolation(error: unknown): boolean {
    const e = error as { code?: unknown; message?: unknown } | undefined;
    return (
      e?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
      e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
      (typeof e?.message === "string" && e.message.includes("UNIQUE constraint failed")) ||
      super.isUniqueViolation(error)
    );
  }

  override runWriteTransaction<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw error;
      }
    });
  }

  override like(target: Expression<unknown>, pattern: string, caseInsensitive: boolean): RawBuilder<SqlBool> {
    return caseInsensitive
      ? sql<SqlBool>`${target} like ${pattern} escape '\\'`
      : sql<SqlBool>`${target} glob ${globPattern(pattern)}`;
  }

  override inList(
    target: Expression<unknown>,
    values: readonly (string | number)[],
    negated: boolean,
  ): RawBuilder<SqlBool> {
    // JSON has no ±Infinity (JSON.stringify writes null, which would poison NOT IN): those few
    // values stay ordinary parameters beside the one JSON array of all the others.
    const inJson = values.filter((v) => typeof v !== "number" || Number.isFinite(v));
    const apart = values.filter((v) => typeof v === "number" && !Number.isFinite(v));
    const parts: RawBuilder<SqlBool>[] = [];
    if (inJson.length)
      parts.push(
        sql<SqlBool>`${target} ${sql.raw(negated ? "not in" : "in")} (select value from json_each(${JSON.stringify(inJson)}))`,
      );
    if (apart.length) parts.push(super.inList(target, apart, negated));
    return sql<SqlBool>`(${sql.join(parts, sql.raw(negated ? " and " : " or "))})`;
  }

  override jsonObjectAgg(key: Expression<unknown>, value: Expression<unknown>): RawBuilder<unknown> {
    return sql`json_group_object(${key}, ${value})`;
  }

  override signedZeroMetric(value: Expression<unknown>, flag: Expression<unknown>): RawBuilder<unknown> {
    // SQLite drops the sign of a REAL zero (even in an expression), so -0 travels as JSON text.
    return sql`(case when ${flag} = 1 then '-0' else ${value} end)`;
  }

  override autoIncrementType(_size: "integer" | "bigint"): RawBuilder<unknown> {
    return sql.raw("integer");
  }

  override clusterByPrimaryKey<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
  ): CreateTableBuilder<T, C> {
    return table.modifyEnd(sql`without rowid`);
  }
}

/** A LIKE pattern in `\`-escape form as a `GLOB` pattern (`*`, `?`; literal `*`, `?`, `[` bracketed). */
function globPattern(like: string): string {
  let out = "";
  for (let i = 0; i < like.length; i++) {
    const c = like[i];
    if (c === "\\" && i + 1 < like.length) {
      const lit = like[++i];
      out += lit === "*" || lit === "?" || lit === "[" ? `[${lit}]` : lit;
    } else if (c === "%") out += "*";
    else if (c === "_") out += "?";
    else out += c === "*" || c === "?" || c === "[" ? `[${c}]` : c;
  }
  return out;
}

import type { Kysely } from "kysely";
import type { SqlAccelerator, SqlPreparedStatement } from "../../stores/sql/sql-accelerator.js";
import type { SqlDialect } from "../../stores/sql/sql-dialect.js";
import { SqliteGroupCommit } from "./sqlite-group-commit.js";
import type { SqliteHandle, SqliteStatementHandle } from "./sqlite-handle.js";
import { SqlitePointInTime } from "./sqlite-point-in-time.js";

/** A better-sqlite3 statement behind the {@link SqlPreparedStatement} contract (parameters as one array). */
class Prepared implements SqlPreparedStatement {
  constructor(private readonly stmt: SqliteStatementHandle) {}
  run(params: readonly unknown[]): { changes: number } {
    return this.stmt.run(params);
  }
  get(params: readonly unknown[]): unknown {
    return this.stmt.get(params);
  }
  all(params: readonly unknown[]): unknown[] {
    return this.stmt.all(params);
  }
}

/**
 * The SQLite {@link SqlAccelerator}: statements prepared once per text on the better-sqlite3
 * connection Kysely uses, the {@link SqliteGroupCommit}, and point-in-time lookups through a
 * temporary probe table (on a worker thread for large lookups on a file).
 */
export class SqliteAccelerator implements SqlAccelerator {
  /** The group commit of the connection (also reachable through `sqliteWrite`). */
  readonly groupCommit: SqliteGroupCommit;
  readonly offline: SqlitePointInTime;
  private readonly statements = new Map<string, Prepared>();

  constructor(
    db: Kysely<any>,
    dialect: SqlDialect,
    private readonly raw: SqliteHandle,
  ) {
    this.groupCommit = new SqliteGroupCommit(db, dialect, raw);
    this.offline = new SqlitePointInTime(raw);
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  prepare(sql: string, shape: "object" | "array" = "object"): SqlPreparedStatement {
    const key = shape === "array" ? `a:${sql}` : sql;
    let p = this.statements.get(key);
    if (!p) {
      const stmt = this.raw.prepare(sql);
      if (shape === "array" && stmt.reader) stmt.raw(true);
      p = new Prepared(stmt);
      this.statements.set(key, p);
    }
    return p;
  }

  write<T>(work: () => T): Promise<T> {
    return this.groupCommit.write(work);
  }
}

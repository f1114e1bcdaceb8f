import type { Kysely } from "kysely";
import type { SqlAccelerator, SqlPreparedStatement } from "../../stores/sql/sql-accelerator.js";
import type { SqlDialect } from "../../stores/sql/sql-dialect.js";
import { SqliteGroupCommit } from "./sqlite-group-commit.js";
import type { SqliteHandle, SqliteStatementHandle } from "./sqlite-handle.js";
import { SqlitePointInTime } from "./sqlite-point-in-time.js";

/** A better-sqlite3 statement behind the {@link SqlPreparedStatement} contract (parameters as one array). */
class Prepared implements SqlPreparedStatement {
  constructor(
    private readonly stmt: SqliteStatementHandle,
    private readonly assertOpen: () => void,
  ) {}
  run(params: readonly unknown[]): { changes: number } {
    this.assertOpen();
    return this.stmt.run(params);
  }
  get(params: readonly unknown[]): unknown {
    this.assertOpen();
    return this.stmt.get(params);
  }
  all(params: readonly unknown[]): unknown[] {
    this.assertOpen();
    return this.stmt.all(params);
  }
}

/** What several {@link SqliteAccelerator}s of one connection share (see {@link SqliteAcceleratorOptions}). */
export interface SqliteAcceleratorOptions {
  /** The group commit of the connection, when another accelerator of it already made one. */
  groupCommit?: SqliteGroupCommit;
  /** The point-in-time lookups of the connection, when another accelerator of it already made them. */
  offline?: SqlitePointInTime;
  /** Throws when the handle this accelerator belongs to is closed (default: never). */
  assertOpen?: () => void;
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

  private readonly assertOpen: () => void;

  constructor(
    db: Kysely<any>,
    dialect: SqlDialect,
    private readonly raw: SqliteHandle,
    options: SqliteAcceleratorOptions = {},
  ) {
    this.groupCommit = options.groupCommit ?? new SqliteGroupCommit(db, dialect, raw);
    this.offline = options.offline ?? new SqlitePointInTime(raw);
    this.assertOpen = options.assertOpen ?? (() => undefined);
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  prepare(sql: string, shape: "object" | "array" = "object"): SqlPreparedStatement {
    this.assertOpen();
    const key = shape === "array" ? `a:${sql}` : sql;
    let p = this.statements.get(key);
    if (!p) {
      const stmt = this.raw.prepare(sql);
      if (shape === "array" && stmt.reader) stmt.raw(true);
      p = new Prepared(stmt, this.assertOpen);
      this.statements.set(key, p);
    }
    return p;
  }

  write<T>(work: () => T): Promise<T> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.groupCommit.write(work);
  }
}

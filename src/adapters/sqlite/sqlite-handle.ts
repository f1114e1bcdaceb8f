/**
 * The subset of a better-sqlite3 statement the SQLite adapter and its users call, typed
 * structurally so that no public type of mlcycle names better-sqlite3's own.
 */
export interface SqliteStatementHandle {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Returns only the first column of each row. */
  pluck(toggle?: boolean): this;
  /** Returns rows as arrays of values. */
  raw(toggle?: boolean): this;
  readonly reader: boolean;
}

/**
 * The subset of a better-sqlite3 `Database` the SQLite adapter uses (and tests or benchmarks may
 * reach through `SqliteDatabase.sqlite`), typed structurally.
 */
export interface SqliteHandle {
  prepare(sql: string): SqliteStatementHandle;
  exec(sql: string): unknown;
  pragma(source: string): unknown;
  /** Wraps `fn` in a transaction (`BEGIN`; `.immediate` for `BEGIN IMMEDIATE`). */
  transaction<F extends (...args: any[]) => unknown>(fn: F): F & { deferred: F; immediate: F; exclusive: F };
  close(): unknown;
  /** True while a transaction is open on the connection. */
  readonly inTransaction: boolean;
  /** True for an in-memory database. */
  readonly memory: boolean;
  /** The file name the database was opened with. */
  readonly name: string;
}

import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, type KyselyPlugin, SqliteDialect } from "kysely";
import { closedError, MlcycleError } from "../../core/errors.js";
import type { SqlDatabase } from "../../stores/sql/sql-database.js";
import { SqliteAccelerator } from "./sqlite-accelerator.js";
import { databaseFileKey, SqliteConnectionRegistry } from "./sqlite-connection-registry.js";
import { SqliteSqlDialect } from "./sqlite-dialect.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** Options of {@link openSqliteDatabase}. */
export interface SqliteDatabaseOptions {
  /** File path, or `":memory:"`. */
  path: string;
  /** How long a writer waits for another process's lock before failing, in ms (default 10000). */
  busyTimeoutMs?: number;
}

/** A {@link SqlDatabase} on SQLite, with the raw connection for SQLite-only work (tests, benchmarks). */
export interface SqliteDatabase extends SqlDatabase {
  readonly dialect: SqliteSqlDialect;
  readonly accelerator: SqliteAccelerator;
  /** The better-sqlite3 connection Kysely uses (typed structurally). */
  readonly sqlite: SqliteHandle;
}

/**
 * Opens a SQLite file with the settings several processes need to share it: WAL journal, a busy
 * timeout, `synchronous = NORMAL` (durable at each checkpoint, safe against process crashes) and
 * foreign keys on; with SQLite's dialect and accelerator (prepared statements, group commit,
 * point-in-time lookups on a worker thread).
 *
 * Within one process, every handle opened on one file (by its real path) shares one connection, so
 * two workspaces on one folder queue their writes instead of blocking the event loop on each
 * other's lock; each handle closes on its own (then answers the closed error) and the last close
 * closes the connection. The first opener's `busyTimeoutMs` applies. `":memory:"` is never shared.
 *
 * @example
 * ```ts
 * const database = openSqliteDatabase({ path: "meta.db" });
 * const store = sqlStore(database);
 * ```
 */
export function openSqliteDatabase(options: SqliteDatabaseOptions): SqliteDatabase {
  const file = options.path === ":memory:" ? ":memory:" : resolve(options.path);
  // An in-memory database is private to its connection: never shared.
  if (file === ":memory:") {
    const connection = openConnection(file, options);
    return handleOf(connection, () => connection.db.destroy());
  }
  mkdirSync(dirname(file), { recursive: true });
  const { value: connection, release } = connections.acquire(databaseFileKey(file), () =>
    openConnection(file, options),
  );
  return handleOf(connection, async () => {
    if (release()) await connection.db.destroy();
  });
}

/** One better-sqlite3 connection with its Kysely instance, group commit and point-in-time lookups. */
interface SqliteConnection {
  raw: SqliteHandle;
  db: Kysely<any>;
  dialect: SqliteSqlDialect;
  accelerator: SqliteAccelerator;
}

/**
 * The connections of this process by database file: every handle on one file uses one connection
 * (why: see {@link SqliteConnectionRegistry}). The first opener's busy timeout applies.
 */
const connections = new SqliteConnectionRegistry<SqliteConnection>();

/** How many open handles of this process use the connection of `path` (0: none). */
export function sqliteConnectionReferences(path: string): number {
  if (path === ":memory:") return 0;
  const file = resolve(path);
  return existsSync(dirname(file)) ? connections.references(databaseFileKey(file)) : 0;
}

function openConnection(file: string, options: SqliteDatabaseOptions): SqliteConnection {
  let raw: Database.Database;
  try {
    raw = new Database(file, { timeout: options.busyTimeoutMs ?? 10_000 });
  } catch (error) {
    throw new MlcycleError("UNAVAILABLE", `cannot open SQLite database ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (file !== ":memory:") raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.pragma("foreign_keys = ON");
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
  const dialect = new SqliteSqlDialect();
  const handle = raw as unknown as SqliteHandle;
  return { raw: handle, db, dialect, accelerator: new SqliteAccelerator(db, dialect, handle) };
}

/**
 * A handle on a connection: its own Kysely view and accelerator, which answer the closed error once
 * this handle is closed (another handle on the connection goes on working); `destroy` runs on the
 * first `close()`.
 */
function handleOf(connection: SqliteConnection, destroy: () => Promise<void>): SqliteDatabase {
  let closed = false;
  const assertOpen = () => {
    if (closed) throw closedError("the SQLite database");
  };
  const guard: KyselyPlugin = {
    transformQuery(args) {
      assertOpen();
      return args.node;
    },
    transformResult(args) {
      return Promise.resolve(args.result);
    },
  };
  const db = connection.db.withPlugin(guard);
  return {
    db,
    dialect: connection.dialect,
    sqlite: connection.raw,
    accelerator: new SqliteAccelerator(db, connection.dialect, connection.raw, {
      groupCommit: connection.accelerator.groupCommit,
      offline: connection.accelerator.offline,
      assertOpen,
    }),
    async close() {
      if (closed) return;
      closed = true;
      await destroy();
    },
  };
}

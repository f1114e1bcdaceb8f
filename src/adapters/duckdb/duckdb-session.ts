import { invalid, MlcycleError } from "../../core/errors.js";
import {
  type DuckDBConnectionLike,
  type DuckDBInstanceLike,
  duckdbError,
  isDuckDBConnection,
  isDuckDBInstance,
} from "./duckdb-client.js";

/** Where the DuckDB adapter runs its statements: the caller's instance or one connection of theirs. */
export interface DuckDBTarget {
  /**
   * The caller's `DuckDBInstance` (`await DuckDBInstance.create(path)`): the adapter opens
   * connections of its own on it (one per concurrent operation, kept for reuse, closed by
   * `close()`), so a long scan and a write never wait on each other. Preferred.
   */
  instance?: DuckDBInstanceLike;
  /**
   * Or one `DuckDBConnection` of the caller's: every operation then takes turns on it, and scans
   * read page by page instead of streaming one query. The adapter never closes it.
   */
  connection?: DuckDBConnectionLike;
}

/** Idle connections kept for reuse. */
const MAX_IDLE = 4;

/**
 * The connections of one DuckDB store: on an instance, a small pool of connections of its own;
 * on a caller's connection, that connection taken in turns (a queue), since DuckDB runs one
 * transaction and one streaming result per connection at a time.
 */
export class DuckDBSession {
  private readonly instance?: DuckDBInstanceLike;
  private readonly shared?: DuckDBConnectionLike;
  private readonly idle: DuckDBConnectionLike[] = [];
  private readonly open = new Set<DuckDBConnectionLike>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(target: DuckDBTarget, what: string) {
    if (typeof target !== "object" || target === null)
      throw invalid([], `${what} options must be an object with an instance or a connection`);
    if (target.instance !== undefined && target.connection !== undefined)
      throw invalid(["instance"], "give an instance or a connection, not both");
    if (target.instance !== undefined) {
      if (!isDuckDBInstance(target.instance))
        throw invalid(
          ["instance"],
          "must be a DuckDBInstance from @duckdb/node-api (await DuckDBInstance.create(path))",
        );
      this.instance = target.instance;
    } else if (target.connection !== undefined) {
      if (!isDuckDBConnection(target.connection))
        throw invalid(["connection"], "must be a DuckDBConnection from @duckdb/node-api (await instance.connect())");
      this.shared = target.connection;
    } else throw invalid([], `${what} needs an instance (a DuckDBInstance) or a connection (a DuckDBConnection)`);
  }

  /** True when every operation has a connection of its own (streams may stay open between pages). */
  get pooled(): boolean {
    return this.instance !== undefined;
  }

  /**
   * Runs `work` with a connection no other operation uses meanwhile, and gives it back afterwards
   * (on the caller's single connection: waits for its turn).
   */
  async use<T>(work: (connection: DuckDBConnectionLike) => Promise<T>): Promise<T> {
    const { connection, release } = await this.acquire();
    try {
      return await work(connection);
    } finally {
      release();
    }
  }

  /** A connection held until `release` is called (streaming reads hold one across pages). */
  async acquire(): Promise<{ connection: DuckDBConnectionLike; release: () => void }> {
    if (this.closed) throw new MlcycleError("UNAVAILABLE", "the DuckDB store is closed", { details: { closed: true } });
    if (this.shared) {
      const shared = this.shared;
      let release!: () => void;
      const turn = new Promise<void>((resolve) => {
        release = resolve;
      });
      const previous = this.queue;
      this.queue = previous.then(() => turn);
      await previous;
      let released = false;
      return {
        connection: shared,
        release: () => {
          if (!released) {
            released = true;
            release();
          }
        },
      };
    }
    let connection = this.idle.pop();
    if (!connection) {
      try {
        connection = await (this.instance as DuckDBInstanceLike).connect();
      } catch (error) {
        throw duckdbError("opening a connection", error);
      }
      this.open.add(connection);
    }
    const con = connection;
    let released = false;
    return {
      connection: con,
      release: () => {
        if (released) return;
        released = true;
        if (!this.closed && this.idle.length < MAX_IDLE) this.idle.push(con);
        else {
          this.open.delete(con);
          con.closeSync();
        }
      },
    };
  }

  /** Closes the connections this session opened (never the caller's instance or connection). */
  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) {
      this.open.delete(c);
      c.closeSync();
    }
  }
}

/** A promise chain that runs one task at a time, in call order. */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

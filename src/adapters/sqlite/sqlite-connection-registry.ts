import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * The SQLite connections open in this process, keyed by the database file's real path, each with
 * the number of handles using it.
 *
 * Why one connection per file and process: two connections of one process on one file contend for
 * SQLite's write lock on the same thread. When one holds a write transaction across an `await` (a
 * Kysely transaction: migrations, registry and pipeline writes), the other's synchronous
 * `BEGIN IMMEDIATE` spins in SQLite's busy handler and blocks the event loop — which is the only
 * thing that could let the first one commit — for the whole busy timeout. Transactions that span
 * awaits are how the SQL stores are written (and how any Kysely user writes), so instead of
 * forbidding them, handles on one file share its connection: Kysely's connection lock and the group
 * commit then queue their writes without ever blocking the thread. Other processes still get their
 * own connections (SQLite's file locks and the busy timeout serve them).
 */
export class SqliteConnectionRegistry<T> {
  private readonly open = new Map<string, { value: T; refs: number }>();

  /**
   * The connection of `key`, opened by `create` when none is open, with its reference count taken.
   * `release` gives the reference back; the last one returns true (the caller closes it).
   */
  acquire(key: string, create: () => T): { value: T; release: () => boolean } {
    let entry = this.open.get(key);
    if (!entry) {
      entry = { value: create(), refs: 0 };
      this.open.set(key, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return {
      value: held.value,
      release: () => {
        if (released) return false;
        released = true;
        held.refs--;
        if (held.refs > 0) return false;
        if (this.open.get(key) === held) this.open.delete(key);
        return true;
      },
    };
  }

  /** How many handles use the connection of `key` (0: none open). */
  references(key: string): number {
    return this.open.get(key)?.refs ?? 0;
  }
}

/**
 * The key of a database file: its real path (symlinks and `..` resolved), so two spellings of one
 * file share one connection. A file not created yet is keyed by its folder's real path.
 */
export function databaseFileKey(file: string): string {
  if (existsSync(file)) return realpathSync(file);
  return join(realpathSync(dirname(file)), basename(file));
}

import { compileWithSlots, type SlottedQuery, type SqlPreparedStatement, slot } from "./sql-accelerator.js";
import type { SqlDatabase } from "./sql-database.js";

/** A placeholder value of a prepared hot-path statement. */
export const v = (name: string) => slot<string>(name);

/** A prepared hot-path statement and the slotted query it was compiled from (which binds its values). */
export interface Hot {
  stmt: SqlPreparedStatement;
  query: SlottedQuery;
}

/** The pipeline store's per-step hot paths, prepared once by name and shared by its runs, steps and cache. */
export class SqlPipelineHotStatements {
  private readonly hot = new Map<string, Hot>();

  constructor(readonly database: SqlDatabase) {}

  /**
   * A per-step hot path with an accelerator: the query is built by Kysely once, with slot values,
   * and kept as a prepared statement; each call binds the real values. Without an accelerator, or
   * while a transaction another caller opened through Kysely holds the connection (a prepared
   * statement now would join it), undefined: the caller goes through Kysely, which waits for it.
   */
  get(name: string, build: () => Parameters<typeof compileWithSlots>[0]): Hot | undefined {
    const fast = this.database.accelerator;
    if (!fast || fast.inTransaction) return undefined;
    let h = this.hot.get(name);
    if (!h) {
      const query = compileWithSlots(build());
      h = { stmt: fast.prepare(query.sql), query };
      this.hot.set(name, h);
    }
    return h;
  }
}

import Database from "better-sqlite3";
import { MlcycleError } from "../../core/errors.js";
import type { SourceColumnKind, SourceColumn, SqlParam } from "../../stores/offline-engine.js";
import type { SqlRowReader } from "../../stores/sql-row-reader.js";
import type { SqliteHandle, SqliteStatementHandle } from "./sqlite-handle.js";

interface ColumnsStatement extends SqliteStatementHandle {
  columns(): Array<{ name: string; type: string | null }>;
}

/**
 * SQL sources on a SQLite database: on a file, each query reads on a read-only connection of its
 * own (WAL lets it read while the workspace writes, and the workspace's connection stays free for
 * the writes a materialisation makes between chunks); on `:memory:`, page by page
 * (`LIMIT … OFFSET …`) on the one connection there is.
 */
export class SqliteRowReader implements SqlRowReader {
  readonly kind = "sqlite";

  constructor(private readonly raw: SqliteHandle) {}

  async *rows(
    query: string,
    params: readonly SqlParam[],
    chunkSize: number,
  ): AsyncIterable<Array<Record<string, unknown>>> {
    const values = params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
    if (this.raw.memory) {
      const page = this.prepare(this.raw, `SELECT * FROM (${query}) LIMIT ? OFFSET ?`);
      for (let offset = 0; ; offset += chunkSize) {
        const rows = this.run(() => page.all(...values, chunkSize, offset)) as Array<Record<string, unknown>>;
        if (rows.length > 0) yield rows;
        if (rows.length < chunkSize) return;
      }
    }
    const reader = new Database(this.raw.name, { readonly: true, fileMustExist: true, timeout: 10_000 });
    try {
      reader.defaultSafeIntegers(false);
      const iterator = this.run(() => this.prepare(reader as unknown as SqliteHandle, query).iterate(...values));
      let chunk: Array<Record<string, unknown>> = [];
      for (;;) {
        const next = this.run(() => iterator.next());
        if (next.done) break;
        chunk.push(next.value as Record<string, unknown>);
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    } finally {
      reader.close();
    }
  }

  async columns(query: string): Promise<SourceColumn[]> {
    const stmt = this.prepare(this.raw, query) as ColumnsStatement;
    return this.run(() => stmt.columns()).map((c) => ({
      name: c.name,
      kind: sqliteKind(c.type),
      type: c.type ?? "(none)",
    }));
  }

  private prepare(db: SqliteHandle, query: string): SqliteStatementHandle {
    const stmt = this.run(() => db.prepare(query));
    if (!stmt.reader) throw new MlcycleError("VALIDATION", "a SQL source must be a query that returns rows (a SELECT)");
    return stmt;
  }

  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof MlcycleError) throw error;
      throw new MlcycleError("VALIDATION", `SQLite: the source query failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** The kind of a SQLite declared type, by SQLite's own type-affinity rules. */
function sqliteKind(type: string | null): SourceColumnKind {
  if (!type) return "unknown";
  const t = type.toUpperCase();
  if (t.includes("BOOL")) return "boolean";
  if (t.includes("INT")) return "integer";
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT")) return "string";
  if (t.includes("REAL") || t.includes("FLOA") || t.includes("DOUB")) return "number";
  if (t.includes("DATE") || t.includes("TIME")) return "text";
  return "unknown";
}

/**
 * The SQL-source reader of a SQLite database (see {@link SqliteRowReader}).
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ ...sqliteBackend({ path: "m.db" }) }); // brings it as `sql`
 * ```
 */
export function sqliteRowReader(database: { readonly sqlite: SqliteHandle }): SqlRowReader {
  return new SqliteRowReader(database.sqlite);
}

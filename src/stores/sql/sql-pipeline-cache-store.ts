import type { Kysely } from "kysely";
import type { CacheEntry } from "../pipeline-store.js";
import type { SqlDatabase } from "./sql-database.js";
import { type SqlPipelineHotStatements, v } from "./sql-pipeline-hot-statements.js";
import type { CacheRow, Tables } from "./sql-pipeline-tables.js";

function toCache(r: CacheRow): CacheEntry {
  const e: CacheEntry = {
    key: r.key,
    baseKey: r.base_key,
    step: r.step,
    components: JSON.parse(r.components),
    output: JSON.parse(r.output),
    runId: r.run_id,
    createdAt: Number(r.created_at),
  };
  if (r.expires_at !== null) e.expiresAt = Number(r.expires_at);
  return e;
}

/** The step cache of the Kysely pipeline store (`pipeline_cache`); `SqlPipelineStore` delegates to it. */
/** The JSON of a cache entry's components and output, when already encoded. */
export interface CacheTexts {
  components?: string;
  output?: string;
}

export class SqlPipelineCacheStore {
  private readonly db: Kysely<Tables>;

  constructor(
    readonly database: SqlDatabase,
    private readonly hot: SqlPipelineHotStatements,
  ) {
    this.db = database.db as Kysely<Tables>;
  }

  /** See `PipelineStore.findCache`. */
  async findCache(baseKey: string) {
    const query = (key: string) =>
      this.db.selectFrom("pipeline_cache").selectAll().where("base_key", "=", key).orderBy("created_at", "desc");
    const hot = this.hot.get("findCache", () => query(v("baseKey")));
    const rows = hot ? (hot.stmt.all(hot.query.bind({ baseKey })) as CacheRow[]) : await query(baseKey).execute();
    return rows.map(toCache);
  }

  /** See `PipelineStore.listCache`. */
  async listCache(step: string, limit = 50) {
    const rows = await this.db
      .selectFrom("pipeline_cache")
      .selectAll()
      .where("step", "=", step)
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map(toCache);
  }

  /**
   * The row of a cache entry. `texts` are the JSON of its components and output when the caller
   * already encoded the very same objects (the step record written beside it holds them too).
   */
  cacheRow(entry: CacheEntry, texts: CacheTexts = {}): CacheRow {
    return {
      key: entry.key,
      base_key: entry.baseKey,
      step: entry.step,
      components: texts.components ?? JSON.stringify(entry.components),
      output: texts.output ?? JSON.stringify(entry.output),
      run_id: entry.runId,
      created_at: entry.createdAt,
      expires_at: entry.expiresAt ?? null,
    };
  }

  /** The upsert of a cache row through `db` (the store's connection or a transaction). */
  cacheQuery(db: Kysely<Tables>, r: CacheRow) {
    const { key: _key, ...rest } = r;
    return db
      .insertInto("pipeline_cache")
      .values(r)
      .onConflict((oc) => oc.column("key").doUpdateSet(rest));
  }

  /** The prepared cache upsert bound to an entry, with an accelerator when no other transaction is open. */
  hotCache(entry: CacheEntry, texts?: CacheTexts): { run(): void } | undefined {
    const row = this.cacheRow(entry, texts);
    const hot = this.hot.get("putCache", () =>
      this.cacheQuery(this.db, Object.fromEntries(Object.keys(row).map((k) => [k, v(k)])) as unknown as CacheRow),
    );
    if (!hot) return undefined;
    const args = hot.query.bind(row as unknown as Record<string, unknown>);
    return { run: () => void hot.stmt.run(args) };
  }

  /** See `PipelineStore.putCache`. */
  async putCache(entry: CacheEntry): Promise<void> {
    const hot = this.hotCache(entry);
    if (hot) hot.run();
    else await this.cacheQuery(this.db, this.cacheRow(entry)).execute();
  }

  /** See `PipelineStore.clearCache`. */
  async clearCache(step?: string) {
    let q = this.db.deleteFrom("pipeline_cache");
    if (step !== undefined) q = q.where("step", "=", step);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

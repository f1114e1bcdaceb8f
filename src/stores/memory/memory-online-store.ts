import {
  checkOnlineWrite,
  isNewerRecord,
  type OnlineRecord,
  type OnlineStore,
  type OnlineWrite,
} from "../online-store.js";

/**
 * The in-memory {@link OnlineStore}: one map per view. The reference implementation, and the
 * default when the metadata store is not SQLite. Values are kept as JSON does (`-0` reads back as
 * `0`, an `undefined` member is dropped), exactly as the SQL store gives them.
 */
export class MemoryOnlineStore implements OnlineStore {
  private readonly views = new Map<string, Map<string, OnlineRecord>>();

  async write(view: string, records: readonly OnlineWrite[]): Promise<number> {
    // Every record is checked before any is kept.
    const texts = records.map(checkOnlineWrite);
    let m = this.views.get(view);
    if (!m) this.views.set(view, (m = new Map()));
    let applied = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (!isNewerRecord(r, m.get(r.entityKey))) continue;
      m.set(
        r.entityKey,
        Object.freeze({
          eventTime: r.eventTime,
          createdTime: r.createdTime,
          // Kept as the SQL store keeps them (JSON text, parsed), so both serve the same values.
          values: Object.freeze(JSON.parse(texts[i]) as Record<string, unknown>),
        }),
      );
      applied++;
    }
    return applied;
  }

  async read(view: string, entityKeys: readonly string[]): Promise<Array<OnlineRecord | undefined>> {
    return this.readSync(view, entityKeys);
  }

  readSync(view: string, entityKeys: readonly string[]): Array<OnlineRecord | undefined> {
    const m = this.views.get(view);
    // Records are frozen on write, so readers share them without copying.
    const out = new Array<OnlineRecord | undefined>(entityKeys.length);
    for (let i = 0; i < entityKeys.length; i++) out[i] = m?.get(entityKeys[i]);
    return out;
  }

  async deleteView(view: string): Promise<void> {
    this.views.delete(view);
  }
}

/**
 * A new in-memory online store.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ online: memoryOnlineStore() });
 * ```
 */
export function memoryOnlineStore(): OnlineStore {
  return new MemoryOnlineStore();
}

import type { MonitorModelRef, MonitorStore, ReferenceProfileInfo } from "../stores/monitor-store.js";
import type { ReferenceProfile } from "./reference-profile.js";

/** A stored reference profile, loaded. */
export interface LoadedReference {
  version: number;
  model?: MonitorModelRef;
  profile: ReferenceProfile;
}

/** Whether two model versions are the same (by version id when both have one). */
export function sameModel(a: MonitorModelRef | undefined, b: MonitorModelRef | undefined): boolean {
  if (!a || !b) return false;
  if (a.versionId !== undefined && b.versionId !== undefined) return a.versionId === b.versionId;
  return a.model === b.model && a.version === b.version;
}

/**
 * A monitor's reference profiles as this process knows them: the list (re-read at each check, so a
 * reference added by another process is seen) and the bodies loaded so far (a stored profile never
 * changes, so a body is read once).
 */
export class ReferenceCache {
  private infos: ReferenceProfileInfo[] = [];
  private readonly loaded = new Map<number, LoadedReference>();

  constructor(
    private readonly store: MonitorStore,
    private readonly monitor: string,
  ) {}

  /** Re-reads the list; true when the newest reference changed. */
  async refresh(): Promise<boolean> {
    const infos = await this.store.listReferences(this.monitor);
    const changed = infos.at(-1)?.version !== this.infos.at(-1)?.version;
    this.infos = infos;
    return changed;
  }

  /** The newest reference, loaded. */
  async newest(): Promise<LoadedReference | undefined> {
    const n = this.infos.at(-1);
    return n ? this.load(n.version) : undefined;
  }

  /** A reference by version, loaded. */
  async load(version: number): Promise<LoadedReference | undefined> {
    const hit = this.loaded.get(version);
    if (hit) return hit;
    const r = await this.store.getReference(this.monitor, version);
    if (!r) return undefined;
    const loaded: LoadedReference = {
      version: r.version,
      ...(r.model ? { model: r.model } : {}),
      profile: r.profile as unknown as ReferenceProfile,
    };
    this.loaded.set(version, loaded);
    return loaded;
  }

  /** The reference of a model version (the newest describing it), else the newest reference. */
  async forModel(model: MonitorModelRef | undefined): Promise<LoadedReference | undefined> {
    const match = model ? [...this.infos].reverse().find((r) => sameModel(r.model, model)) : undefined;
    return match ? this.load(match.version) : this.newest();
  }
}

import type { Clock } from "../core/clock.js";
import { isMlcycleError, MlcycleError, notFound } from "../core/errors.js";
import type {
  OnlineExperimentPatch,
  OnlineExperimentRecord,
  OnlineExperimentStore,
} from "../stores/online-experiment-store.js";

/** A change decided from a read of the experiment: the patch and the audit entry written with it. */
export interface ExperimentChange {
  patch: Omit<OnlineExperimentPatch, "updatedAt">;
  event?: { action: string; actor: string; reason: string; details: Record<string, unknown> };
}

/** How many times a change is decided again after another writer got there first. */
const ATTEMPTS = 8;

/** The stored experiment, or `NOT_FOUND` naming it. */
export async function readExperiment(store: OnlineExperimentStore, name: string): Promise<OnlineExperimentRecord> {
  const record = await store.getExperiment(name);
  if (!record) throw notFound("online experiment", name);
  return record;
}

/**
 * Reads the experiment, lets `decide` choose a change from what it read (or none), and writes it by
 * compare-and-set on the revision read, with its audit entry in the same write. When another writer
 * changed the experiment in between (`CONFLICT`), it reads again and decides again — the decision is
 * made on the state it applies to, so two processes ticking one canary advance it once. Returns
 * the record after the write (or as read, when nothing changed) and the change applied.
 */
export async function changeExperiment(
  store: OnlineExperimentStore,
  clock: Clock,
  name: string,
  decide: (record: OnlineExperimentRecord) => ExperimentChange | undefined | Promise<ExperimentChange | undefined>,
): Promise<{ record: OnlineExperimentRecord; change: ExperimentChange | undefined }> {
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const record = await readExperiment(store, name);
    const change = await decide(record);
    if (!change) return { record, change };
    const at = Math.floor(clock.now());
    try {
      const updated = await store.updateExperiment(
        name,
        record.revision,
        { ...change.patch, updatedAt: Math.max(at, record.updatedAt) },
        change.event ? { ...change.event, at } : undefined,
      );
      return { record: updated, change };
    } catch (error) {
      if (!isMlcycleError(error, "CONFLICT")) throw error;
      last = error;
    }
  }
  throw new MlcycleError(
    "CONFLICT",
    `online experiment '${name}' kept changing under ${ATTEMPTS} attempts to update it; try again`,
    { cause: last, details: { experiment: name } },
  );
}

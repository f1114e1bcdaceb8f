import type { Kysely } from "kysely";
import type { RunLease } from "../pipeline-store.js";

/** The lease columns of `pipeline_runs` (migration `pipeline-0002-run-lease`). */
export interface RunLeaseColumns {
  lease_holder: string | null;
  lease_expires_at: number | string | null;
}

/** The part of the pipeline schema the lease statements touch. */
export type LeaseDb = Kysely<{
  pipeline_runs: RunLeaseColumns & { id: string; status: string; updated_at: number | string };
}>;

/** The lease of a run row, when it has one. */
export function leaseOf(row: RunLeaseColumns): RunLease | undefined {
  if (row.lease_holder === null || row.lease_expires_at === null) return undefined;
  return { holder: row.lease_holder, expiresAt: Number(row.lease_expires_at) };
}

/** The lease columns of a run being inserted. */
export function leaseColumns(lease: RunLease | undefined): RunLeaseColumns {
  return { lease_holder: lease?.holder ?? null, lease_expires_at: lease?.expiresAt ?? null };
}

/**
 * Takes a run for `lease.holder` in one conditional UPDATE (atomic on every dialect): failed or
 * cancelled runs, and running runs with no lease, an expired one or one the holder has already.
 * True when the row was taken.
 */
export async function acquireRunRow(db: LeaseDb, runId: string, lease: RunLease, now: number): Promise<boolean> {
  const res = await db
    .updateTable("pipeline_runs")
    .set({ status: "running", lease_holder: lease.holder, lease_expires_at: lease.expiresAt, updated_at: now })
    .where("id", "=", runId)
    .where((eb) =>
      eb.or([
        eb("status", "in", ["failed", "cancelled"]),
        eb.and([
          eb("status", "=", "running"),
          eb.or([
            eb("lease_holder", "is", null),
            eb("lease_expires_at", "<=", now),
            eb("lease_holder", "=", lease.holder),
          ]),
        ]),
      ]),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Extends a lease while `lease.holder` holds it; true when it did. */
export async function renewLeaseRow(db: LeaseDb, runId: string, lease: RunLease): Promise<boolean> {
  const res = await db
    .updateTable("pipeline_runs")
    .set({ lease_expires_at: lease.expiresAt })
    .where("id", "=", runId)
    .where("lease_holder", "=", lease.holder)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

import type { Clock } from "../core/clock.js";
import { MlcycleError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { PipelineRunRecord, PipelineStore, RunLease, RunLeaseOutcome } from "../stores/pipeline-store.js";
import type { ActiveRun } from "./pipeline-run-types.js";

/** Default length of a run driver's lease (see `PipelineSettings.leaseMs`). */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * The driver leases of one engine: the lease a run it starts or resumes is recorded with, its
 * renewal while the run goes on, and what happens when another driver has taken the run over.
 * Stores without `acquireRun`/`renewLease` have no leases: acquiring always succeeds and nothing
 * is renewed.
 */
export class RunLeases {
  /** This engine's id as the holder of run leases. */
  readonly driverId = newId();

  /**
   * @param store - the run records' store (read on each use)
   * @param clock - what renewals are timed by
   * @param leaseMs - how long a lease lasts; renewed every third of that
   */
  constructor(
    private readonly store: () => PipelineStore,
    private readonly clock: Clock,
    readonly leaseMs: number,
  ) {}

  /** The lease this engine holds a run by from `now`. */
  lease(now: number): RunLease {
    return { holder: this.driverId, expiresAt: now + this.leaseMs };
  }

  /**
   * Makes this engine the driver of a run being resumed (at `now`, answered with the outcome);
   * `undefined` when the store has no leases, and the run is taken as it is.
   */
  async acquire(runId: string): Promise<(RunLeaseOutcome & { now: number }) | undefined> {
    const store = this.store();
    if (!store.acquireRun) return undefined;
    const now = this.clock.now();
    return { ...(await store.acquireRun(runId, this.lease(now), now)), now };
  }

  /**
   * Renews the run's lease every third of its length while this process drives it. When another
   * driver has taken the run over (this process stalled past the lease), the run stops here: its
   * steps see their signal abort and nothing more of it is written by this process.
   *
   * @returns what stops the renewals
   */
  keep(active: ActiveRun): () => void {
    const store = this.store();
    const renew = store.renewLease?.bind(store);
    if (!renew) return () => undefined;
    const timer = setInterval(
      () => {
        if (active.leaseLost) return;
        renew(active.id, this.lease(this.clock.now())).then(
          (held) => {
            if (!held) this.lose(active);
          },
          () => undefined,
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** The last check that the run is still this driver's before its end is written. */
  async confirm(active: ActiveRun, now: number): Promise<void> {
    const store = this.store();
    if (active.leaseLost || !store.renewLease) return;
    const held = await store.renewLease(active.id, this.lease(now)).catch(() => true);
    if (!held) this.lose(active);
  }

  /** Marks the run as taken over and aborts what it is running. */
  lose(active: ActiveRun): void {
    if (active.leaseLost) return;
    active.leaseLost = true;
    active.controller.abort(
      new MlcycleError(
        "CONFLICT",
        `pipeline run '${active.id}' was taken over by another driver after its lease expired`,
      ),
    );
  }
}

/** The error a run ends with in the process whose lease another driver took over. */
export function takenOverError(runId: string): MlcycleError {
  return new MlcycleError(
    "CONFLICT",
    `pipeline run '${runId}' was taken over by another driver after this one's lease expired; its outcome is the new driver's`,
  );
}

/** `CONFLICT` for a resume of a run whose driver's lease is live, saying when it expires. */
export function leaseConflict(runId: string, run: PipelineRunRecord, now: number): MlcycleError {
  const lease = run.lease;
  const until = lease ? new Date(lease.expiresAt).toISOString() : "?";
  const inMs = lease ? Math.max(0, lease.expiresAt - now) : 0;
  return new MlcycleError(
    "CONFLICT",
    `pipeline run '${runId}' is being driven by another process (lease held until ${until}, in ${inMs} ms): resume it after that if its driver died`,
    {
      details: {
        runId,
        status: run.status,
        ...(lease ? { leaseHolder: lease.holder, leaseExpiresAt: lease.expiresAt } : {}),
      },
    },
  );
}

import { z } from "zod";
import { fromZodError, invalid } from "../core/errors.js";

/**
 * How `ws.experiments` buffers metrics and watches runs. Pass them as `tracking` in the workspace
 * options (`openWorkspace(dir, { tracking: { … } })`) or later with `ws.experiments.configure()`.
 */
export interface TrackingOptions {
  /**
   * Metric points buffered before a batch is written in one transaction (default 5000). Larger
   * batches write faster; the flush interval bounds how long a point waits either way.
   */
  metricBatchSize?: number;
  /** A non-empty buffer is written at least this often, in ms (default 1000). */
  flushIntervalMs?: number;
  /** How often an open run's heartbeat is written, in ms (default 10000). */
  heartbeatIntervalMs?: number;
  /**
   * A running run whose heartbeat is older than this reads as `crashed`, in ms (default 60000).
   * Keep it several heartbeat intervals long.
   */
  crashTimeoutMs?: number;
}

/** {@link TrackingOptions} with every default filled in. */
export type ResolvedTrackingOptions = Required<TrackingOptions>;

/** The defaults of {@link TrackingOptions}. */
export const TRACKING_DEFAULTS: ResolvedTrackingOptions = {
  metricBatchSize: 5000,
  flushIntervalMs: 1000,
  heartbeatIntervalMs: 10_000,
  crashTimeoutMs: 60_000,
};

/** The longest delay a Node timer honours (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

const intervalMs = z.number().int().min(1).max(MAX_TIMER_MS);
const trackingOptionsSchema = z.strictObject({
  metricBatchSize: z.number().int().min(1).max(1_000_000).optional(),
  flushIntervalMs: intervalMs.optional(),
  heartbeatIntervalMs: intervalMs.optional(),
  crashTimeoutMs: intervalMs.optional(),
});

/**
 * Fills defaults and checks every option: whole numbers of points or milliseconds, at least 1, a
 * batch of at most 1,000,000 points and no interval longer than a Node timer can wait (2^31 − 1 ms).
 * A wrong option is `VALIDATION` naming it.
 */
export function resolveTrackingOptions(
  options: TrackingOptions = {},
  base: ResolvedTrackingOptions = TRACKING_DEFAULTS,
): ResolvedTrackingOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw invalid(["tracking"], "must be an object of tracking options");
  const parsed = trackingOptionsSchema.safeParse(options);
  if (!parsed.success) throw fromZodError(parsed.error, "tracking options");
  const out = { ...base };
  for (const [k, v] of Object.entries(parsed.data) as Array<[keyof TrackingOptions, number | undefined]>) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}

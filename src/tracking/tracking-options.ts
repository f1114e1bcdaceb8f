import { invalid } from "../core/errors.js";

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

/** Fills defaults and checks every option is a positive number. */
export function resolveTrackingOptions(
  options: TrackingOptions = {},
  base: ResolvedTrackingOptions = TRACKING_DEFAULTS,
): ResolvedTrackingOptions {
  const out = { ...base };
  for (const [k, v] of Object.entries(options) as Array<[keyof TrackingOptions, unknown]>) {
    if (v === undefined) continue;
    if (!(k in TRACKING_DEFAULTS)) throw invalid(["tracking", k], "is not a tracking option");
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0)
      throw invalid(["tracking", k], `must be a positive number, got ${String(v)}`);
    out[k] = k === "metricBatchSize" ? Math.floor(v) : v;
  }
  return out;
}

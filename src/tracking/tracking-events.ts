import type { RunStatus } from "../stores/tracking-store.js";

/** Events of experiment tracking on `ws.events`. */
export interface TrackingEvents {
  /** An experiment was created. */
  "experiment.created": { experimentId: string; name: string };
  /** A run started (or was resumed). */
  "run.started": { runId: string; experimentId: string; parentRunId?: string };
  /** A run ended with a final status. */
  "run.ended": { runId: string; experimentId: string; status: Exclude<RunStatus, "running" | "crashed"> };
}

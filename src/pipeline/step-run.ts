/**
 * What a step may do with its tracking run: the subset of the tracking module's `Run` that
 * pipelines use. When the workspace has tracking, `ctx.run` is a real child run of the pipeline
 * run's tracking run; otherwise a run that keeps nothing.
 */
export interface StepRun {
  /** The tracking run id (empty when tracking is unavailable). */
  readonly id: string;
  logParam(key: string, value: unknown): unknown;
  logParams(params: Record<string, unknown>): unknown;
  setTag(key: string, value: string): unknown;
  logMetric(key: string, value: number, options?: { step?: number }): unknown;
  logMetrics(metrics: Record<string, number>, options?: { step?: number }): unknown;
  logArtifact(path: string, body: Uint8Array | string): Promise<{ path: string; digest: string; size: number }>;
}

/** The tracking run as the pipeline engine drives it. */
export interface TrackedRun extends StepRun {
  flush?(): Promise<unknown>;
  end(status?: "finished" | "failed" | "killed", options?: { error?: unknown }): Promise<unknown>;
}

/** What the engine needs of `ws.experiments`. */
export interface TrackingLike {
  startRun(options: {
    experiment: string;
    name?: string;
    parentRunId?: string;
    tags?: Record<string, string>;
    params?: Record<string, string | number | boolean>;
  }): Promise<TrackedRun>;
  /** Reopens an ended or crashed run (used when a pipeline run resumes). */
  resumeRun?(runId: string): Promise<TrackedRun>;
}

/** A run that records nothing: used when the workspace has no tracking. */
export const untrackedRun: TrackedRun = {
  id: "",
  logParam: () => undefined,
  logParams: () => undefined,
  setTag: () => undefined,
  logMetric: () => undefined,
  logMetrics: () => undefined,
  logArtifact: async (path, body) => ({
    path,
    digest: "",
    size: typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
  }),
  end: async () => undefined,
};

/** The tracking module of a workspace when it offers `startRun`, else undefined. */
export function trackingOf(experiments: unknown): TrackingLike | undefined {
  const e = experiments as Partial<TrackingLike> | undefined;
  return e && typeof e.startRun === "function" ? (e as TrackingLike) : undefined;
}

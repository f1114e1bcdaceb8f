/**
 * What a step may do with its tracking run: the subset of the tracking module's `Run` that
 * pipelines use. When the workspace has tracking, `ctx.run` is a child run of the pipeline run's
 * tracking run, started on first use ({@link LazyStepRun}); otherwise a run that keeps nothing.
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
  /** Marks the run ended when its end was committed with the step's records (writes nothing). */
  markEnded?(status: "finished" | "failed" | "killed"): Promise<unknown>;
}

/** What pipelines need of the tracking module (`ws.experiments`): start and reopen runs. */
export interface PipelineTracking {
  startRun(options: {
    experiment: string;
    name?: string;
    parentRunId?: string;
    tags?: Record<string, string>;
    params?: Record<string, string | number | boolean>;
    runId?: string;
  }): Promise<TrackedRun>;
  /** Reopens an ended or crashed run (used when a pipeline run resumes). */
  resumeRun?(runId: string): Promise<TrackedRun>;
}

/** @deprecated The former name of {@link PipelineTracking}. */
export type TrackingLike = PipelineTracking;

/**
 * A step's tracking run, started on first use: the first call of one of its methods, or the first
 * read of `id` (the id is drawn up front and the run written under it at once, so an id read
 * names a run that `ws.experiments.getRun` finds). A step that never touches `ctx.run` records no
 * tracking run. Once the run is started, calls go straight to it; calls made while it is being
 * written wait for it (and so return promises).
 */
export class LazyStepRun implements StepRun {
  private runId?: string;
  private starting?: Promise<TrackedRun>;
  private run?: TrackedRun;

  constructor(
    /** Writes the run under the given id. */
    private readonly open: (id: string) => Promise<TrackedRun>,
    /** Draws the run id (called once, on first use). */
    private readonly makeId: () => string,
  ) {}

  /** True once the step touched the run. */
  get used(): boolean {
    return this.runId !== undefined;
  }

  get id(): string {
    this.start();
    return this.runId!;
  }

  /** The started run; rejects when writing it failed. */
  started(): Promise<TrackedRun> | undefined {
    return this.starting;
  }

  private start(): Promise<TrackedRun> {
    if (!this.starting) {
      this.runId = this.makeId();
      this.starting = this.open(this.runId).then((r) => {
        this.run = r;
        return r;
      });
      // Its failure is reported by the calls that wait for it and by the step's end.
      this.starting.catch(() => undefined);
    }
    return this.starting;
  }

  private call<T>(f: (r: TrackedRun) => T): T | Promise<Awaited<T>> {
    if (this.run) return f(this.run);
    return this.start().then(f) as Promise<Awaited<T>>;
  }

  logParam(key: string, value: unknown): unknown {
    return this.call((r) => r.logParam(key, value));
  }
  logParams(params: Record<string, unknown>): unknown {
    return this.call((r) => r.logParams(params));
  }
  setTag(key: string, value: string): unknown {
    return this.call((r) => r.setTag(key, value));
  }
  logMetric(key: string, value: number, options?: { step?: number }): unknown {
    return this.call((r) => r.logMetric(key, value, options));
  }
  logMetrics(metrics: Record<string, number>, options?: { step?: number }): unknown {
    return this.call((r) => r.logMetrics(metrics, options));
  }
  async logArtifact(path: string, body: Uint8Array | string): Promise<{ path: string; digest: string; size: number }> {
    return (this.run ?? (await this.start())).logArtifact(path, body);
  }

  /** Writes the run's buffered metrics when the step used it (a no-op otherwise). */
  async flush(): Promise<unknown> {
    if (!this.starting) return undefined;
    return (await this.starting).flush?.();
  }

  /** Marks the run ended, its end committed elsewhere, when the step used it (a no-op otherwise). */
  async markEnded(status: "finished" | "failed" | "killed"): Promise<unknown> {
    if (!this.starting) return undefined;
    const run = await this.starting;
    return run.markEnded ? run.markEnded(status) : run.end(status);
  }

  /** Ends the run when the step used it (a no-op otherwise). */
  async end(status?: "finished" | "failed" | "killed", options?: { error?: unknown }): Promise<unknown> {
    if (!this.starting) return undefined;
    return (await this.starting).end(status, options);
  }
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

import type { MetricPoint, TrackingStore } from "../stores/tracking-store.js";

/**
 * The metric write buffer of one workspace: points of every open run are collected and written in
 * batches of `batchSize` (or every `intervalMs`), one store call per batch, in order. A failed
 * batch's error is kept for each run it held points of, and thrown by that run's next flush.
 */
export class MetricBuffer {
  private points: MetricPoint[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Errors of failed batches, by run id. */
  private readonly failures = new Map<string, unknown>();
  private inFlight = 0;

  constructor(
    private readonly store: TrackingStore,
    private batchSize: number,
    private intervalMs: number,
  ) {}

  /** Changes the batch size and interval (restarts the timer). */
  configure(batchSize: number, intervalMs: number): void {
    this.batchSize = batchSize;
    this.intervalMs = intervalMs;
    if (this.timer) {
      this.stopTimer();
      this.startTimer();
    }
  }

  /** Points waiting to be written. */
  get pending(): number {
    return this.points.length;
  }

  /**
   * Adds one point. Returns nothing while the buffer has room; when it is full, returns the promise
   * of the batch write so callers that await apply backpressure.
   */
  add(point: MetricPoint): void | Promise<void> {
    this.points.push(point);
    if (this.points.length >= this.batchSize) return this.flushQuietly();
    this.startTimer();
  }

  /** Adds several points (see {@link MetricBuffer.add}). */
  addAll(points: MetricPoint[]): void | Promise<void> {
    for (const p of points) this.points.push(p);
    if (this.points.length >= this.batchSize) return this.flushQuietly();
    this.startTimer();
  }

  private flushQuietly(): Promise<void> {
    const p = this.write();
    // Marked handled: a caller who ignores the promise gets the error at the next flush instead.
    p.catch(() => undefined);
    return p;
  }

  /** Starts writing everything buffered now; resolves when that batch is stored. */
  private write(): Promise<void> {
    if (this.points.length === 0) return this.chain;
    const batches: MetricPoint[][] = [];
    for (let i = 0; i < this.points.length; i += this.batchSize) batches.push(this.points.slice(i, i + this.batchSize));
    this.points = [];
    this.inFlight++;
    const p = this.chain.then(async () => {
      try {
        for (const b of batches) await this.store.logMetrics(b);
      } catch (error) {
        for (const b of batches) for (const p of b) if (!this.failures.has(p.runId)) this.failures.set(p.runId, error);
        throw error;
      } finally {
        this.inFlight--;
      }
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Writes everything buffered and waits for it, leaving any failure for the runs' own flushes. */
  async settle(): Promise<void> {
    this.write().catch(() => undefined);
    await this.chain;
  }

  /**
   * Writes everything buffered and waits for every write in flight; then throws (once) the error of
   * a failed batch that held points of `runId` — of any run when `runId` is omitted.
   */
  async flush(runId?: string): Promise<void> {
    this.write().catch(() => undefined);
    await this.chain;
    if (this.points.length === 0 && this.inFlight === 0) this.stopTimer();
    if (runId !== undefined) {
      if (this.failures.has(runId)) {
        const f = this.failures.get(runId);
        this.failures.delete(runId);
        throw f;
      }
      return;
    }
    if (this.failures.size > 0) {
      const f = this.failures.values().next().value;
      this.failures.clear();
      throw f;
    }
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.points.length > 0) this.write().catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.stopTimer();
    }
  }
}

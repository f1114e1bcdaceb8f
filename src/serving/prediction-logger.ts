import type { Clock } from "../core/clock.js";
import { isMlcycleError } from "../core/errors.js";
import { seededRandom } from "../core/random.js";
import type { PredictionLogStore, PredictionModelRef, PredictionRecord } from "../stores/prediction-log-store.js";
import { jsonText } from "./json-payload.js";

/** The prediction log settings of one deployment, with their defaults applied. */
export interface PredictionLogSettings {
  enabled: boolean;
  sampleRate: number;
  /** Seed of the sampling choice (reproducible runs); random when undefined. */
  sampleSeed?: number;
  maxPayloadBytes: number;
  flushSize: number;
  flushIntervalMs: number;
  retentionMs?: number;
  /** Most rows kept while the store cannot be written; the oldest are dropped beyond it. */
  maxBacklog: number;
}

/** One answered call, as the deployment hands it to the log. */
export interface AnsweredCall {
  id: string;
  model: PredictionModelRef;
  models: PredictionModelRef[];
  rows: number;
  inputs: unknown;
  outputs: unknown;
  latencyMs: number;
  at: number;
}

/** What a {@link PredictionLogger} writes to and reports to. */
export interface PredictionLoggerOptions {
  store: PredictionLogStore;
  deployment: string;
  variant?: string;
  clock: Clock;
  settings: PredictionLogSettings;
  /** Receives write and retention failures (`health().lastError`, `deployment.log_failed`). */
  onError(error: unknown, backlog: number, dropped: number): void;
}

/**
 * The prediction log writer of one deployment: each answered call becomes a row (its payload kept,
 * sampled out, or dropped when over the size cap), buffered and written in batches of `flushSize`
 * or every `flushIntervalMs`, one write at a time. A failed write keeps its rows (at most
 * `maxBacklog`, the oldest dropped beyond it) and is retried at the next interval; records the
 * store refuses as malformed are dropped one by one so they never block the others. Retention
 * removes the deployment's rows older than `retentionMs` at each explicit flush and periodically.
 */
export class PredictionLogger {
  private buffer: PredictionRecord[] = [];
  private chain: Promise<void> = Promise.resolve();
  private writing = 0;
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private retentionTimer: ReturnType<typeof setInterval> | undefined;
  private readonly random: () => number;
  private droppedRows = 0;
  private lastWriteError: unknown;

  constructor(private readonly options: PredictionLoggerOptions) {
    const { settings } = options;
    this.random = settings.sampleSeed !== undefined ? seededRandom(settings.sampleSeed) : Math.random;
    if (settings.enabled && settings.retentionMs !== undefined) {
      this.retentionTimer = setInterval(
        () => void this.applyRetention().catch(() => undefined),
        Math.min(settings.retentionMs, 60_000),
      );
      this.retentionTimer.unref?.();
    }
  }

  /** Rows waiting to be written (buffered, being written, or kept after a failed write). */
  get backlog(): number {
    return this.buffer.length + this.writing;
  }

  /** Rows dropped so far (backlog over its bound, or refused by the store as malformed). */
  get dropped(): number {
    return this.droppedRows;
  }

  /** Adds one answered call to the buffer; writes a batch when `flushSize` rows are waiting. */
  log(call: AnsweredCall): void {
    const { settings, deployment, variant } = this.options;
    if (!settings.enabled) return;
    const record: PredictionRecord = {
      id: call.id,
      deployment,
      model: call.model.model,
      version: call.model.version,
      versionId: call.model.versionId,
      rows: call.rows,
      payload: "full",
      latencyMs: call.latencyMs,
      at: call.at,
    };
    // Set after the literal rather than spread into it: a spread literal takes V8's slow path on every call.
    if (variant !== undefined) record.variant = variant;
    if (call.models.length > 1 || call.models[0]?.step !== undefined) record.models = call.models;
    if (settings.sampleRate < 1 && !(this.random() < settings.sampleRate)) record.payload = "sampled_out";
    else this.keepPayload(record, call.inputs, call.outputs);
    this.buffer.push(record);
    if (this.buffer.length > settings.maxBacklog) this.drop(this.buffer.length - settings.maxBacklog);
    if (this.buffer.length >= settings.flushSize) void this.write().catch(() => undefined);
    else this.startTimer();
  }

  private keepPayload(record: PredictionRecord, inputs: unknown, outputs: unknown): void {
    const max = this.options.settings.maxPayloadBytes;
    const inText = jsonText(inputs);
    const outText = jsonText(outputs);
    // A UTF-8 byte count is at least the number of UTF-16 units: only texts near the cap are measured.
    const size = (s: string) => (s.length * 3 <= max ? s.length : Buffer.byteLength(s));
    if (
      inText === undefined ||
      outText === undefined ||
      inText.length + outText.length > max ||
      size(inText) + size(outText) > max
    ) {
      record.payload = "truncated";
      return;
    }
    record.inputs = JSON.parse(inText);
    record.outputs = JSON.parse(outText);
  }

  private drop(n: number): void {
    this.buffer.splice(0, n);
    this.droppedRows += n;
  }

  /** Starts writing everything buffered (after the write in progress); resolves when it is stored. */
  private write(): Promise<void> {
    const p = this.chain.then(async () => {
      const rows = this.buffer;
      this.buffer = [];
      if (rows.length === 0) return;
      this.writing = rows.length;
      const { flushSize } = this.options.settings;
      let done = 0;
      try {
        for (; done < rows.length; done += flushSize) await this.put(rows.slice(done, done + flushSize));
        this.lastWriteError = undefined;
      } catch (error) {
        // Kept in order before anything logged meanwhile, within the bound; retried at the next interval.
        this.buffer = [...rows.slice(done), ...this.buffer];
        const over = this.buffer.length - this.options.settings.maxBacklog;
        if (over > 0) this.drop(over);
        this.lastWriteError = error;
        this.options.onError(error, this.backlog, this.droppedRows);
        this.startTimer();
        throw error;
      } finally {
        this.writing = 0;
      }
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Writes one batch; when the store refuses a record as malformed, writes the others one by one. */
  private async put(batch: PredictionRecord[]): Promise<void> {
    const { store } = this.options;
    try {
      await store.putPredictions(batch);
    } catch (error) {
      if (!isMlcycleError(error, "VALIDATION")) throw error;
      for (const r of batch) {
        try {
          await store.putPredictions([r]);
        } catch (one) {
          if (!isMlcycleError(one, "VALIDATION")) throw one;
          this.droppedRows++;
          this.options.onError(one, this.backlog, this.droppedRows);
        }
      }
    }
  }

  /**
   * Writes every buffered row and waits for it, then applies retention. Throws the store's error
   * when rows could not be written (they are kept and retried).
   */
  async flush(): Promise<void> {
    await this.write();
    if (this.buffer.length > 0 && this.lastWriteError !== undefined) throw this.lastWriteError;
    await this.applyRetention();
    if (this.buffer.length === 0) this.stopTimer();
  }

  /** Removes this deployment's rows older than `retentionMs`; returns how many. */
  async applyRetention(): Promise<number> {
    const { retentionMs, enabled } = this.options.settings;
    if (!enabled || retentionMs === undefined) return 0;
    try {
      const before = Math.max(0, Math.floor(this.options.clock.now() - retentionMs));
      return await this.options.store.deletePredictionsBefore(before, {
        deployment: this.options.deployment,
      });
    } catch (error) {
      this.options.onError(error, this.backlog, this.droppedRows);
      throw error;
    }
  }

  private startTimer(): void {
    if (this.flushTimer) return;
    this.flushTimer = setInterval(() => {
      if (this.buffer.length > 0) void this.write().catch(() => undefined);
    }, this.options.settings.flushIntervalMs);
    this.flushTimer.unref?.();
  }

  private stopTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Flushes and stops the timers; throws when rows could not be written. */
  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    try {
      await this.write();
      if (this.buffer.length > 0 && this.lastWriteError !== undefined) throw this.lastWriteError;
    } finally {
      this.stopTimer();
    }
  }
}

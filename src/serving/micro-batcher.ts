import { type RowShape, rowShape } from "./row-batches.js";

/** One call waiting in a micro-batch. */
export interface BatchedCall<T> {
  inputs: unknown;
  /** Its row shape when it was submitted. */
  shape: RowShape;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Settings of a {@link MicroBatcher}. */
export interface MicroBatchSettings {
  /** Largest number of rows in one model call. */
  maxBatchSize: number;
  /** Longest the first call of a batch waits for others, in ms. */
  maxWaitMs: number;
}

interface Pending<T> {
  calls: BatchedCall<T>[];
  rows: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Coalesces concurrent calls into batches: calls whose inputs have the same row shape wait up to
 * `maxWaitMs` for others, and a batch is run as soon as it holds `maxBatchSize` rows (a call that
 * would overflow it starts the next one). `run` gets the calls of one batch and settles each.
 * Inputs that are not made of rows, or larger than a batch, are not taken: they run alone.
 */
export class MicroBatcher<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(
    private readonly settings: MicroBatchSettings,
    private readonly run: (calls: BatchedCall<T>[]) => void,
  ) {}

  /** Queues a call; undefined when its inputs cannot be batched (the caller runs it alone). */
  submit(inputs: unknown): Promise<T> | undefined {
    const shape = rowShape(inputs);
    if (!shape || shape.rows > this.settings.maxBatchSize) return undefined;
    return new Promise<T>((resolve, reject) => {
      let batch = this.pending.get(shape.key);
      if (batch && batch.rows + shape.rows > this.settings.maxBatchSize) {
        this.flush(shape.key);
        batch = undefined;
      }
      if (!batch) {
        batch = { calls: [], rows: 0, timer: undefined };
        this.pending.set(shape.key, batch);
        const key = shape.key;
        batch.timer = setTimeout(() => this.flush(key), this.settings.maxWaitMs);
      }
      batch.calls.push({ inputs, shape, resolve, reject });
      batch.rows += shape.rows;
      if (batch.rows >= this.settings.maxBatchSize) this.flush(shape.key);
    });
  }

  /** Calls waiting for their batch to start. */
  get waiting(): number {
    let n = 0;
    for (const b of this.pending.values()) n += b.calls.length;
    return n;
  }

  /** Runs every waiting batch now (used when closing: nothing is left waiting for a timer). */
  flushAll(): void {
    for (const key of [...this.pending.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const batch = this.pending.get(key);
    if (!batch) return;
    this.pending.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    try {
      this.run(batch.calls);
    } catch (error) {
      for (const c of batch.calls) c.reject(error);
    }
  }
}

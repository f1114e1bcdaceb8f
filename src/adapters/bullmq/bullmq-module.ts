import { MlcycleError } from "../../core/errors.js";

/** What the adapter reads of a BullMQ job, typed structurally (a BullMQ `Job` fits). */
export interface BullmqJobLike {
  readonly id?: string;
  /** The job's payload: a step task, as the executor wrote it. */
  readonly data: unknown;
  /** How many times the job was taken by a worker, this delivery included (1 on the first). */
  readonly attemptsStarted: number;
}

/** The job options the executor sets on each job it adds. */
export interface BullmqJobOptions {
  jobId: string;
  attempts: number;
  backoff: { type: "exponential"; delay: number };
  removeOnComplete: boolean;
  removeOnFail: { count: number };
}

/** The subset of BullMQ's `Queue` the executor uses. */
export interface BullmqQueueLike {
  /** The queue's Redis keys by kind (`events`: the stream of its events). */
  readonly keys: Record<string, string>;
  add(name: string, data: unknown, opts: BullmqJobOptions): Promise<unknown>;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** The subset of BullMQ's `QueueEvents` the executor uses. */
export interface BullmqQueueEventsLike {
  on(event: "completed", listener: (args: { jobId: string }) => void): unknown;
  on(event: "failed", listener: (args: { jobId: string; failedReason: string }) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

/** The subset of BullMQ's `Worker` the executor uses. */
export interface BullmqWorkerLike {
  on(event: "error", listener: (error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  /** Stops taking jobs and waits for the jobs it runs (`force` does not wait). */
  close(force?: boolean): Promise<void>;
}

/** Options the executor gives every BullMQ class: its own connection and the key prefix. */
export interface BullmqBaseOptions {
  /** An ioredis client (the adapter's own duplicate of yours). */
  connection: any;
  prefix: string;
}

/**
 * The parts of the `bullmq` module the executor builds, typed structurally: pass the module itself
 * (`import * as bullmq from "bullmq"`) as the `bullmq` option, or let the adapter import it on first use.
 */
export interface BullmqModuleLike {
  Queue: new (name: string, opts: BullmqBaseOptions) => BullmqQueueLike;
  QueueEvents: new (name: string, opts: BullmqBaseOptions & { lastEventId: string }) => BullmqQueueEventsLike;
  Worker: new (
    name: string,
    processor: (job: BullmqJobLike) => Promise<unknown>,
    opts: BullmqBaseOptions & {
      concurrency: number;
      lockDuration: number;
      stalledInterval: number;
      maxStalledCount: number;
    },
  ) => BullmqWorkerLike;
  /** Thrown by a processor, fails the job at once, without the attempts left. */
  UnrecoverableError: new (
    message?: string,
  ) => Error;
}

let cached: Promise<BullmqModuleLike> | undefined;

/**
 * `bullmq`, imported on first use (an optional peer dependency: only users of `mlcycle/bullmq`
 * install it). `UNAVAILABLE` saying how to fix it when it is not installed.
 */
export function importBullmq(): Promise<BullmqModuleLike> {
  cached ??= (async () => {
    try {
      // A specifier in a variable: bundlers and the type checker leave the optional peer alone.
      const specifier = "bullmq";
      const mod = (await import(specifier)) as BullmqModuleLike & { default?: BullmqModuleLike };
      return mod.Queue ? mod : (mod.default as BullmqModuleLike);
    } catch (error) {
      cached = undefined;
      throw new MlcycleError(
        "UNAVAILABLE",
        "the BullMQ executor needs bullmq: `npm install bullmq`, or pass { bullmq } to bullmqExecutor()",
        { cause: error },
      );
    }
  })();
  return cached;
}

import { invalid } from "../../core/errors.js";
import { type BullmqConnectionLike, checkConnection } from "./bullmq-connection.js";
import type { BullmqModuleLike } from "./bullmq-module.js";

/** The queue step tasks go through when none is named. */
export const DEFAULT_QUEUE = "mlcycle-steps";
/** BullMQ's own default key prefix, so that BullMQ's tools find the queue. */
export const DEFAULT_PREFIX = "bull";

/** Settings of a worker that takes step tasks in this process (BullMQ's `Worker` options). */
export interface BullmqWorkerOptions {
  /** Steps this worker runs at once (default 1; an integer from 1 to 1,000). */
  concurrency?: number;
  /**
   * How long a worker holds a task without renewing its lock, in ms (default 30,000; from 100 to
   * 86,400,000). The worker renews it every half of that while the step runs; a worker that dies
   * stops renewing, and once the lock has expired another worker takes the task over. A step that
   * blocks the event loop longer than this loses its lock and runs again elsewhere.
   */
  lockDuration?: number;
  /**
   * How often this worker looks for tasks whose lock expired (stalled), in ms (default 30,000; from
   * 100 to 86,400,000). A dead worker's task is taken over within about `lockDuration` plus twice
   * this.
   */
  stalledInterval?: number;
  /**
   * How many times a task may stall (its worker die) and be taken over before it fails for good
   * (default 1; an integer from 0 to 1,000).
   */
  maxStalledCount?: number;
}

/** Options of {@link bullmqExecutor}. */
export interface BullmqExecutorOptions {
  /**
   * Your ioredis client (`new Redis(url)`). The executor opens its own connections from it with
   * `duplicate()` and closes them in `close()`; it never sends a command on yours nor closes it.
   */
  connection: BullmqConnectionLike;
  /**
   * The BullMQ queue step tasks go through (default `"mlcycle-steps"`): letters, digits and `_ - .`,
   * at most 200 characters. The coordinator and its workers name the same queue.
   */
  queue?: string;
  /**
   * The prefix of every Redis key of the queue (default `"bull"`, BullMQ's): letters, digits and
   * `_ - . :`, at most 200 characters.
   */
  prefix?: string;
  /**
   * How many times a task is delivered when the runner throws (the step's own failures do not count:
   * they are committed as the step's outcome, with the step's own retries) before `submit` rejects
   * (default 3; an integer from 1 to 100).
   */
  attempts?: number;
  /** The first wait before a task is delivered again after the runner threw, doubled each time, in ms (default 1,000). */
  backoffMs?: number;
  /**
   * Also take tasks in this process, with the runner the workspace attaches (default `false`: the
   * executor only enqueues). `true` or worker settings start a BullMQ worker when the workspace
   * attaches the executor (its first run, or `ws.pipelines.startWorker()`). A worker process
   * usually calls {@link startWorker} instead.
   */
  worker?: boolean | BullmqWorkerOptions;
  /**
   * Called with errors that belong to no call: a lost connection (BullMQ reconnects by itself), a
   * failure of the worker's loop. Default: a one-line warning on stderr.
   */
  onError?: (error: Error) => void;
  /** The `bullmq` module (default: imported on first use). */
  bullmq?: BullmqModuleLike;
}

/** The executor's options, checked, with defaults filled in. */
export interface BullmqSettings {
  connection: BullmqConnectionLike;
  queue: string;
  prefix: string;
  attempts: number;
  backoffMs: number;
  worker: Required<BullmqWorkerOptions> | undefined;
  onError: (error: Error) => void;
  bullmq: BullmqModuleLike | undefined;
}

const QUEUE_NAME = /^[\p{L}\p{N}_.-]+$/u;
const PREFIX = /^[\p{L}\p{N}_.:-]+$/u;
const MAX_MS = 86_400_000;
const KNOWN = new Set(["connection", "queue", "prefix", "attempts", "backoffMs", "worker", "onError", "bullmq"]);
const KNOWN_WORKER = new Set(["concurrency", "lockDuration", "stalledInterval", "maxStalledCount"]);

function integer(path: string[], value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw invalid(path, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

function name(path: string, value: unknown, pattern: RegExp, allowed: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw invalid([path], `must be a string, got ${typeof value}`);
  if (value.length === 0 || value.length > 200)
    throw invalid([path], `must have 1 to 200 characters, got ${value.length}`);
  if (!pattern.test(value))
    throw invalid(
      [path],
      `'${value.slice(0, 60)}' may hold letters, digits and ${allowed} only (':' separates BullMQ's keys)`,
    );
  return value;
}

function unknownKeys(value: object, known: Set<string>, at: string[]): void {
  for (const key of Object.keys(value))
    if (!known.has(key)) throw invalid([...at, key], `is not an option (known: ${[...known].join(", ")})`);
}

/** Checks worker settings; `VALIDATION` naming the wrong one. */
export function checkWorkerOptions(value: unknown, at: string[]): Required<BullmqWorkerOptions> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalid(at, "must be true, false or an object of worker settings");
  unknownKeys(value, KNOWN_WORKER, at);
  const w = value as BullmqWorkerOptions;
  return {
    concurrency: integer([...at, "concurrency"], w.concurrency, 1, 1000, 1),
    lockDuration: integer([...at, "lockDuration"], w.lockDuration, 100, MAX_MS, 30_000),
    stalledInterval: integer([...at, "stalledInterval"], w.stalledInterval, 100, MAX_MS, 30_000),
    maxStalledCount: integer([...at, "maxStalledCount"], w.maxStalledCount, 0, 1000, 1),
  };
}

/** Checks {@link BullmqExecutorOptions}; `VALIDATION` naming the wrong option and saying what it takes. */
export function checkExecutorOptions(options: unknown): BullmqSettings {
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw invalid(["options"], "must be an object with at least `connection` (your ioredis client)");
  unknownKeys(options, KNOWN, []);
  const o = options as BullmqExecutorOptions;
  const worker =
    o.worker === undefined || o.worker === false
      ? undefined
      : checkWorkerOptions(o.worker === true ? {} : o.worker, ["worker"]);
  if (o.onError !== undefined && typeof o.onError !== "function") throw invalid(["onError"], "must be a function");
  const bull = o.bullmq as Partial<BullmqModuleLike> | undefined;
  if (
    bull !== undefined &&
    (bull === null ||
      typeof bull.Queue !== "function" ||
      typeof bull.QueueEvents !== "function" ||
      typeof bull.Worker !== "function")
  )
    throw invalid(["bullmq"], "must be the bullmq module itself (with its Queue, QueueEvents and Worker classes)");
  return {
    connection: checkConnection(o.connection, "connection"),
    queue: name("queue", o.queue, QUEUE_NAME, "_ - .", DEFAULT_QUEUE),
    prefix: name("prefix", o.prefix, PREFIX, "_ - . :", DEFAULT_PREFIX),
    attempts: integer(["attempts"], o.attempts, 1, 100, 3),
    backoffMs: integer(["backoffMs"], o.backoffMs, 0, MAX_MS, 1000),
    worker,
    onError: o.onError ?? ((error) => process.emitWarning(`mlcycle/bullmq: ${error.message}`)),
    bullmq: bull as BullmqModuleLike | undefined,
  };
}

import { closedError, invalid, MlcycleError } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import type { Executor, StepTask, StepTaskRunner } from "../../stores/executor.js";
import { type BullmqOwnConnection, bullmqError } from "./bullmq-connection.js";
import type {
  BullmqJobLike,
  BullmqModuleLike,
  BullmqQueueEventsLike,
  BullmqQueueLike,
  BullmqWorkerLike,
} from "./bullmq-module.js";
import { importBullmq } from "./bullmq-module.js";
import { type BullmqExecutorOptions, checkExecutorOptions } from "./bullmq-options.js";
import { fromJobData, STEP_JOB, toJobData } from "./step-task-job.js";

/** Failed jobs kept in the queue for inspection (BullMQ's `removeOnFail`); completed ones are removed. */
const FAILED_JOBS_KEPT = 1000;

/** The executor {@link bullmqExecutor} returns. */
export interface BullmqExecutor extends Executor {
  readonly name: "bullmq";
  /** The BullMQ queue it uses. */
  readonly queue: string;
  /** The prefix of the queue's Redis keys. */
  readonly prefix: string;
  /** True once the workspace attached its runner and, with `worker`, this process takes tasks. */
  readonly attached: boolean;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Opened {
  bull: BullmqModuleLike;
  own: BullmqOwnConnection;
  queue: BullmqQueueLike;
}

/**
 * An {@link Executor} that carries "run step S of run R" through a BullMQ queue on Redis, so that
 * steps run on workers in other processes and hosts. The pipeline engine — graph, caching, retries,
 * resume, lineage — stays where it is: the coordinator's workspace drives the run and hands each
 * ready step to `submit`, which adds a job and resolves when a worker has run the step (the job
 * completed); the worker runs it through its own workspace, on the same stores.
 *
 * - **Delivery is at least once** (`capabilities.atLeastOnce`): a worker that dies mid-step stops
 *   renewing its lock, and once it expires another worker takes the task over (BullMQ's stalled
 *   jobs); the engine then takes the step's claim over from the dead one, and a step run is
 *   committed once per (run, step) whoever runs it.
 * - `submit` rejects only when the task cannot be delivered: Redis refuses the job, or every one of
 *   `attempts` deliveries threw in the runner (say, no worker knows the pipeline). A step that fails
 *   does not reject: its outcome is committed and read from the store.
 * - `close()` refuses new tasks, waits for those submitted to finish (somewhere), lets this process's
 *   worker finish the steps it runs, then closes the queue, the event reader, the worker and the
 *   connections it opened. Your client stays open.
 *
 * A worker process calls {@link startWorker}; a process that both starts runs and takes tasks passes
 * `worker: true`.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { bullmqExecutor } from "mlcycle/bullmq";
 * const executor = bullmqExecutor({ connection: new Redis(process.env.REDIS_URL!) });
 * const ws = await openWorkspace("./shared", { executor });   // workers open the same stores
 * await ws.pipelines.run(train, { lr: 0.1 });   // each step runs on a worker
 * await ws.close();
 * await executor.close();
 * ```
 */
export function bullmqExecutor(options: BullmqExecutorOptions): BullmqExecutor {
  const settings = checkExecutorOptions(options);
  const { queue: queueName, prefix, onError } = settings;
  const report = (what: string) => (error: Error) => onError(bullmqError(what, error));
  let opened: Promise<Opened> | undefined;
  let events: Promise<BullmqQueueEventsLike> | undefined;
  let worker: Promise<BullmqWorkerLike> | undefined;
  let runner: StepTaskRunner | undefined;
  let attached = false;
  let closing: Promise<void> | undefined;
  /** Jobs added by this process, by id: settled by the queue's completed and failed events. */
  const waiters = new Map<string, { task: StepTask; resolve: () => void; reject: (error: unknown) => void }>();
  const pending = new Set<Promise<void>>();

  /** The executor's own connection (a duplicate of the caller's client) and the queue, on first use. */
  function open(): Promise<Opened> {
    if (opened) return opened;
    opened = (async () => {
      const bull = settings.bullmq ?? (await importBullmq());
      const own = settings.connection.duplicate({
        maxRetriesPerRequest: null,
        connectionName: `${prefix}:${queueName}:mlcycle`,
      });
      try {
        const queue = new bull.Queue(queueName, { connection: own, prefix });
        queue.on("error", report("the queue"));
        await queue.waitUntilReady();
        return { bull, own, queue };
      } catch (error) {
        own.disconnect();
        throw bullmqError("connecting to Redis", error);
      }
    })();
    // A failed start is tried again by the next call.
    opened.catch(() => {
      opened = undefined;
    });
    return opened;
  }

  /**
   * The reader of the queue's events, started at the end of its event stream as it stands before
   * this process adds its first job: no completion of a job of ours is missed.
   */
  function listen(): Promise<BullmqQueueEventsLike> {
    if (events) return events;
    events = (async () => {
      const { bull, own, queue } = await open();
      const eventsKey = queue.keys.events;
      if (!eventsKey) throw new MlcycleError("INTERNAL", "BullMQ executor: the queue names no events stream");
      const last = (await own.call("XREVRANGE", eventsKey, "+", "-", "COUNT", 1).catch((error: unknown) => {
        throw bullmqError("reading the end of the queue's event stream", error);
      })) as Array<[string, unknown]>;
      const reader = new bull.QueueEvents(queueName, {
        connection: own,
        prefix,
        lastEventId: last[0]?.[0] ?? "0-0",
      });
      reader.on("completed", ({ jobId }) => {
        const w = waiters.get(jobId);
        if (!w) return;
        waiters.delete(jobId);
        w.resolve();
      });
      reader.on("failed", ({ jobId, failedReason }) => {
        const w = waiters.get(jobId);
        if (!w) return;
        waiters.delete(jobId);
        w.reject(
          new MlcycleError(
            "UNAVAILABLE",
            `BullMQ executor: step '${w.task.step}' of run '${w.task.runId}' could not be run (job ${jobId}): ${failedReason}`,
            { details: { jobId, queue: queueName, reason: failedReason } },
          ),
        );
      });
      reader.on("error", report("the queue's event reader"));
      await reader.waitUntilReady();
      return reader;
    })();
    events.catch(() => {
      events = undefined;
    });
    return events;
  }

  /** Runs one delivered job: the task it carries, through the attached runner. */
  async function processJob(bull: BullmqModuleLike, job: BullmqJobLike): Promise<void> {
    const task = fromJobData(job.data);
    if (!task)
      throw new bull.UnrecoverableError(
        `job ${job.id ?? "?"} of queue '${queueName}' carries no step task: only mlcycle's executor may add jobs to this queue`,
      );
    const run = runner;
    if (!run) throw new MlcycleError("INTERNAL", "BullMQ executor: a job arrived before a runner was attached");
    // A job taken more than once was abandoned by the worker that took it before (it died, or its
    // attempt threw): the runner may take the step's claim over from that worker.
    await run(task, { redelivered: job.attemptsStarted > 1 });
  }

  function startConsumer(): Promise<BullmqWorkerLike> {
    worker ??= (async () => {
      const { bull, own } = await open();
      const w = settings.worker!;
      const consumer = new bull.Worker(queueName, (job) => processJob(bull, job), {
        connection: own,
        prefix,
        concurrency: w.concurrency,
        lockDuration: w.lockDuration,
        stalledInterval: w.stalledInterval,
        maxStalledCount: w.maxStalledCount,
      });
      consumer.on("error", report("the worker"));
      await consumer.waitUntilReady();
      return consumer;
    })();
    return worker;
  }

  async function deliver(task: StepTask): Promise<void> {
    const { queue } = await open();
    await listen().catch((error: unknown) => {
      throw bullmqError("starting the queue's event reader", error);
    });
    const jobId = newId();
    const done = new Promise<void>((resolve, reject) => {
      waiters.set(jobId, { task, resolve, reject });
    });
    try {
      await queue.add(STEP_JOB, toJobData(task), {
        jobId,
        attempts: settings.attempts,
        backoff: { type: "exponential", delay: settings.backoffMs },
        removeOnComplete: true,
        removeOnFail: { count: FAILED_JOBS_KEPT },
      });
    } catch (error) {
      waiters.delete(jobId);
      throw bullmqError(`adding the job of step '${task.step}' of run '${task.runId}'`, error);
    }
    await done;
  }

  const executor: BullmqExecutor = {
    name: "bullmq",
    queue: queueName,
    prefix,
    capabilities: { atLeastOnce: true },
    get attached() {
      return attached;
    },
    async attach(r) {
      if (closing) throw closedError("the BullMQ executor");
      runner = r;
      if (settings.worker)
        await startConsumer().catch((error: unknown) => {
          throw bullmqError("starting the worker", error);
        });
      attached = true;
    },
    async submit(task) {
      if (closing) throw closedError("the BullMQ executor");
      checkTask(task);
      const work = deliver(task);
      pending.add(work);
      try {
        await work;
      } finally {
        pending.delete(work);
      }
    },
    close() {
      closing ??= (async () => {
        // The tasks submitted finish first (this process's worker may be the one to run them).
        await Promise.allSettled([...pending]);
        const errors: unknown[] = [];
        const settle = async <T>(p: Promise<T> | undefined, stop: (x: T) => Promise<unknown>) => {
          const x = await p?.catch(() => undefined);
          if (x !== undefined) await stop(x).catch((e: unknown) => errors.push(e));
        };
        await settle(worker, (w) => w.close());
        await settle(events, (e) => e.close());
        await settle(opened, async (o) => {
          await o.queue.close();
          await o.own.quit().catch(() => o.own.disconnect());
        });
        if (errors.length) throw bullmqError("closing", errors[0]);
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return executor;
}

function checkTask(task: StepTask): void {
  if (fromJobData(task) === undefined)
    throw invalid(["task"], "must be a step task: runId, step, pipeline and version, each a non-empty string");
}

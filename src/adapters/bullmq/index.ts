/**
 * `mlcycle/bullmq`: pipeline steps on BullMQ workers in other processes and hosts, through a queue on
 * Redis. `bullmqExecutor` carries "run step S of run R" from the workspace that drives a run;
 * `startWorker` runs those tasks through a worker's own workspace on the same stores. bullmq and
 * ioredis are optional peer dependencies: the executor takes your ioredis client, typed
 * structurally, and imports bullmq on first use.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { bullmqExecutor, startWorker } from "mlcycle/bullmq";
 * // the coordinator
 * const ws = await openWorkspace("./shared", { executor: bullmqExecutor({ connection: new Redis() }) });
 * // each worker process
 * await startWorker({ connection: new Redis(), workspace: (executor) => openWorkspace("./shared", { executor }), pipelines: [train] });
 * ```
 *
 * @packageDocumentation
 */
export type { BullmqConnectionLike, BullmqOwnConnection } from "./bullmq-connection.js";
export { type BullmqExecutor, bullmqExecutor } from "./bullmq-executor.js";
export type {
  BullmqBaseOptions,
  BullmqJobLike,
  BullmqJobOptions,
  BullmqModuleLike,
  BullmqQueueEventsLike,
  BullmqQueueLike,
  BullmqWorkerLike,
} from "./bullmq-module.js";
export {
  type BullmqExecutorOptions,
  type BullmqWorkerOptions,
  DEFAULT_PREFIX,
  DEFAULT_QUEUE,
} from "./bullmq-options.js";
export { type BullmqWorker, type StartWorkerOptions, startWorker, type WorkerWorkspace } from "./bullmq-worker.js";

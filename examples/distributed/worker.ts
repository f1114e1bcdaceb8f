/**
 * A worker of the distributed example: takes "run step S of run R" tasks from the BullMQ queue and
 * runs them through its own workspace on the shared stores. Start as many as you like:
 *
 *   npx tsx examples/distributed/worker.ts
 *
 * SIGTERM or SIGINT: it takes no new task, finishes the steps it is running, then exits.
 */
import { startWorker } from "../../src/adapters/bullmq/index.js";
import { openClients, openSharedWorkspace, QUEUE } from "./stores.js";
import { churnTraining, registerChurnModel } from "./training.js";

const clients = openClients();
const worker = await startWorker({
  connection: clients.redis,
  queue: QUEUE,
  workspace: async (executor) => {
    const ws = await openSharedWorkspace(clients, executor);
    registerChurnModel(ws);
    return ws;
  },
  pipelines: [churnTraining],
  concurrency: 1,
});
console.log(`worker ${process.pid} ready on queue ${QUEUE}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await worker.close();
  await clients.close();
  console.log(`worker ${process.pid} stopped`);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());

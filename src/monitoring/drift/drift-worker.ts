/*
 * The worker thread of a drift report's pool (drift-pool.ts): receives column jobs, answers each with
 * its result or its error, in the order received. Built as its own entry (dist/drift-worker.js).
 */
import { parentPort } from "node:worker_threads";
import { type ColumnJob, jobError, runColumnJob } from "./column-job.js";

const port = parentPort;
if (port) {
  port.on("message", (message: { id: number; job: ColumnJob }) => {
    try {
      port.postMessage({ id: message.id, result: runColumnJob(message.job) });
    } catch (error) {
      port.postMessage({ id: message.id, error: jobError(error) });
    }
  });
}

// The Executor conformance suite on BullMQ, with the worker in the same process (the suite's runner
// receives what the queue delivers).
import { afterAll, describe } from "vitest";
import { executorSuite } from "../../../src/testing/index.js";
import { REDIS_URL, service } from "../../services.js";
import { testQueues } from "./bullmq-test-queues.js";

const redis = await service("Redis", REDIS_URL);

describe.runIf(redis)("BullMQ executor", () => {
  const queues = testQueues("mlc_bullmq_suite");
  afterAll(() => queues.drop());
  // A runner that throws is delivered once more, quickly.
  const options = { attempts: 2, backoffMs: 10 };
  executorSuite("bullmq (a worker of concurrency 4 in this process)", () =>
    queues.executor({ ...options, worker: { concurrency: 4 } }),
  );
  executorSuite("bullmq (a worker of concurrency 1 in this process)", () =>
    queues.executor({ ...options, worker: true }),
  );
});

// The pipeline engine's suite, unchanged, on workspaces whose steps go through a BullMQ queue: each
// test's workspace gets an executor on a queue of its own, with a worker in the same process taking
// the tasks back (so the suite's step counters and events are seen as they are in process).
import { join } from "node:path";
import { afterAll, afterEach, describe } from "vitest";
import { createWorkspace, openWorkspace } from "../../../src/index.js";
import { tempDir } from "../../helpers.js";
import { pipelineEngineSuite } from "../../pipeline/pipeline-engine-suite.js";
import { REDIS_URL, service } from "../../services.js";
import { testQueues } from "./bullmq-test-queues.js";

const redis = await service("Redis", REDIS_URL);
const dir = tempDir();

describe.runIf(redis)("the pipeline engine on the BullMQ executor", () => {
  const queues = testQueues("mlc_bullmq_engine");
  afterEach(() => queues.closeExecutors());
  afterAll(() => queues.drop());
  const executor = () => queues.executor({ worker: { concurrency: 8 } });
  pipelineEngineSuite("memory, steps through BullMQ", (o = {}) =>
    createWorkspace({ ...o, executor: o.executor ?? executor() }),
  );
  pipelineEngineSuite("sqlite, steps through BullMQ", (o = {}) =>
    openWorkspace(join(dir, `ws-${Math.random()}`), { ...o, executor: o.executor ?? executor() }),
  );
});

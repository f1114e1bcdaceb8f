import { inProcessExecutor } from "../../src/index.js";
import { executorSuite } from "../../src/testing/index.js";
import { duplicatingExecutor } from "./duplicating-executor.js";

executorSuite("in-process", () => inProcessExecutor({ concurrency: 3 }));
executorSuite("in-process (default concurrency)", () => inProcessExecutor());
executorSuite("duplicating (at least once)", () => duplicatingExecutor());

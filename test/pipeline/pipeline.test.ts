import { join } from "node:path";
import { createWorkspace, openWorkspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { pipelineEngineSuite } from "./pipeline-engine-suite.js";

const dir = tempDir();
pipelineEngineSuite("memory", (o) => createWorkspace(o));
pipelineEngineSuite("sqlite", (o) => openWorkspace(join(dir, `ws-${Math.random()}`), o));

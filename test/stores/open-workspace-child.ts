// Child process: opens the workspace folder given as argv[2] (running migrations), records one
// artifact node and exits.
import { openWorkspace } from "../../src/index.js";

const ws = await openWorkspace(process.argv[2] as string);
await ws.lineage.recordArtifact({ type: "dataset", name: `from-${process.pid}` });
await ws.close();

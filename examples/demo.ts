import { openWorkspace } from "../src/index.js";

// The main example on the embedded default (./.mlcycle: SQLite + artifact folder).
await using ws = await openWorkspace();
const data = await ws.lineage.recordArtifact({ type: "dataset", name: "iris.csv" });
console.log(`workspace ready; recorded dataset ${data.id}`);

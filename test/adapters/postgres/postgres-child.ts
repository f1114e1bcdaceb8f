// A child process on a PostgreSQL schema: argv = [url, schema, mode, artifacts folder].
// - migrate: opens a workspace on the schema (running migrations), records one artifact node, exits.
// - follow: opens a workspace, deploys price@champion with polling off, prints "ready", then prints
//   the version of each swap as a line "swapped <n>" and exits after the first.
import pg from "pg";
import { postgresStore } from "../../../src/adapters/postgres/index.js";
import { createWorkspace, localArtifactStore } from "../../../src/index.js";

const [url, schema, mode, artifacts] = process.argv.slice(2) as [string, string, string, string];
const pool = new pg.Pool({ connectionString: url, max: 4 });
const ws = await createWorkspace({
  ...postgresStore({ pool, schema }),
  artifacts: localArtifactStore({ root: artifacts }),
});
if (mode === "migrate") {
  await ws.lineage.recordArtifact({ type: "dataset", name: `from-${process.pid}` });
} else {
  ws.registry.registerFunction(
    "scale",
    (s: { factor: number }) => (rows: number[][]) => rows.map((r) => r[0] * s.factor),
  );
  const swapped = new Promise<number>((resolve) => ws.events.on("deployment.swapped", (e) => resolve(e.to)));
  const d = await ws.serving.deploy<number[][], number[]>("price@champion", { pollIntervalMs: false });
  process.stdout.write(`ready ${d.describe().version}\n`);
  const to = await swapped;
  const answer = await d.predict([[1]]);
  process.stdout.write(`swapped ${to} ${answer.outputs[0]}\n`);
}
await ws.close();
await pool.end();

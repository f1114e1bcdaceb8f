// One of the eight processes of postgres-concurrency.test.ts: argv = [url, schema, artifacts folder,
// index]. It opens a workspace on the shared schema, prints "ready", then for each command line on
// stdin (JSON: { mode, count, extra }, sent to all eight at once so that they race) does `count`
// operations of `mode` and prints what it did as one JSON line. It exits when stdin ends.
// - register: registers `count` versions of model "shared"; prints their numbers.
// - alias: moves alias "shared@champion" `count` times between versions 1..8 (its own index first);
//   prints the versions it moved to.
// - metrics: logs `count` values of metric "m" at steps index*count + i on run `extra`, one call each;
//   prints nothing but the count.
// - claim: claims and completes steps s0..s{count-1} of pipeline run `extra` with a token of its own;
//   prints the steps whose claim and commit it won.
import { createInterface } from "node:readline";
import pg from "pg";
import { postgresStore } from "../../../src/adapters/postgres/index.js";
import { createWorkspace, functionModel, localArtifactStore } from "../../../src/index.js";

const [url, schema, artifacts, indexText] = process.argv.slice(2) as string[];
const index = Number(indexText);
const pool = new pg.Pool({ connectionString: url, max: 2 });
const ws = await createWorkspace({
  ...postgresStore({ pool, schema: schema! }),
  artifacts: localArtifactStore({ root: artifacts! }),
});
ws.registry.registerFunction("const", (s: { v: number }) => () => s.v);

async function perform(mode: string, count: number, extra: string): Promise<unknown[]> {
  const done: unknown[] = [];
  if (mode === "register") {
    for (let i = 0; i < count; i++) {
      const v = await ws.registry.register("shared", { model: functionModel("const", { v: index * 1000 + i }) });
      done.push(v.version);
    }
  } else if (mode === "alias") {
    for (let i = 0; i < count; i++) {
      const to = ((index + i) % 8) + 1;
      await ws.registry.setAlias("shared", "champion", to, { actor: `p${index}`, reason: `move ${i}` });
      done.push(to);
    }
  } else if (mode === "metrics") {
    const run = await ws.experiments.resumeRun(extra!);
    for (let i = 0; i < count; i++) await run.logMetric("m", index + i / count, { step: index * count + i });
    await run.flush();
    done.push(count);
  } else if (mode === "claim") {
    const token = `p${index}-${process.pid}`;
    for (let i = 0; i < count; i++) {
      const step = `s${i}`;
      const claimed = await ws.metadata.pipelines.claimStep(extra!, step, { token, now: Date.now() });
      if (!claimed) continue;
      const committed = await ws.metadata.pipelines.completeStep(extra!, step, token, {
        status: "succeeded",
        attempts: 1,
        startedAt: claimed.startedAt,
        finishedAt: Date.now(),
        cacheHit: false,
        updatedAt: Date.now(),
      });
      if (committed) done.push(step);
    }
  }
  return done;
}

process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const { mode, count, extra } = JSON.parse(line) as { mode: string; count: number; extra: string };
  process.stdout.write(`${JSON.stringify(await perform(mode, count, extra))}\n`);
}
await ws.close();
await pool.end();

/**
 * A typed training pipeline on the embedded workspace: load → split → map(train one fold) → pick
 * the best → publish only when it is good enough. Shows progress events as it runs, the graph,
 * caching (a second run executes nothing) with its explanation, resume after a failure, lineage,
 * and an event trigger — the start of continuous training.
 *
 *   npx tsx examples/pipeline.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { openWorkspace, pipeline, step } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "mlcycle-pipeline-example-"));
const ws = await openWorkspace(dir);

// Progress: every run and step event, as one line each.
const t0 = Date.now();
const say = (text: string) => console.log(`  [${String(Date.now() - t0).padStart(4)} ms] ${text}`);
ws.events.on("pipeline.run.started", (e) => say(`run ${e.runId.slice(-6)} started${e.resumed ? " (resumed)" : ""}`));
ws.events.on("pipeline.step.started", (e) =>
  say(`${e.step} started${e.items !== undefined ? ` (${e.items} items)` : ""}`),
);
ws.events.on("pipeline.step.finished", (e) => say(`${e.step} ${e.status} in ${e.durationMs} ms`));
ws.events.on("pipeline.step.cached", (e) => say(`${e.step} cached (from run ${e.fromRunId.slice(-6)})`));
ws.events.on("pipeline.step.skipped", (e) => say(`${e.step} skipped: ${e.reason}`));
ws.events.on("pipeline.step.retrying", (e) =>
  say(`${e.step} attempt ${e.attempt} failed (${e.error}), retrying in ${e.delayMs} ms`),
);
ws.events.on("pipeline.step.failed", (e) => say(`${e.step} ${e.status}: ${e.error}`));
ws.events.on("pipeline.run.finished", (e) => say(`run ${e.runId.slice(-6)} ${e.status}`));
ws.events.on("pipeline.run.failed", (e) => say(`run ${e.runId.slice(-6)} failed: ${e.error}`));

// y = 3x + 2 with noise, from a seeded generator so runs are reproducible.
const load = step({
  name: "load",
  version: "1",
  input: z.object({ n: z.number().int().positive(), seed: z.number().int() }),
  output: z.object({ xs: z.array(z.number()), ys: z.array(z.number()) }),
  run: ({ n, seed }) => {
    let s = seed;
    const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
    const xs = Array.from({ length: n }, (_, i) => i / n);
    return { xs, ys: xs.map((x) => 3 * x + 2 + rand() * 0.2) };
  },
});

const folds = step({
  name: "folds",
  version: "1",
  input: z.object({ xs: z.array(z.number()), ys: z.array(z.number()), k: z.number().int().min(2) }),
  output: z.array(z.object({ fold: z.number(), xs: z.array(z.number()), ys: z.array(z.number()) })),
  run: ({ xs, ys, k }) =>
    Array.from({ length: k }, (_, fold) => ({
      fold,
      xs: xs.filter((_, i) => i % k !== fold),
      ys: ys.filter((_, i) => i % k !== fold),
    })),
});

let flaky = true; // the first attempt of fold 1 fails, to show a retry
const train = step({
  name: "train-fold",
  version: "1",
  input: z.object({ fold: z.number(), xs: z.array(z.number()), ys: z.array(z.number()), lr: z.number() }),
  output: z.object({ fold: z.number(), w: z.number(), b: z.number(), mse: z.number() }),
  retry: { retries: 2, backoffMs: 20 },
  run: ({ fold, xs, ys, lr }, ctx) => {
    if (fold === 1 && flaky) {
      flaky = false;
      throw new Error("transient: worker lost");
    }
    let w = 0;
    let b = 0;
    for (let epoch = 0; epoch < 300; epoch++) {
      let gw = 0;
      let gb = 0;
      for (let i = 0; i < xs.length; i++) {
        const err = w * xs[i]! + b - ys[i]!;
        gw += err * xs[i]!;
        gb += err;
      }
      w -= (lr * gw) / xs.length;
      b -= (lr * gb) / xs.length;
    }
    const mse = xs.reduce((s, x, i) => s + (w * x + b - ys[i]!) ** 2, 0) / xs.length;
    ctx.log.info(`fold ${fold}`, { w, b, mse });
    return { fold, w, b, mse };
  },
});

const best = step({
  name: "best",
  version: "1",
  input: z.object({ models: z.array(z.object({ fold: z.number(), w: z.number(), b: z.number(), mse: z.number() })) }),
  output: z.object({ w: z.number(), b: z.number(), mse: z.number() }),
  run: async ({ models }, ctx) => {
    const m = [...models].sort((a, c) => a.mse - c.mse)[0]!;
    await ctx.run.logMetrics({ mse: m.mse, w: m.w, b: m.b });
    return { w: m.w, b: m.b, mse: m.mse };
  },
});

let publishFails = true; // the first run fails here, to show resume
const publish = step({
  name: "publish",
  version: "1",
  input: z.object({ w: z.number(), b: z.number() }),
  output: z.object({ artifact: z.string() }),
  cache: false,
  run: async ({ w, b }, ctx) => {
    if (publishFails) throw new Error("model store unreachable");
    const { digest } = await ctx.workspace.artifacts.put(JSON.stringify({ w, b }));
    return { artifact: digest };
  },
});

const training = pipeline("linear-train", {
  params: z.object({
    n: z.number().default(200),
    seed: z.number().default(7),
    lr: z.number().default(0.5),
    maxMse: z.number(),
  }),
})
  .step("load", load, ({ params }) => ({ n: params.n, seed: params.seed }))
  .step("folds", folds, ({ load }) => ({ xs: load.xs, ys: load.ys, k: 4 }))
  .map("train", train, {
    over: ({ folds }) => folds,
    input: (f, { params }) => ({ fold: f.fold, xs: f.xs, ys: f.ys, lr: params.lr }),
    concurrency: 2,
  })
  .step("best", best, ({ train }) => ({ models: train }))
  .step("publish", publish, ({ best }) => ({ w: best.w, b: best.b }), {
    when: ({ best, params }) => best.mse <= params.maxMse,
  });

console.log("\n# the graph, known before anything runs");
console.log(training.graph().toString());

console.log("\n# first run: publish fails");
const first = await ws.pipelines.run(training, { maxMse: 0.01 });
console.log(`status ${first.status}; best =`, first.outputs.best);

console.log("\n# resume: only publish runs again");
publishFails = false;
const resumed = await ws.pipelines.resume(training, first.id);
console.log(`status ${resumed.status}; published`, resumed.outputs.publish);

console.log("\n# same params again: every cacheable step is reused");
const again = await ws.pipelines.run(training, { maxMse: 0.01 });
const why = await ws.pipelines.explainCache(again.id, "best");
console.log(`best: ${why.reason}`);

console.log("\n# a new learning rate: load and folds are cached, training re-runs");
const lr = await ws.pipelines.run(training, { maxMse: 0.01, lr: 0.3 });
console.log(`train: ${(await ws.pipelines.explainCache(lr.id, "train")).reason}`);

console.log("\n# an impossible threshold: publish is skipped");
await ws.pipelines.run(training, { maxMse: 0 });

console.log("\n# lineage: what the published model came from");
const out = resumed.steps.publish!.output!;
const up = await ws.lineage.upstream({ kind: "artifact", externalId: `step_output:${out.hash}` });
// Cached step runs are executions too (they "produced" the same content), so group them.
const grouped = new Map<string, number>();
for (const n of up.nodes.sort((a, c) => a.hops - c.hops)) {
  const k = `${"  ".repeat(n.hops)}${n.kind} ${n.name}`;
  grouped.set(k, (grouped.get(k) ?? 0) + 1);
}
for (const [k, count] of grouped) console.log(`  ${k}${count > 1 ? ` (${count} step runs: executed or cached)` : ""}`);

console.log("\n# continuous training: a monitor alert starts a run");
const trigger = ws.pipelines.onEvent(training, "monitor.alert", { params: () => ({ maxMse: 0.01, seed: 8 }) });
ws.events.emit("monitor.alert" as never, { monitor: "demo", kind: "drift" } as never);
await new Promise((r) => setTimeout(r, 10));
await trigger.idle();
console.log(`trigger started ${trigger.started} run(s): ${trigger.runIds.map((id) => id.slice(-6)).join(", ")}`);

await ws.close();
rmSync(dir, { recursive: true, force: true });

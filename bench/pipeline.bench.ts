/**
 * Pipeline benchmarks: per-step orchestration overhead.
 *
 * 1. A chain of 100 no-op steps (each adds 1 to its input).
 * 2. A fan-out `map` of 10,000 no-op items (one step node, 10,000 executions of its function).
 *
 * Each runs on an in-memory workspace and on the embedded default (SQLite + local artifacts in a
 * temp folder), with every default on: records, claims, cache lookups and entries, lineage, the
 * pipeline's tracking run, events (the steps do not use `ctx.run`, so they record no tracking child
 * run: one is started only on first use). The baseline is the same step functions called
 * directly in a loop in the same process. Each workload also runs "lean" (lineage and tracking off
 * for the run), which isolates the engine's own cost: records, claims and the cache. Each iteration uses a fresh params value so every step
 * misses the cache and really runs. Figures: median over iterations after warm-up runs, µs per step (or per item)
 * of the pipeline minus the direct calls, and the ratio pipeline / direct; beside it the process's CPU
 * time per step (user + system, minus the direct calls), which a busy shared machine distorts less.
 * Targets: ≤ 200 µs per step with SQLite records, ≤ 30 µs in memory.
 *
 *   npx tsx bench/pipeline.bench.ts            # or: npm run bench -- pipeline
 */
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import {
  type AnyPipeline,
  createWorkspace,
  openWorkspace,
  pipeline,
  type RunOptions,
  step,
  type Workspace,
} from "../src/index.js";
import { record, size } from "./report.js";

const CHAIN = Number(process.env.BENCH_CHAIN ?? size(100, 10));
const ITEMS = Number(process.env.BENCH_ITEMS ?? size(10_000, 200));
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? size(15, 3));
const WARMUP = Number(process.env.BENCH_WARMUP ?? size(15, 3));

const root = mkdtempSync(join(tmpdir(), "mlcycle-bench-pipeline-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const inc = step({
  name: "inc",
  version: "1",
  input: z.object({ x: z.number() }),
  output: z.object({ x: z.number() }),
  run: ({ x }) => ({ x: x + 1 }),
});
const seed = step({
  name: "seed",
  version: "1",
  input: z.object({ n: z.number(), items: z.number() }),
  output: z.object({ x: z.number(), list: z.array(z.number()) }),
  run: ({ n, items }) => ({ x: n, list: Array.from({ length: items }, (_, i) => i + n) }),
});
const noop = step({ name: "noop", version: "1", input: z.number(), output: z.number(), run: (x) => x });

function chainPipeline(): AnyPipeline {
  let p: any = pipeline("chain", { params: z.object({ n: z.number() }) }).step("seed", seed, ({ params }) => ({
    n: params.n,
    items: 0,
  }));
  let prev = "seed";
  for (let i = 0; i < CHAIN; i++) {
    const from = prev;
    p = p.step(`s${i}`, inc, (refs: any) => ({ x: refs[from].x }));
    prev = `s${i}`;
  }
  return p;
}

function mapPipeline(): AnyPipeline {
  return pipeline("fanout", { params: z.object({ n: z.number() }) })
    .step("seed", seed, ({ params }) => ({ n: params.n, items: ITEMS }))
    .map("each", noop, { over: ({ seed }) => seed.list, concurrency: 16 });
}

/** The same step functions called directly: the baseline. */
function directChain(n: number): number {
  let v = seed.run({ n, items: 0 }, {} as never) as { x: number };
  for (let i = 0; i < CHAIN; i++) v = inc.run(v, {} as never) as { x: number };
  return v.x;
}
function directMap(n: number): number {
  const { list } = seed.run({ n, items: ITEMS }, {} as never) as { list: number[] };
  let s = 0;
  for (const x of list) s += noop.run(x, {} as never) as number;
  return s;
}

async function measure(
  ws: Workspace,
  p: AnyPipeline,
  direct: (n: number) => number,
  units: number,
  options: RunOptions,
) {
  const piped: number[] = [];
  const plain: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    // Runs are a million apart: a chain adds at most CHAIN and a map spans ITEMS values, so no step
    // input of one run equals one of another's, and every step misses the cache.
    const n = (i + 1) * 1_000_000;
    let t = performance.now();
    const c0 = process.cpuUsage();
    const r = await ws.pipelines.run(p, { n }, options);
    const dt = performance.now() - t;
    const dc = process.cpuUsage(c0);
    if (r.status !== "succeeded") throw new Error(`run ${r.id} ${r.status}: ${r.error?.message}`);
    const cached = Object.values(r.steps).filter((s) => s.status === "cached").length;
    if (cached) throw new Error(`${cached} steps were cached; the bench needs misses`);
    t = performance.now();
    for (let k = 0; k < 10; k++) direct(n + k);
    const dd = (performance.now() - t) / 10;
    if (i < WARMUP) continue; // let the JIT warm up first
    piped.push(dt);
    plain.push(dd);
    cpu.push((dc.user + dc.system) / 1000);
  }
  const mp = median(piped);
  const md = median(plain);
  return {
    pipeline: mp,
    direct: md,
    usPerUnit: ((mp - md) * 1000) / units,
    cpuUsPerUnit: ((median(cpu) - md) * 1000) / units,
    ratio: mp / Math.max(md, 1e-6),
  };
}

const modes: Array<[string, RunOptions]> = [
  ["full", {}],
  ["lean", { lineage: false, tracking: false }],
];
async function suite(kind: string, open: () => Promise<Workspace>, target: number) {
  for (const [name, build, direct, units] of [
    [`chain of ${CHAIN} steps`, chainPipeline, directChain, CHAIN + 1],
    [`map of ${ITEMS.toLocaleString("en-US")} items`, mapPipeline, directMap, ITEMS],
  ] as const) {
    for (const [mode, options] of modes) {
      const ws = await open();
      const m = await measure(ws, build(), direct, units, options);
      await ws.close();
      record({
        name: `${kind}, ${name}, ${mode} records: overhead per ${name.startsWith("map") ? "item" : "step"}`,
        value: m.usPerUnit,
        unit: "µs",
        baseline: { name: "the step functions called directly", value: (m.direct * 1000) / units },
        target: { max: target },
        note: `CPU ${m.cpuUsPerUnit.toFixed(1)} µs; pipeline ${m.pipeline.toFixed(1)} ms, direct ${m.direct.toFixed(3)} ms per run`,
      });
    }
  }
}

try {
  console.log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${os.cpus().length} cores`,
  );
  // Warm the JIT on the engine's code once for both suites, so the first one measured is not penalised.
  {
    const ws = await createWorkspace();
    const p = chainPipeline();
    for (let i = 0; i < 20; i++) await ws.pipelines.run(p, { n: -(i + 1) * 1_000_000 });
    await ws.close();
  }
  await suite("memory", () => createWorkspace(), 30);
  await suite("sqlite", () => openWorkspace(join(root, `ws-${Math.random()}`)), 200);
} finally {
  rmSync(root, { recursive: true, force: true });
}

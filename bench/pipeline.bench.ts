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
 * On SQLite the chain is also set beside its floor: the rows the engine wrote for each step of the
 * last run (the step record as claimed then completed, its cache entry, its lineage nodes and
 * edges) written again, copies with fresh keys, by raw better-sqlite3 prepared statements in one
 * transaction per step, on the same database file and schema, in the same run (target ≤ 2×).
 *
 *   npx tsx bench/pipeline.bench.ts            # or: npm run bench -- pipeline
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { z } from "zod";
import {
  type AnyPipeline,
  createWorkspace,
  openWorkspace,
  pipeline,
  type RunOptions,
  step,
  type Workspace,
} from "mlcycle";
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
    cpuPipeline: median(cpu),
    ratio: mp / Math.max(md, 1e-6),
  };
}

const modes: Array<[string, RunOptions]> = [
  ["full", {}],
  ["lean", { lineage: false, tracking: false }],
];
type Row = Record<string, unknown>;
/** The folder of the SQLite workspace opened last (the floor reads its database). */
let lastDir: string | undefined;

/**
 * The least a durable chain step costs on SQLite: the rows the engine wrote for each step of the
 * database's last run, copied with fresh keys and written by prepared statements, one transaction
 * per step (claim insert, outcome update, cache entry, the step's share of the run's lineage nodes
 * and edges). The same file, schema, indexes and pragmas as the workspace. Median µs per step and
 * CPU µs per step over `ITERATIONS` passes.
 */
function sqliteFloor(file: string): { wall: number; cpu: number; perStep: string } {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  try {
    const run = db
      .prepare("select id, created_at from pipeline_runs order by created_at desc, id desc limit 1")
      .get() as {
      id: string;
      created_at: number;
    };
    const steps = db.prepare("select * from pipeline_steps where run_id = ? order by started_at").all(run.id) as Row[];
    const cache = new Map(
      (db.prepare("select * from pipeline_cache where run_id = ?").all(run.id) as Row[]).map((r) => [r.key, r]),
    );
    const nodes = db.prepare("select * from lineage_nodes where created_at >= ?").all(run.created_at) as Row[];
    const edges = db.prepare("select * from lineage_edges where created_at >= ?").all(run.created_at) as Row[];
    const insert = (table: string, row: Row) =>
      db.prepare(
        `insert into ${table} (${Object.keys(row).join(", ")}) values (${Object.keys(row)
          .map(() => "?")
          .join(", ")})`,
      );
    const outcome = Object.keys(steps[0]!).filter((c) => c !== "run_id" && c !== "step" && c !== "claim_token");
    const claim = insert("pipeline_steps", {
      run_id: 0,
      step: 0,
      status: 0,
      attempts: 0,
      claim_token: 0,
      started_at: 0,
      cache_hit: 0,
      updated_at: 0,
    });
    const complete = db.prepare(
      `update pipeline_steps set ${outcome.map((c) => `${c} = ?`).join(", ")} where run_id = ? and step = ? and status = 'running' and claim_token = ?`,
    );
    const putCache = cache.size ? insert("pipeline_cache", [...cache.values()][0]!) : undefined;
    const putNode = nodes.length ? insert("lineage_nodes", nodes[0]!) : undefined;
    const putEdge = edges.length ? insert("lineage_edges", edges[0]!) : undefined;
    // The run's lineage rows in equal shares, one share per step.
    const share = <T>(xs: T[], i: number) =>
      xs.slice(Math.floor((i * xs.length) / steps.length), Math.floor(((i + 1) * xs.length) / steps.length));
    let serial = 0;
    const fresh = () => `F${(serial++).toString(36).padStart(25, "0")}`;
    const writeStep = db.transaction((runId: string, ids: Map<unknown, string>, st: Row, i: number) => {
      const token = fresh();
      claim.run([runId, st.step, "running", 1, token, st.started_at, 0, st.started_at]);
      const c = cache.get(st.cache_key);
      if (putCache && c) putCache.run(Object.values({ ...c, key: fresh(), run_id: runId }));
      for (const n of share(nodes, i)) {
        const id = fresh();
        ids.set(n.id, id);
        putNode!.run(
          Object.values({ ...n, id, external_id: n.external_id === null ? null : `${n.external_id}/${id}` }),
        );
      }
      for (const e of share(edges, i))
        putEdge!.run(
          Object.values({
            ...e,
            from_id: ids.get(e.from_id) ?? e.from_id,
            to_id: ids.get(e.to_id) ?? e.to_id,
            slot: `${e.slot}/${runId}`,
          }),
        );
      complete.run([...outcome.map((c) => st[c]), runId, st.step, token]);
    }).immediate;
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let pass = 0; pass < WARMUP + ITERATIONS; pass++) {
      const runId = fresh();
      const ids = new Map<unknown, string>();
      const t = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < steps.length; i++) writeStep(runId, ids, steps[i]!, i);
      const dc = process.cpuUsage(c0);
      if (pass < WARMUP) continue;
      walls.push(((performance.now() - t) * 1000) / steps.length);
      cpus.push((dc.user + dc.system) / steps.length);
    }
    const perStep = `${(nodes.length / steps.length).toFixed(1)} lineage nodes, ${(edges.length / steps.length).toFixed(1)} edges, ${(cache.size / steps.length).toFixed(1)} cache entries per step`;
    return { wall: median(walls), cpu: median(cpus), perStep };
  } finally {
    db.close();
  }
}

v8.setFlagsFromString("--expose-gc");
const collect = vm.runInNewContext("gc") as () => void;
let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ["gc"] });
const settle = () => new Promise((r) => setTimeout(r, 10));

/**
 * The heap a chain step allocates and keeps: the growth of the JavaScript heap over one run of the
 * chain, counted only for runs during which no collection happened (so it is every byte allocated),
 * and the growth that remains after a full collection (what the stores keep of the run). Medians
 * over `ITERATIONS` runs, in bytes per step.
 */
async function heapPerStep(ws: Workspace, p: AnyPipeline, units: number, options: RunOptions, from: number) {
  const allocated: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    collect();
    collect();
    await settle();
    const seen = collections;
    const before = process.memoryUsage().heapUsed;
    await ws.pipelines.run(p, { n: (from + i + 1) * 1_000_000 }, options);
    const after = process.memoryUsage().heapUsed;
    await settle();
    if (collections === seen) allocated.push((after - before) / units);
    collect();
    collect();
    kept.push((process.memoryUsage().heapUsed - before) / units);
  }
  return {
    allocated: allocated.length ? median(allocated) : Number.NaN,
    kept: median(kept),
    counted: allocated.length,
  };
}

async function suite(kind: string, open: () => Promise<Workspace>, target: number) {
  for (const [name, build, direct, units] of [
    [`chain of ${CHAIN} steps`, chainPipeline, directChain, CHAIN + 1],
    [`map of ${ITEMS.toLocaleString("en-US")} items`, mapPipeline, directMap, ITEMS],
  ] as const) {
    for (const [mode, options] of modes) {
      const ws = await open();
      const p = build();
      const m = await measure(ws, p, direct, units, options);
      const file = lastDir === undefined ? undefined : join(lastDir, "mlcycle.db");
      if (name.startsWith("chain")) {
        const heap = await heapPerStep(ws, p, units, options, WARMUP + ITERATIONS);
        record({
          name: `${kind}, ${name}, ${mode} records: heap allocated per step`,
          value: heap.allocated,
          unit: "B",
          note: `${heap.counted} of ${ITERATIONS} runs ran without a collection; kept after a full collection: ${heap.kept > 0 ? `${Math.round(heap.kept).toLocaleString("en-US")} B per step` : "none"}`,
        });
      }
      await ws.close();
      if (kind === "sqlite" && file && name.startsWith("chain")) {
        const floor = sqliteFloor(file);
        record({
          name: `sqlite, ${name}, ${mode} records: per step against its rows written raw`,
          value: (m.pipeline * 1000) / units,
          unit: "µs",
          baseline: { name: "the same rows by prepared statements, one transaction per step", value: floor.wall },
          target: { ratioMax: 2 },
          note: `CPU ${((m.cpuPipeline * 1000) / units).toFixed(1)} µs against ${floor.cpu.toFixed(1)} µs (${((m.cpuPipeline * 1000) / units / floor.cpu).toFixed(2)}×); ${floor.perStep}`,
        });
      }
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
  // Warm the JIT on the engine's code once for both suites, so the first one measured is not
  // penalised: a chain step's CPU time keeps falling until about 6,000 steps have run (V8 optimises
  // the engine's functions in tiers, each after enough calls), so the warm-up runs that many, in
  // both modes, before any figure is taken.
  {
    const ws = await createWorkspace();
    const p = chainPipeline();
    const runs = Number(process.env.BENCH_JIT_RUNS ?? size(60, 5));
    for (let i = 0; i < runs; i++) await ws.pipelines.run(p, { n: -(i + 1) * 1_000_000 }, modes[i % 2]![1]);
    await ws.close();
  }
  await suite("memory", () => createWorkspace(), 30);
  await suite("sqlite", () => {
    lastDir = join(root, `ws-${Math.random()}`);
    return openWorkspace(lastDir);
  }, 200);
} finally {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Online experiment costs, each beside a baseline measured in the same run:
 *
 * 1. Routing overhead per call: a routed deployment (a 50/50 split: hash of salt + unit, table
 *    lookup, exposure counters) against the same deployments called in turn without routing, in
 *    alternating rounds of CPU time so both see the same load — with the prediction log on the embedded default
 *    (SQLite), and with it off (memory: the strictest baseline, a call doing the least). Targets:
 *    ≤ 2 µs per call, ≥ 95% of the unrouted throughput. Also the hash + pick alone (`assign`).
 * 2. Analysis of 10,000,000 outcomes streamed into the aggregates of an experiment on the embedded
 *    default (SQLite): recording time, heap growth, and the analysis time — against computing the
 *    same Welch test from the 10,000,000 values held in memory (what a row-based analysis needs).
 *
 *   npm run bench -- online
 *   OUTCOMES=1000000 npx tsx bench/online.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createWorkspace, functionModel, openWorkspace, type Workspace, welchTTestFromSamples } from "mlcycle";
import { record, size } from "./report.js";

const OUTCOMES = Number(process.env.OUTCOMES ?? size(10_000_000, 20_000));
const UNITS = Array.from({ length: 65_536 }, (_, i) => `user-${i.toString(36)}-${(i * 2654435761) >>> 0}`);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function setUp(ws: Workspace): Promise<void> {
  ws.registry.registerFunction(
    "scale",
    (s: { factor: number }) => (rows: number[][]) => rows.map(([x]) => x * s.factor),
  );
  const signature = { inputs: z.array(z.tuple([z.number()])).min(1), outputs: z.array(z.number()) };
  await ws.registry.register("price", { model: functionModel("scale", { factor: 2 }), signature });
}

/**
 * CPU ns per call of each, in alternating rounds; the median round of each. Each round ends with its
 * own side's `settle` (writing its buffered log rows) inside its timing, so neither pays for the
 * other's writes; CPU time rather than wall time, so the other processes of a shared machine count less.
 */
async function alternate(
  rounds: number,
  perRound: number,
  a: { call: (i: number) => Promise<unknown>; settle: () => Promise<unknown> },
  b: { call: (i: number) => Promise<unknown>; settle: () => Promise<unknown> },
): Promise<[number, number]> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [side, out] of (r % 2 === 0
      ? [
          [a, ta],
          [b, tb],
        ]
      : [
          [b, tb],
          [a, ta],
        ]) as Array<[typeof a, number[]]>) {
      // CPU time of this process (user + system): other processes on the machine do not count.
      const t = process.cpuUsage();
      for (let i = 0; i < perRound; i++) await side.call(i);
      await side.settle();
      const used = process.cpuUsage(t);
      out.push(((used.user + used.system) * 1000) / perRound);
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [median(ta), median(tb)];
}

async function routing(log: boolean): Promise<void> {
  // With the prediction log: the embedded default (SQLite), as a service runs it. Without: memory.
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-online-bench-"));
  await using ws = log ? await openWorkspace(dir) : await createWorkspace();
  await setUp(ws);
  const deploy = { log: { enabled: log }, pollIntervalMs: false as const };
  // The baseline: the same two deployments (each variant's settings, its own prediction log rows),
  // called in turn without routing. The routed split adds the hash, the pick and the counting.
  const plain = [
    await ws.serving.deploy<number[][], number[]>("price@1", { ...deploy, name: "plain-a", variant: "control" }),
    await ws.serving.deploy<number[][], number[]>("price@1", { ...deploy, name: "plain-b", variant: "treatment" }),
  ];
  const routed = await ws.online.split<number[][], number[]>("price-ab", {
    variants: [
      { name: "control", ref: "price@1", weight: 50 },
      { name: "treatment", ref: "price@1", weight: 50 },
    ],
    deploy,
    pollIntervalMs: false,
  });
  const rows = [[1.5]];
  const options = UNITS.map((unit) => ({ unit }));
  const mask = UNITS.length - 1;
  const [direct, viaRouter] = await alternate(
    size(log ? 30 : 20, 4),
    size(log ? 5_000 : 25_000, 500),
    { call: (i) => plain[i & 1].predict(rows), settle: () => Promise.all(plain.map((d) => d.flush())) },
    { call: (i) => routed.predict(rows, options[i & mask]), settle: () => routed.flushLogs() },
  );
  const store = log ? "log on, SQLite" : "log off, memory";
  record({
    name: `routed predict, ${store}: overhead per call`,
    value: (viaRouter - direct) / 1000,
    unit: "µs",
    target: { max: 2 },
    note: `CPU time; routed ${(viaRouter / 1000).toFixed(2)} µs, direct ${(direct / 1000).toFixed(2)} µs per call`,
  });
  record({
    name: `routed predict, ${store}: CPU time per call`,
    value: viaRouter / 1000,
    unit: "µs",
    baseline: { name: "the two deployments called in turn, unrouted", value: direct / 1000 },
    // Throughput routed / direct ≥ 95% is time per call ≤ 1/0.95 of the direct call's.
    target: { ratioMax: 1 / 0.95 },
    note: `throughput ${((direct / viaRouter) * 100).toFixed(1)}% of direct (target ≥ 95%)`,
  });
  // Hash + pick alone.
  const n = size(2_000_000, 200_000);
  let sink = 0;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += routed.assign(UNITS[i & mask]).length;
  const ns = Number(process.hrtime.bigint() - t) / n;
  if (sink < 0) console.log(sink); // keeps the loop's result alive
  record({ name: `assign(unit): hash + pick, ${store}`, value: ns, unit: "ns" });
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
}

async function analysis(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mlcycle-online-bench-"));
  try {
    await using ws = await openWorkspace(dir);
    await setUp(ws);
    await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 50 },
        { name: "treatment", ref: "price@1", weight: 50 },
      ],
      pollIntervalMs: false,
    });
    // Outcomes of two variants: revenue ~ N(10, 3²) and N(10.02, 3²) by a cheap generator.
    let seed = 12345;
    const uniform = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000;
    const value = (shift: number) => shift + 10 + 3 * (uniform() + uniform() + uniform() - 1.5) * 2;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (let i = 0; i < OUTCOMES; i++) {
      const treatment = (i & 1) === 1;
      await ws.online.record("price-ab", {
        variant: treatment ? "treatment" : "control",
        metric: "revenue",
        value: value(treatment ? 0.02 : 0),
      });
    }
    const recordMs = performance.now() - t0;
    gc();
    const retained = process.memoryUsage().heapUsed - heapBefore;
    const t1 = performance.now();
    const a = await ws.online.analyze("price-ab", { metric: "revenue", type: "mean", sequential: true });
    const analyzeMs = performance.now() - t1;
    const counts = `n = ${a.variants.map((v) => v.n).join(" + ")}, p = ${a.comparisons[0].pValue.toPrecision(3)}`;
    record({
      name: `record ${OUTCOMES.toLocaleString("en")} outcomes (SQLite aggregates)`,
      value: recordMs / 1000,
      unit: "s",
      note: `${((OUTCOMES / recordMs) * 1000).toFixed(0)} /s, heap retained ${(retained / 1e6).toFixed(1)} MB`,
    });
    // Baseline: the same test from the values held in memory (two passes over 10,000,000 numbers).
    seed = 12345;
    gc();
    const before = process.memoryUsage();
    const t2 = performance.now();
    const half = Math.floor(OUTCOMES / 2);
    const control = new Float64Array(OUTCOMES - half);
    const treatment = new Float64Array(half);
    for (let i = 0; i < OUTCOMES; i++) {
      if ((i & 1) === 1) treatment[i >> 1] = value(0.02);
      else control[i >> 1] = value(0);
    }
    const r = welchTTestFromSamples(control, treatment);
    const rowsMs = performance.now() - t2;
    const held = process.memoryUsage().arrayBuffers - before.arrayBuffers;
    record({
      name: `analyze ${OUTCOMES.toLocaleString("en")} outcomes (Welch test from the aggregates)`,
      value: analyzeMs,
      unit: "ms",
      baseline: { name: "the same test from the values held in memory", value: rowsMs },
      note: `${counts}; the baseline holds ${(held / 1e6).toFixed(0)} MB (p = ${r.pValue.toPrecision(3)})`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await routing(true);
await routing(false);
await analysis();

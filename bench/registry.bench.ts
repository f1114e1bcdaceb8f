/**
 * Registry costs on the embedded default (SQLite file + artifact folder). Each figure is printed
 * beside a baseline measured in the same run:
 *
 * - register(): against putting the same bytes in the artifact store and inserting one row per
 *   version straight into SQLite in its own transaction (the least a durable registration does).
 * - load() + predict(): against calling the same predict function directly.
 * - predict() of 100 rows validated against the version's signature, against the same call loaded
 *   with `validate: false` (target ≤ 2×); and that call against the predict function itself. CPU
 *   time, in alternating rounds (the median round of each).
 * - setAlias() (with audit record): against one raw SQLite upsert in its own transaction, both
 *   after warm-up calls, in alternating rounds (the median round of each).
 *
 *   npx tsx bench/registry.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createWorkspace, functionModel, localArtifactStore, sqliteBackend } from "mlcycle";
import { record, size } from "./report.js";

const dir = mkdtempSync(join(tmpdir(), "mlcycle-registry-bench-"));
const backend = sqliteBackend({ path: join(dir, "mlcycle.db") });
const ws = await createWorkspace({ ...backend, artifacts: localArtifactStore({ root: join(dir, "artifacts") }) });
const raw = backend.database.sqlite;
raw.exec("create table bench_rows (id integer primary key, model text, version integer, digest text, meta text)");
const insert = raw.prepare("insert into bench_rows (model, version, digest, meta) values (?, ?, ?, ?)");
const upsert = raw.prepare(
  "insert into bench_rows (id, model, version, digest, meta) values (1, ?, ?, '', '') on conflict(id) do update set version = excluded.version",
);

const predict = (s: { w: number[] }) => (rows: number[][]) => rows.map((r) => r[0] * s.w[0] + r[1] * s.w[1]);
ws.registry.registerFunction("lin", predict);
const Inputs = z.array(z.tuple([z.number(), z.number()]));

/** Records µs per call of `n` calls taking `ms`, beside the baseline's. */
const fmt = (label: string, ms: number, n: number, baseMs: number, baseline: string, ratioMax?: number) =>
  record({
    name: label,
    value: (ms * 1000) / n,
    unit: "µs",
    baseline: { name: baseline, value: (baseMs * 1000) / n },
    target: ratioMax === undefined ? undefined : { ratioMax },
  });

async function time(fn: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Per call of each side, in ms: wall time and CPU time (user + system) of this process. */
interface PerCall {
  wall: number;
  cpu: number;
}

/**
 * ms per call of `ours` and `base`, `n` calls each, in `rounds` rounds alternating between them so
 * both see the same load; the median round of each, in wall and in CPU time.
 */
async function alternate(
  rounds: number,
  n: number,
  ours: (i: number) => Promise<unknown> | unknown,
  base: (i: number) => Promise<unknown> | unknown,
): Promise<[PerCall, PerCall]> {
  const sides = [ours, base];
  const wall: number[][] = [[], []];
  const cpuMs: number[][] = [[], []];
  const per = Math.ceil(n / rounds);
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < 2; s++) {
      const c = process.cpuUsage();
      wall[s].push(
        (await time(async () => {
          for (let i = r * per; i < (r + 1) * per; i++) await sides[s](i);
        })) / per,
      );
      const used = process.cpuUsage(c);
      cpuMs[s].push((used.user + used.system) / 1000 / per);
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1];
  return [0, 1].map((s) => ({ wall: median(wall[s]), cpu: median(cpuMs[s]) })) as [PerCall, PerCall];
}

/** Records a figure measured by {@link alternate}: wall time, with the CPU times in the note. */
function recordPair(label: string, [ours, base]: [PerCall, PerCall], baseline: string, ratioMax: number): void {
  record({
    name: label,
    value: ours.wall * 1000,
    unit: "µs",
    baseline: { name: baseline, value: base.wall * 1000 },
    target: { ratioMax },
    note: `CPU ${(ours.cpu * 1000).toFixed(1)} µs against ${(base.cpu * 1000).toFixed(1)} µs (${(ours.cpu / base.cpu).toFixed(2)}×)`,
  });
}

const N = size(200, 20);
// Warm-up registrations of both sides first (untimed, under another model name), so the figure is
// the steady per-call cost rather than the JIT compiling the registration path during the first
// rounds (the baseline's path is a few calls deep, ours many more).
for (let i = 0; i < size(100, 2); i++) {
  await ws.registry.register("warmup", { model: functionModel("lin", { w: [i, 1] }), signature: { inputs: Inputs } });
  const { digest } = await ws.artifacts.put(new TextEncoder().encode(JSON.stringify({ w: [i, 3] })));
  raw.transaction(() => insert.run("warmup", i, digest, "{}")).immediate();
}
const registered = await alternate(
  5,
  N,
  (i) => ws.registry.register("bench", { model: functionModel("lin", { w: [i, 1] }), signature: { inputs: Inputs } }),
  async (i) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ w: [i, 2] }));
    const { digest } = await ws.artifacts.put(bytes);
    raw.transaction(() => insert.run("bench", i, digest, "{}")).immediate();
  },
);
recordPair("register()", registered, "artifact put + one insert transaction", 2);

const L = size(200, 20);
const rows = Array.from({ length: 100 }, (_, i) => [i, i + 1] as [number, number]);
const loadMs = await time(async () => {
  for (let i = 0; i < L; i++) await (await ws.registry.load(`bench@${(i % N) + 1}`)).predict(rows);
});
const loadBase = await time(() => {
  for (let i = 0; i < L; i++) predict({ w: [i, 1] })(rows);
});
fmt("load() + predict(100 rows)", loadMs, L, loadBase, "the predict function called directly");

const m = await ws.registry.load("bench@1");
const unvalidated = await ws.registry.load("bench@1", { validate: false });
const f = predict({ w: [0, 1] });
const P = size(20_000, 200);
/** CPU milliseconds of `fn` (user + system): other processes of a shared machine count less than in wall time. */
async function cpu(fn: () => Promise<void> | void): Promise<number> {
  const t = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(t);
  return (used.user + used.system) / 1000;
}
// Rounds alternating between the sides, so both see the same load; the median round of each.
const rounds: Array<{ validated: number; plain: number; direct: number }> = [];
for (let r = 0; r < size(15, 3); r++) {
  const validated = await cpu(async () => {
    for (let i = 0; i < P; i++) await m.predict(rows);
  });
  const plain = await cpu(async () => {
    for (let i = 0; i < P; i++) await unvalidated.predict(rows);
  });
  let sink = 0;
  const direct = await cpu(() => {
    for (let i = 0; i < P; i++) sink += f(rows).length;
  });
  if (sink < 0) console.log(sink);
  rounds.push({ validated, plain, direct });
}
const mid = (k: "validated" | "plain" | "direct") => rounds.map((r) => r[k]).sort((a, b) => a - b)[rounds.length >> 1];
fmt("predict(100 rows), signature validated", mid("validated"), P, mid("plain"), "the same call, validate: false", 2);
fmt("predict(100 rows), validate: false", mid("plain"), P, mid("direct"), "the predict function called directly");

const A = size(3000, 20);
// Warm-up calls of both sides first (untimed), so the figure is the steady per-call cost rather
// than the JIT compiling the registry's path during the first rounds.
for (let i = 0; i < size(1000, 5); i++) {
  await ws.registry.setAlias("bench", "champion", (i % N) + 1, { actor: "bench" });
  raw.transaction(() => upsert.run("bench", i)).immediate();
}
const aliased = await alternate(
  5,
  A,
  (i) => ws.registry.setAlias("bench", "champion", (i % N) + 1, { actor: "bench" }),
  (i) => raw.transaction(() => upsert.run("bench", i)).immediate(),
);
recordPair("setAlias() (audited, policy-checked)", aliased, "one raw upsert transaction", 5);

await ws.close();
rmSync(dir, { recursive: true, force: true });

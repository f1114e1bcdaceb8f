/**
 * Runs every `bench/*.bench.ts` (or those whose name contains an argument) one after another, each
 * in its own process so one benchmark's memory does not skew the next, then writes the report:
 * `results.json` (every figure the benches recorded through `bench/report.ts`, with the machine and
 * its load) and `RESULTS.md` rendered from it. A run of some benches only replaces their entries.
 *
 *   npm run bench                       # all, full size: bench/results.json, bench/RESULTS.md
 *   npm run bench -- tracking           # only tracking.bench.ts
 *   npm run bench -- --quick            # all at a small size (a smoke check): bench/.data/quick/
 *   npm run bench -- --quick serving    # the same, filtered
 *   npm run bench -- --out dir          # the report into dir instead
 *   npm run bench -- --render           # RESULTS.md again from results.json, nothing run
 *
 * A run writing `bench/` itself (not `--quick`, not `--out`) also rewrites the figures the README and
 * `docs/*.md` quote in their `<!-- bench: … -->` regions (`bench/quote.ts`), as `--render` does.
 *
 * The exit code is 1 when a bench crashed; a figure that misses its target does not fail the run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureBuilt } from "./built.js";
import { quoteInPages } from "./quote.js";
import { QUICK_ENV, RESULTS_ENV } from "./report.js";
import {
  type BenchRun,
  loadAverage,
  machine,
  merge,
  type Results,
  readLines,
  readResults,
  writeResults,
} from "./results.js";

const dir = import.meta.dirname;
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const render = args.includes("--render");
const outAt = args.indexOf("--out");
if (outAt >= 0 && !args[outAt + 1]) {
  console.error("--out needs a folder");
  process.exit(2);
}
const out = outAt >= 0 ? resolve(args[outAt + 1]) : quick ? join(dir, ".data", "quick") : dir;
const filters = args.filter((a, i) => !a.startsWith("--") && (outAt < 0 || i !== outAt + 1));

if (render) {
  const previous = readResults(out);
  if (!previous) {
    console.error(`no results.json in ${out}`);
    process.exit(2);
  }
  writeResults(out, previous);
  console.log(`wrote ${join(out, "RESULTS.md")}`);
  quoteDocs(previous);
  process.exit(0);
}

/** The figures the docs quote, rewritten from the report in `bench/` (never from a quick or `--out` one). */
function quoteDocs(results: Results): void {
  if (out !== dir) return;
  for (const page of quoteInPages(join(dir, ".."), results)) console.log(`quoted figures in ${page}`);
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no bench matches ${filters.join(", ")}`);
  process.exit(2);
}

ensureBuilt();
const scratch = mkdtempSync(join(tmpdir(), "mlcycle-bench-"));
const run: Results = { machine: machine(), quick, benches: [], figures: [] };
let failed = 0;
try {
  for (const f of files) {
    const bench = f.replace(/\.bench\.ts$/, "");
    console.log(`\n=== ${f}${quick ? " (quick)" : ""} ===`);
    const lines = join(scratch, `${bench}.jsonl`);
    const date = new Date().toISOString();
    const start = loadAverage();
    const t = performance.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", join(dir, f)], {
      stdio: "inherit",
      env: { ...process.env, [RESULTS_ENV]: lines, [QUICK_ENV]: quick ? "1" : "0" },
    });
    const seconds = (performance.now() - t) / 1000;
    const { figures, skipped } = readLines(lines);
    const entry: BenchRun = {
      bench,
      file: f,
      status: "ok",
      date,
      seconds: Math.round(seconds * 10) / 10,
      loadAverage: { start, end: loadAverage() },
    };
    if (r.status !== 0) {
      failed++;
      entry.status = "failed";
      entry.reason = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    } else if (skipped.length > 0) {
      entry.status = "skipped";
      entry.reason = skipped.map((s) => s.skipped).join("; ");
    }
    run.benches.push(entry);
    run.figures.push(...figures.map((x) => ({ ...x, bench })));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

mkdirSync(out, { recursive: true });
const results = merge(filters.length > 0 ? readResults(out) : undefined, run);
writeResults(out, results);
quoteDocs(results);
const targeted = run.figures.filter((x) => x.target !== null);
console.log(
  `\n${run.figures.length} figures from ${files.length} benches` +
    (targeted.length ? `, ${targeted.filter((x) => x.met).length} of ${targeted.length} targets met` : "") +
    (failed ? `, ${failed} failed` : "") +
    `; report in ${join(out, "RESULTS.md")}`,
);
process.exit(failed ? 1 : 0);

/**
 * Figures quoted in the docs, filled from the report. A page marks a region with
 *
 *   <!-- bench: duckdb -->                 every figure of bench/duckdb.bench.ts
 *   <!-- bench: features "online read" --> only the figures whose name contains the text
 *   <!-- /bench -->
 *
 * and {@link quoteFigures} replaces what lies between the two markers with a table rendered from
 * `results.json`: figure, value, baseline, ratio, target, and the run's date and load. `npm run bench`
 * (a full run) and `npm run bench -- --render` rewrite every marked region of `README.md` and
 * `docs/*.md`; a test checks that each region equals what the committed report renders, so no figure
 * in the docs is typed by hand or outlives the run it came from.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatRatio, formatValue } from "./report.js";
import { cell, type Results } from "./results.js";

const REGION = /(<!-- bench: ([\w-]+)(?: "([^"]*)")? -->\n)([\s\S]*?)(<!-- \/bench -->)/g;

const load = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" / ");

/** The table a region quotes: the bench's figures (those whose name contains `filter`, if given). */
export function renderQuote(results: Results, bench: string, filter?: string, linkBase = "../bench/"): string {
  const run = results.benches.find((b) => b.bench === bench);
  if (!run)
    return `_No figures of \`bench/${bench}.bench.ts\` in the report yet: run \`npm run bench -- ${bench}\`._\n`;
  const figures = results.figures.filter((f) => f.bench === bench && (!filter || f.name.includes(filter)));
  if (figures.length === 0) return `_\`bench/${bench}.bench.ts\` recorded no figure matching "${filter ?? ""}"._\n`;
  const rows = figures.map((f) =>
    [
      f.name,
      formatValue(f.value, f.unit),
      f.baseline ? `${formatValue(f.baseline.value, f.unit)} (${f.baseline.name})` : "",
      f.ratio === null ? "" : formatRatio(f.ratio),
      f.target === null ? "" : `${f.target}: ${f.met ? "met" : "**not met**"}`,
    ]
      .map(cell)
      .join(" | "),
  );
  return [
    "| figure | value | baseline | ratio | target |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r} |`),
    "",
    `From [bench/RESULTS.md](${linkBase}RESULTS.md): \`npm run bench -- ${bench}\`${results.quick ? " (quick)" : ""}, ` +
      `run ${run.date.slice(0, 10)} on ${results.machine.cores} cores, load average ${load(run.loadAverage.start)} ` +
      "(1 / 5 / 15 min) at its start.",
    "",
  ].join("\n");
}

/** `text` with every marked region replaced by its rendered table. */
export function quoteFigures(text: string, results: Results, linkBase = "../bench/"): string {
  return text.replace(REGION, (_all, open: string, bench: string, filter: string | undefined, _old, close: string) => {
    return `${open}\n${renderQuote(results, bench, filter, linkBase)}\n${close}`;
  });
}

/** The pages that may quote figures: the README and every `docs/*.md`, with their link to `bench/`. */
export function quotingPages(root: string): Array<{ file: string; linkBase: string }> {
  const docs = join(root, "docs");
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith(".md"))
        .sort()
        .map((f) => ({ file: join(docs, f), linkBase: "../bench/" }))
    : [];
  return [{ file: join(root, "README.md"), linkBase: "bench/" }, ...pages];
}

/** Rewrites the marked regions of every quoting page from `results`; returns the pages changed. */
export function quoteInPages(root: string, results: Results): string[] {
  const changed: string[] = [];
  for (const { file, linkBase } of quotingPages(root)) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const next = quoteFigures(text, results, linkBase);
    if (next !== text) {
      writeFileSync(file, next);
      changed.push(file);
    }
  }
  return changed;
}

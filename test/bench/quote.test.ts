// Figures in the README and docs/*.md are quoted from the committed report (bench/results.json) in
// `<!-- bench: … -->` regions, never typed by hand: each region must equal what the report renders.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { quoteFigures, quotingPages, renderQuote } from "../../bench/quote.js";
import type { RecordedFigure } from "../../bench/report.js";
import { readResults, type Results } from "../../bench/results.js";

const root = join(import.meta.dirname, "..", "..");

function figure(bench: string, name: string, value: number, extra: Partial<RecordedFigure> = {}): RecordedFigure {
  return { bench, name, value, unit: "ms", baseline: null, ratio: null, target: null, met: null, note: null, ...extra };
}

const results: Results = {
  machine: {
    cores: 2,
    cpu: "cpu",
    memoryGiB: 24,
    node: "v20.0.0",
    platform: "linux x64",
    loadAverage: [1, 1, 1],
    date: "2026-12-01T00:00:00.000Z",
  },
  quick: false,
  benches: [
    {
      bench: "alpha",
      file: "alpha.bench.ts",
      status: "ok",
      date: "2026-12-01T01:00:00.000Z",
      seconds: 3,
      loadAverage: { start: [0.5, 0.25, 0.125], end: [1, 1, 1] },
    },
  ],
  figures: [
    figure("alpha", "online read | p99", 3, {
      baseline: { name: "a Map", value: 2 },
      ratio: 1.5,
      target: "≤ 2× baseline",
      met: true,
    }),
    figure("alpha", "historical retrieval", 40, { target: "≤ 10 ms", met: false }),
  ],
};

describe("figures quoted in the docs", () => {
  it("a region is filled with its bench's figures, filtered by name, with the run it came from", () => {
    const page = 'intro\n<!-- bench: alpha "online" -->\nstale figure 9 ms\n<!-- /bench -->\noutro\n';
    const quoted = quoteFigures(page, results);
    expect(quoted).toBe(
      [
        "intro",
        '<!-- bench: alpha "online" -->',
        "",
        "| figure | value | baseline | ratio | target |",
        "| --- | --- | --- | --- | --- |",
        "| online read \\| p99 | 3.000 ms | 2.000 ms (a Map) | 1.50× | ≤ 2× baseline: met |",
        "",
        "From [bench/RESULTS.md](../bench/RESULTS.md): `npm run bench -- alpha`, run 2026-12-01 on 2 cores, load average 0.5 / 0.3 / 0.1 (1 / 5 / 15 min) at its start.",
        "",
        "<!-- /bench -->",
        "outro",
        "",
      ].join("\n"),
    );
    // Filling is idempotent: a page quoted from the same report does not change.
    expect(quoteFigures(quoted, results)).toBe(quoted);
    expect(quoteFigures("<!-- bench: alpha -->\n<!-- /bench -->", results, "bench/")).toContain(
      "| historical retrieval | 40.00 ms |  |  | ≤ 10 ms: **not met** |",
    );
  });

  it("a bench missing from the report, or a filter matching nothing, says so instead of a table", () => {
    expect(renderQuote(results, "beta")).toMatch(/No figures of `bench\/beta.bench.ts`.*npm run bench -- beta/);
    expect(renderQuote(results, "alpha", "nothing")).toMatch(/recorded no figure matching "nothing"/);
  });

  const committed = readResults(join(root, "bench"));
  const pages = quotingPages(root).filter(({ file }) => {
    try {
      return readFileSync(file, "utf8").includes("<!-- bench: ");
    } catch {
      return false;
    }
  });

  it("the committed report exists and some page quotes it", () => {
    expect(committed, "bench/results.json").toBeDefined();
    expect(pages.length).toBeGreaterThan(0);
  });

  it.each(pages.map((p) => [relative(root, p.file), p] as const))(
    "%s quotes exactly what bench/results.json renders (npm run bench -- --render rewrites it)",
    (_name, { file, linkBase }) => {
      const text = readFileSync(file, "utf8");
      expect(quoteFigures(text, committed as Results, linkBase)).toBe(text);
    },
  );
});

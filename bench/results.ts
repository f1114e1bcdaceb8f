/**
 * The benchmark report: `results.json` (every figure recorded by the benches of a run, with the
 * machine and its load) and `RESULTS.md`, rendered from it. Written by `bench/index.ts`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { formatRatio, formatValue, type RecordedFigure, type SkippedBench } from "./report.js";

/** The machine a run measured on. */
export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
  /** When the run started (ISO 8601). */
  date: string;
}

/** How one bench file ran. */
export interface BenchRun {
  bench: string;
  file: string;
  status: "ok" | "failed" | "skipped";
  /** Why it was skipped (a server it needs does not answer) or how it failed. */
  reason?: string;
  date: string;
  seconds: number;
  /** 1, 5 and 15 minute load averages when it started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
}

/** The whole of `results.json`. */
export interface Results {
  machine: Machine;
  /** True when every bench ran at its small size (`--quick`): a smoke check, not a measure. */
  quick: boolean;
  benches: BenchRun[];
  figures: RecordedFigure[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The machine, now. */
export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism?.() ?? cpus.length,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: round2(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: os.loadavg().map(round2),
    date: new Date().toISOString(),
  };
}

/** The 1, 5 and 15 minute load averages, rounded. */
export function loadAverage(): number[] {
  return os.loadavg().map(round2);
}

/** Reads the JSON lines the benches appended: figures, and the benches that skipped. */
export function readLines(file: string): { figures: RecordedFigure[]; skipped: SkippedBench[] } {
  const figures: RecordedFigure[] = [];
  const skipped: SkippedBench[] = [];
  if (!existsSync(file)) return { figures, skipped };
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as RecordedFigure | SkippedBench;
    if ("skipped" in entry) skipped.push(entry);
    else figures.push(entry);
  }
  return { figures, skipped };
}

/**
 * The results of this run, merged into the previous ones of `dir` when only some benches ran: the
 * benches that ran replace their entries, the others are kept (with their own dates and load). A
 * previous file of the other mode (quick or full) is not merged.
 */
export function merge(previous: Results | undefined, run: Results): Results {
  if (!previous || previous.quick !== run.quick) return run;
  const ran = new Set(run.benches.map((b) => b.bench));
  const benches = [...previous.benches.filter((b) => !ran.has(b.bench)), ...run.benches].sort((a, b) =>
    a.file.localeCompare(b.file),
  );
  const order = new Map(benches.map((b, i) => [b.bench, i]));
  const figures = [...previous.figures.filter((f) => !ran.has(f.bench)), ...run.figures]
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (order.get(a.f.bench) ?? 1e9) - (order.get(b.f.bench) ?? 1e9) || a.i - b.i)
    .map(({ f }) => f);
  return { machine: run.machine, quick: run.quick, benches, figures };
}

/** Reads `results.json` of `dir`, if there is one. */
export function readResults(dir: string): Results | undefined {
  const file = join(dir, "results.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as Results;
}

/** Writes `results.json` and `RESULTS.md` into `dir`. */
export function writeResults(dir: string, results: Results): void {
  // Arrays of numbers (load averages) on one line, as the repository's formatter writes them.
  const text = JSON.stringify(results, null, 2).replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_, inner: string) => `[${inner.split(/,\s*/).join(", ")}]`,
  );
  writeFileSync(join(dir, "results.json"), `${text}\n`);
  writeFileSync(join(dir, "RESULTS.md"), renderMarkdown(results));
}

/** A table cell of markdown: pipes escaped, one line. */
export const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(" / ");

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

const verdict = (f: RecordedFigure) => (f.met === null ? "" : f.met ? "met" : "**not met**");

/** `RESULTS.md`: the machine, the targets at a glance, then one table per bench file. */
export function renderMarkdown(r: Results): string {
  const m = r.machine;
  const out: string[] = [
    "# Benchmark results",
    "",
    "Generated by `npm run bench` (`bench/index.ts`) from [`results.json`](results.json); do not edit by hand.",
    "Each figure is measured beside its baseline in the same run, and the ratio is figure / baseline.",
    "",
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}. ` +
      `Run started ${m.date}, load average ${load(m.loadAverage)} (1 / 5 / 15 min); ` +
      "the machine is shared, so wall times carry the load of other work.",
  ];
  if (r.quick)
    out.push("", "**Quick run** (`--quick`): every bench at a small size, a smoke check — these are not measures.");
  const targeted = r.figures.filter((f) => f.target !== null);
  if (targeted.length > 0) {
    const met = targeted.filter((f) => f.met).length;
    out.push("", "## Targets", "", `${met} of ${targeted.length} met.`, "");
    out.push(
      table(
        ["bench", "figure", "value", "ratio", "target", ""],
        targeted.map((f) => [
          f.bench,
          f.name,
          formatValue(f.value, f.unit),
          f.ratio === null ? "" : formatRatio(f.ratio),
          f.target ?? "",
          verdict(f),
        ]),
      ),
    );
  }
  for (const b of r.benches) {
    out.push("", `## ${b.bench}`, "");
    const when = `\`bench/${b.file}\`, run ${b.date}, ${b.seconds.toFixed(1)} s; load average ${load(b.loadAverage.start)} at its start, ${load(b.loadAverage.end)} at its end.`;
    if (b.status === "skipped") {
      out.push(`${when} Skipped: ${b.reason ?? "no reason given"}.`);
      continue;
    }
    if (b.status === "failed") out.push(`${when} **Failed**${b.reason ? `: ${b.reason}` : ""}.`);
    else out.push(when);
    const figures = r.figures.filter((f) => f.bench === b.bench);
    if (figures.length === 0) {
      out.push("", "No figures recorded (the bench prints its figures only).");
      continue;
    }
    out.push(
      "",
      table(
        ["figure", "value", "baseline", "ratio", "target", "", "notes"],
        figures.map((f) => [
          f.name,
          formatValue(f.value, f.unit),
          f.baseline ? `${formatValue(f.baseline.value, f.unit)} (${f.baseline.name})` : "",
          f.ratio === null ? "" : formatRatio(f.ratio),
          f.target ?? "",
          verdict(f),
          f.note ?? "",
        ]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

/**
 * How a bench records its figures. Each `bench/*.bench.ts` calls {@link record} once per figure: the
 * figure is printed as a line for a person, and — when `bench/index.ts` runs it — appended as one
 * JSON line to the file named by `MLCYCLE_BENCH_RESULTS`, from which the runner writes
 * `bench/results.json` and `bench/RESULTS.md`. Run alone (`npx tsx bench/x.bench.ts`), a bench only
 * prints.
 *
 * Quick mode (`npm run bench -- --quick`, or `MLCYCLE_BENCH_QUICK=1`) asks every bench for a small
 * size ({@link size}): a smoke check that each still runs and records its figures, not a measure.
 */
import { appendFileSync } from "node:fs";
import { basename } from "node:path";

/** The environment variable naming the JSON-lines file figures are appended to. */
export const RESULTS_ENV = "MLCYCLE_BENCH_RESULTS";
/** The environment variable that turns quick mode on (`1`). */
export const QUICK_ENV = "MLCYCLE_BENCH_QUICK";

/** True in quick mode: every bench runs at a small size. */
export const quick = process.env[QUICK_ENV] === "1";

/** `full` in a normal run, `small` in quick mode. */
export function size<T>(full: T, small: T): T {
  return quick ? small : full;
}

/**
 * The bound a figure should meet. `max`/`min` apply to the value (in its unit), `ratioMax`/`ratioMin`
 * to the ratio to the baseline; every bound given must hold.
 */
export interface Target {
  max?: number;
  min?: number;
  ratioMax?: number;
  ratioMin?: number;
}

/** One figure as a bench measures it. */
export interface Figure {
  /** What was measured, stable across runs (the size in it is fine: quick runs are told apart). */
  name: string;
  value: number;
  /** `ms`, `µs`, `/s`, `MB`, … */
  unit: string;
  /** The same work done the least costly way, measured in the same run, in the same unit. */
  baseline?: { name: string; value: number };
  /** Default `value / baseline.value`; give it when the figure's ratio is computed otherwise. */
  ratio?: number;
  target?: Target;
  /** Anything a reader needs beside the figure (CPU time, percentiles, counts). */
  note?: string;
}

/** One line of the results file: a figure as recorded. */
export interface RecordedFigure {
  bench: string;
  name: string;
  value: number;
  unit: string;
  baseline: { name: string; value: number } | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  note: string | null;
}

/** One line of the results file saying the bench measured nothing, and why (e.g. a server is down). */
export interface SkippedBench {
  bench: string;
  skipped: string;
}

/** The bench's name: the file's name without `.bench.ts` (the entry script's, as each runs alone). */
function benchName(): string {
  return basename(process.argv[1] ?? "bench").replace(/\.bench\.[cm]?[jt]s$/, "");
}

const bound = (x: number) => x.toLocaleString("en-US", { maximumSignificantDigits: 4 });

/** Renders a bound: `≤ 30 µs`, `≤ 5× baseline`, `≥ 0.8× baseline`. */
export function describeTarget(target: Target, unit: string): string {
  const parts: string[] = [];
  const v = (x: number) => `${bound(x)}${unit.startsWith("/") ? "" : " "}${unit}`;
  if (target.max !== undefined) parts.push(`≤ ${v(target.max)}`);
  if (target.min !== undefined) parts.push(`≥ ${v(target.min)}`);
  if (target.ratioMax !== undefined) parts.push(`≤ ${bound(target.ratioMax)}× baseline`);
  if (target.ratioMin !== undefined) parts.push(`≥ ${bound(target.ratioMin)}× baseline`);
  return parts.join(" and ");
}

function meets(target: Target, value: number, ratio: number | null): boolean {
  if (target.max !== undefined && !(value <= target.max)) return false;
  if (target.min !== undefined && !(value >= target.min)) return false;
  if (target.ratioMax !== undefined && !(ratio !== null && ratio <= target.ratioMax)) return false;
  if (target.ratioMin !== undefined && !(ratio !== null && ratio >= target.ratioMin)) return false;
  return true;
}

/** A number with about four significant digits, grouped: 12,345, 123.4, 0.01234. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const digits =
    a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : a === 0 ? 0 : Math.min(8, 3 - Math.floor(Math.log10(a)));
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A value with its unit: `12.3 ms`, `4,567 /s`. */
export function formatValue(value: number, unit: string): string {
  return `${formatNumber(value)} ${unit}`;
}

/** A ratio: `1.23×`. */
export function formatRatio(ratio: number): string {
  return `${ratio >= 100 ? Math.round(ratio).toLocaleString("en-US") : ratio.toFixed(2)}×`;
}

/** The human line of a recorded figure, as a bench prints it. */
export function describeFigure(f: RecordedFigure): string {
  let line = `${f.name.padEnd(60)} ${formatValue(f.value, f.unit).padStart(14)}`;
  if (f.baseline) line += `   baseline ${formatValue(f.baseline.value, f.unit)} (${f.baseline.name})`;
  if (f.ratio !== null) line += `   ${formatRatio(f.ratio)}`;
  if (f.target !== null) line += `   target ${f.target}: ${f.met ? "met" : "NOT met"}`;
  if (f.note) line += `   [${f.note}]`;
  return line;
}

/**
 * Records one figure: prints it, and appends it to the results file when the runner set one.
 * Returns the figure as recorded (with its ratio and verdict).
 *
 * @example
 * ```ts
 * record({
 *   name: "evaluate, binary + probabilities (23 metrics)",
 *   value: ms, unit: "ms",
 *   baseline: { name: "sort of the scores", value: sortMs },
 *   target: { ratioMax: 5 },
 * });
 * ```
 */
export function record(figure: Figure): RecordedFigure {
  const ratio =
    figure.ratio ?? (figure.baseline && figure.baseline.value !== 0 ? figure.value / figure.baseline.value : null);
  const out: RecordedFigure = {
    bench: benchName(),
    name: figure.name,
    value: figure.value,
    unit: figure.unit,
    baseline: figure.baseline ? { name: figure.baseline.name, value: figure.baseline.value } : null,
    ratio: ratio !== null && Number.isFinite(ratio) ? ratio : null,
    target: figure.target ? describeTarget(figure.target, figure.unit) : null,
    met: figure.target ? meets(figure.target, figure.value, ratio) : null,
    note: figure.note ?? null,
  };
  console.log(describeFigure(out));
  const file = process.env[RESULTS_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(out)}\n`);
  return out;
}

/** Records that this bench measured nothing, and why; the runner reports it as skipped. */
export function skip(reason: string): void {
  console.log(`skipped: ${reason}`);
  const file = process.env[RESULTS_ENV];
  if (file) appendFileSync(file, `${JSON.stringify({ bench: benchName(), skipped: reason } satisfies SkippedBench)}\n`);
}

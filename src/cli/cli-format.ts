// How the CLI writes values for people: times, durations, numbers, sparklines, JSON for scripts.
import type { CliOutput } from "./cli-errors.js";

/** A time in ms as `2025-03-01 07:00:00Z` (UTC, to the second); `-` when there is none. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** A duration in ms in the largest unit that divides it: `1h`, `15m`, `30s`, `250ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Time elapsed between two instants, as a person reads it: `250ms`, `4.2s`, `3m 05s`, `2h 10m`; `-` without an end. */
export function formatElapsed(start: number | undefined, end: number | undefined): string {
  if (start === undefined || end === undefined || !(end >= start)) return "-";
  const ms = end - start;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** A figure as a person reads it: integers whole, other numbers to four significant digits. */
export function formatNumber(x: number | undefined): string {
  if (x === undefined) return "-";
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

const BARS = "▁▂▃▄▅▆▇█";

/**
 * Values as a sparkline of at most `width` characters (`▁▂▃▄▅▆▇█`, lowest to highest): more values
 * than that are averaged in equal buckets. Values that are not finite show as a space; a flat
 * series as a row of `▄`.
 *
 * @example
 * ```ts
 * sparkline([1, 2, 3, 4, 5, 6, 7, 8]); // "▁▂▃▄▅▆▇█"
 * ```
 */
export function sparkline(values: readonly number[], width = 60): string {
  let series = values;
  if (values.length > width) {
    series = Array.from({ length: width }, (_, i) => {
      const bucket = values.slice(
        Math.floor((i * values.length) / width),
        Math.floor(((i + 1) * values.length) / width),
      );
      const finite = bucket.filter(Number.isFinite);
      return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN;
    });
  }
  const finite = series.filter(Number.isFinite);
  if (finite.length === 0) return " ".repeat(series.length);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return series
    .map((v) => {
      if (!Number.isFinite(v)) return " ";
      if (hi === lo) return BARS[3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))];
    })
    .join("");
}

/**
 * Two lines that point at a character of a one-line text (a filter that does not parse): the text,
 * cut to about `width` characters around the position, and a caret under the character.
 */
export function caretLines(text: string, position: number, width = 76): [string, string] {
  const flat = text.replace(/[\r\n\t]/g, " ");
  const at = Math.max(0, Math.min(position, flat.length));
  let start = 0;
  let end = flat.length;
  if (flat.length > width) {
    start = Math.max(0, Math.min(at - Math.floor(width / 2), flat.length - width));
    end = Math.min(flat.length, start + width);
  }
  const head = start > 0 ? "…" : "";
  const tail = end < flat.length ? "…" : "";
  return [`${head}${flat.slice(start, end)}${tail}`, `${" ".repeat(head.length + at - start)}^`];
}

/** JSON for scripts: one line; numbers that are not finite as `null` (JSON has no NaN). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
}

/** Prints `value` as one line of JSON. */
export function printJson(io: CliOutput, value: unknown): void {
  io.out(toJson(value));
}

/** Prints lines. */
export function printLines(io: CliOutput, lines: readonly string[]): void {
  for (const line of lines) io.out(line);
}

/** `n thing` or `n things`. */
export function plural(n: number, thing: string, things = `${thing}s`): string {
  return `${n} ${n === 1 ? thing : things}`;
}

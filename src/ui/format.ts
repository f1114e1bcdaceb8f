/** How the dashboard writes times, durations and numbers. */

export const time = (ms: number | undefined): string =>
  ms === undefined || ms === null ? "" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);

export function duration(ms: number | undefined): string {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function num(x: unknown): string {
  if (typeof x !== "number") return x === undefined || x === null ? "" : String(x);
  if (Number.isInteger(x)) return String(x);
  return Number(x.toPrecision(4)).toString();
}

export const shortId = (id: string | undefined): string => (id ? id.slice(-8) : "");

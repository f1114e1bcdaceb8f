import { isMlcycleError } from "../core/errors.js";

function undefinedMetric(e: unknown): boolean {
  return isMlcycleError(e, "VALIDATION") && e.issues.some((i) => i.code === "undefined_metric");
}

/** Sets `metrics[name]` unless the metric is undefined on this data, in which case a note says why. */
export function put(metrics: Record<string, number>, notes: string[], name: string, compute: () => number): void {
  try {
    const v = compute();
    if (Number.isFinite(v)) metrics[name] = v;
    else notes.push(`${name} left out: it is ${v} on this data`);
  } catch (e) {
    if (!undefinedMetric(e)) throw e;
    notes.push(`${name} left out: ${(e as Error).message}`);
  }
}

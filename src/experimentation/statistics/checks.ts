import { invalid } from "../../core/errors.js";

/** A finite number, or a `VALIDATION` error naming `what`. */
export function checkFinite(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(what, `must be a finite number, got ${String(value)}`, "invalid_type");
  }
  return value;
}

/** A finite number ≥ 0, or a `VALIDATION` error naming `what`. */
export function checkNonNegative(what: string, value: unknown): number {
  const v = checkFinite(what, value);
  if (v < 0) throw invalid(what, `must not be negative, got ${v}`, "too_small");
  return v;
}

/** A significance level strictly between 0 and 1 (default 0.05). */
export function checkAlpha(value: number | undefined, what = "alpha"): number {
  if (value === undefined) return 0.05;
  const v = checkFinite(what, value);
  if (v <= 0 || v >= 1) throw invalid(what, `must be strictly between 0 and 1, got ${v}`, "out_of_range");
  return v;
}

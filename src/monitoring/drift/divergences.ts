import { MlcycleError } from "../../core/errors.js";

/*
 * Distances between two binned distributions. Inputs are per-bin weights — counts or proportions, one
 * entry per bin, same bins on both sides (from categoryCounts or numericBins) — normalised to
 * proportions here.
 */

function proportions(weights: ArrayLike<number>, what: string, name: string): Float64Array {
  const n = weights.length;
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new MlcycleError("VALIDATION", `${name}: ${what}[${i}] must be a finite non-negative number`, {
        issues: [{ code: "invalid_value", path: [what, i], message: "expected a finite non-negative number" }],
      });
    }
    out[i] = w;
    sum += w;
  }
  if (!(sum > 0)) {
    throw new MlcycleError("VALIDATION", `${name}: ${what} has no weight (every bin is 0 or there are no bins)`, {
      issues: [{ code: "too_small", path: [what], message: "expected at least one positive bin" }],
    });
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

function pair(reference: ArrayLike<number>, current: ArrayLike<number>, name: string): [Float64Array, Float64Array] {
  if (reference?.length !== current?.length) {
    throw new MlcycleError(
      "VALIDATION",
      `${name}: reference and current must have one entry per bin each (got ${reference?.length} and ${current?.length})`,
      { issues: [{ code: "invalid_value", path: ["current"], message: "bin counts differ" }] },
    );
  }
  return [proportions(reference, "reference", name), proportions(current, "current", name)];
}

/**
 * Replaces the zero proportions of one distribution so logarithms stay finite, the fixtures'
 * convention (Evidently's): a zero becomes `min_nonzero / 1e6` when the smallest non-zero proportion
 * is at most 1e-4, else `1e-4`. The result is not renormalised.
 *
 * @example
 * ```ts
 * fillZeroProportions([0.5, 0.5, 0]); // Float64Array [0.5, 0.5, 0.0001]
 * ```
 */
export function fillZeroProportions(p: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(p);
  let minNonZero = Number.POSITIVE_INFINITY;
  for (const x of out) if (x > 0 && x < minNonZero) minNonZero = x;
  const fill = minNonZero <= 1e-4 ? minNonZero / 1e6 : 1e-4;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

/**
 * Population Stability Index `Σ (r − c) · ln(r / c)` over bins of proportions, zero proportions
 * filled by {@link fillZeroProportions} (not renormalised). 0 for identical distributions; a
 * common rule of thumb reads < 0.1 as stable and ≥ 0.2 as a significant shift. Drift at ≥ 0.1 by
 * default in {@link columnDrift}.
 *
 * @param reference - reference counts (or proportions) per bin.
 * @param current - current counts (or proportions) per bin, same bins.
 * @throws MlcycleError `VALIDATION` when the bin counts differ, a weight is negative or not finite,
 * or a side has no weight.
 * @example
 * ```ts
 * psi([50, 50], [30, 70]); // 0.1695…
 * ```
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const [r0, c0] = pair(reference, current, "psi");
  const r = fillZeroProportions(r0);
  const c = fillZeroProportions(c0);
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += (r[i] - c[i]) * Math.log(r[i] / c[i]);
  return sum;
}

/**
 * Kullback-Leibler divergence KL(reference ‖ current), natural log, equal to scipy's
 * `entropy(r, c)` after {@link fillZeroProportions} on each side (scipy then renormalises both).
 * Drift at ≥ 0.1 by default in {@link columnDrift}.
 *
 * @param reference - reference counts (or proportions) per bin.
 * @param current - current counts (or proportions) per bin, same bins.
 * @throws MlcycleError `VALIDATION` as {@link psi}.
 * @example
 * ```ts
 * klDivergence([50, 50], [30, 70]); // 0.0872…
 * ```
 */
export function klDivergence(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const [r0, c0] = pair(reference, current, "klDivergence");
  const r = fillZeroProportions(r0);
  const c = fillZeroProportions(c0);
  let sr = 0;
  let sc = 0;
  for (let i = 0; i < r.length; i++) {
    sr += r[i];
    sc += c[i];
  }
  let sum = 0;
  for (let i = 0; i < r.length; i++) {
    const p = r[i] / sr;
    const q = c[i] / sc;
    sum += p * Math.log(p / q);
  }
  return sum;
}

/**
 * Jensen-Shannon distance — the square root of the Jensen-Shannon divergence, natural log, no zero
 * filling — equal to scipy's `spatial.distance.jensenshannon(r, c)`. Between 0 and √ln 2 ≈ 0.8326.
 * Evidently's statistic for large categorical columns: drift at ≥ 0.1.
 *
 * @param reference - reference counts (or proportions) per bin.
 * @param current - current counts (or proportions) per bin, same bins.
 * @throws MlcycleError `VALIDATION` as {@link psi}.
 * @example
 * ```ts
 * jensenShannonDistance([1, 0], [0, 1]); // 0.8325… (√ln 2)
 * ```
 */
export function jensenShannonDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const [p, q] = pair(reference, current, "jensenShannonDistance");
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) js += p[i] * Math.log(p[i] / m);
    if (q[i] > 0) js += q[i] * Math.log(q[i] / m);
  }
  return Math.sqrt(Math.max(js, 0) / 2);
}

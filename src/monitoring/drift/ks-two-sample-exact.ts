/*
 * Exact null distribution of the two-sided two-sample Kolmogorov-Smirnov statistic, as scipy's
 * `ks_2samp(method='exact')` computes it: lattice paths from (0, 0) to (m, n) that leave the band
 * |x/m − y/n| < h/lcm(m, n).
 */

/**
 * P(D_{n,n} >= h/n) for two samples of the same size n: alternating binomial ratios in a Horner-like
 * form (no subtractive cancellation), as scipy's `_compute_prob_outside_square`.
 */
export function ksProbOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * P(D_{m,n} >= h/lcm(m, n)) for samples of sizes m ≠ n: the proportion of lattice paths that do not
 * stay strictly inside the band, computed directly as a probability column by column (Hodges 1958;
 * Viehmann 2021), as scipy's `_compute_outer_prob_inside_method`. `g` is gcd(m, n).
 */
export function ksOuterProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA);
  A.fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

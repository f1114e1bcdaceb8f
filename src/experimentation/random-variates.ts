import { invalid } from "../core/errors.js";

/**
 * Draws from the distributions Thompson sampling needs, from a uniform source in [0, 1) (`Math.random`
 * or `seededRandom(seed)` from mlcycle for reproducible draws):
 *
 * - standard normal by Marsaglia's polar method;
 * - gamma by Marsaglia and Tsang, "A simple method for generating gamma variables" (2000): for
 *   shape a ≥ 1, d = a − 1/3, c = 1/√(9d), repeat x ~ N(0,1), v = (1 + cx)³ until v > 0 and
 *   ln u < x²/2 + d − dv + d ln v, then d·v; for a < 1, Gamma(a + 1) · u^(1/a);
 * - beta as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
 *
 * @example
 * ```ts
 * const draw = new RandomVariates(seededRandom(7));
 * draw.beta(31, 71);   // a conversion rate after 30 successes in 100 trials (uniform prior)
 * ```
 */
export class RandomVariates {
  private spare: number | undefined;

  constructor(private readonly uniform: () => number) {}

  /** A standard normal draw. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const k = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * k;
    return u * k;
  }

  /** A Gamma(shape, 1) draw; `shape` > 0. */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw invalid(["shape"], `must be a finite number > 0, got ${shape}`);
    if (shape < 1) {
      // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a). 1 − U keeps the base away from 0.
      return this.gamma(shape + 1) * (1 - this.uniform()) ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A Beta(a, b) draw; a, b > 0. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }
}

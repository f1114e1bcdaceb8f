import type { AggregateSums } from "../stores/online-experiment-store.js";

/** How a shadow's answers are compared with the primary's. */
export type ShadowCompareMode = "auto" | "labels" | "numbers";

/** One comparison: agreement over the answers' values, and the absolute differences when numeric. */
export interface ShadowComparison {
  /** One value per compared leaf: 1 where the answers agree, 0 where they differ. */
  agreement?: Pick<AggregateSums, "n" | "sum" | "sumSquares">;
  /** |primary − shadow| per numeric leaf. */
  absDiff?: Pick<AggregateSums, "n" | "sum" | "sumSquares">;
}

/**
 * The leaves of an answer in a fixed order: a scalar is one leaf; arrays and typed arrays give their
 * items in order, objects their members by key, recursively. Two answers of one model's signature
 * give leaves that line up (row i of one with row i of the other).
 */
function leaves(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) {
    for (const v of value) leaves(v, out);
  } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const items = value as unknown as ArrayLike<unknown>;
    for (let i = 0; i < items.length; i++) out.push(typeof items[i] === "bigint" ? Number(items[i]) : items[i]);
  } else if (typeof value === "object" && value !== null) {
    for (const k of Object.keys(value).sort()) leaves((value as Record<string, unknown>)[k], out);
  } else {
    out.push(value);
  }
}

/**
 * Compares a shadow's answer with the primary's, leaf by leaf: `labels` counts equal leaves
 * (classes, strings, flags), `numbers` sums |a − b| over numeric leaves, `auto` does both when
 * every leaf is a number and only `labels` otherwise. Answers of different shapes disagree as a
 * whole: one `agreement` value of 0 and no differences.
 *
 * @example
 * ```ts
 * compareAnswers([1, 0, 1], [1, 1, 1], "auto");
 * // { agreement: { n: 3, sum: 2, sumSquares: 2 }, absDiff: { n: 3, sum: 1, sumSquares: 1 } }
 * ```
 */
export function compareAnswers(primary: unknown, shadow: unknown, mode: ShadowCompareMode): ShadowComparison {
  const a: unknown[] = [];
  const b: unknown[] = [];
  leaves(primary, a);
  leaves(shadow, b);
  if (a.length !== b.length) return { agreement: { n: 1, sum: 0, sumSquares: 0 } };
  const numeric = a.every((v) => typeof v === "number") && b.every((v) => typeof v === "number");
  const out: ShadowComparison = {};
  if (mode !== "numbers" || !numeric) {
    let same = 0;
    for (let i = 0; i < a.length; i++) if (Object.is(a[i], b[i]) || a[i] === b[i]) same++;
    out.agreement = { n: a.length, sum: same, sumSquares: same };
  }
  if (numeric && mode !== "labels") {
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs((a[i] as number) - (b[i] as number));
      sum += d;
      squares += d * d;
    }
    if (Number.isFinite(sum) && Number.isFinite(squares)) out.absDiff = { n: a.length, sum, sumSquares: squares };
  }
  return out;
}

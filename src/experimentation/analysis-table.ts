import type { OnlineAnalysis } from "./online-analysis.js";

const num = (x: number, digits = 4) =>
  !Number.isFinite(x)
    ? "—"
    : Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-4)
      ? x.toExponential(2)
      : x.toFixed(digits);
const signed = (x: number, digits = 4) => (x > 0 ? `+${num(x, digits)}` : num(x, digits));
const pct = (x: number) => (Number.isFinite(x) ? `${x > 0 ? "+" : ""}${(x * 100).toFixed(2)}%` : "—");
const pValue = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/**
 * An analysis as a readable text table: a header (experiment, metric, test, α, the SRM check),
 * then one line per variant — values, mean, the absolute and relative lift with their intervals,
 * the p-value, the always-valid interval when sequential testing was asked, the chance to beat
 * control and the expected loss of shipping it.
 *
 * @example
 * ```ts
 * console.log(formatAnalysis(await ws.online.analyze("churn-ab", { metric: "outcome", type: "proportion" })));
 * ```
 */
export function formatAnalysis(a: OnlineAnalysis): string {
  const lines: string[] = [];
  const test = a.type === "proportion" ? "two-proportion z-test" : "Welch t-test";
  lines.push(`${a.experiment} (${a.kind}, ${a.status}): ${a.metric}, ${test}, α = ${a.alpha}, control ${a.control}`);
  if (a.srm) {
    const parts = a.srm.variants.map((v, i) => `${v} ${a.srm?.observed[i]} / ${num(a.srm?.expected[i] ?? 0, 0)}`);
    lines.push(
      `sample ratio: ${parts.join(", ")} — χ² = ${num(a.srm.statistic, 3)}, p = ${pValue(a.srm.pValue)}${
        a.srm.mismatch ? "  ⚠ MISMATCH (p < 0.001): the split is not the one configured" : " (ok)"
      }`,
    );
  }
  const sequential = a.comparisons.some((c) => c.sequential);
  const header = ["variant", "n", "mean", "lift", `${(1 - a.alpha) * 100}% CI`, "relative", "relative CI", "p-value"];
  if (sequential) header.push("always-valid CI");
  header.push("chance to win", "risk");
  const rows = [header];
  for (const v of a.variants) {
    const c = a.comparisons.find((x) => x.variant === v.variant);
    if (!c) {
      const blank = v.variant === a.control ? "(control)" : "—";
      rows.push([v.variant, String(v.n), num(v.mean), blank, "", "", "", "", ...(sequential ? [""] : []), "", ""]);
      continue;
    }
    const [lo, hi] = c.absolute.interval;
    const rel = c.relative;
    const row = [
      v.variant,
      String(v.n),
      num(v.mean),
      signed(c.absolute.estimate),
      `[${signed(lo)}, ${signed(hi)}]`,
      rel ? pct(rel.estimate) : "—",
      rel ? `[${pct(rel.interval[0])}, ${pct(rel.interval[1])}]` : "—",
      `${pValue(c.pValue)}${c.significant ? " *" : ""}`,
    ];
    if (sequential) {
      const s = c.sequential?.absolute;
      row.push(s ? `[${signed(s.interval[0])}, ${signed(s.interval[1])}]` : "—");
    }
    row.push(`${(c.bayesian.chanceToBeatControl * 100).toFixed(1)}%`, num(c.bayesian.expectedLoss.treatment));
    rows.push(row);
  }
  lines.push("", table(rows));
  const cuped = a.comparisons.filter((c) => c.cuped);
  for (const c of cuped)
    lines.push(
      `CUPED on ${c.variant}: θ = ${num(c.cuped?.theta ?? 0)}, variance −${((c.cuped?.varianceReduction ?? 0) * 100).toFixed(1)}%`,
    );
  for (const n of a.notes) lines.push(`note: ${n}`);
  lines.push("* p < α. Risk: expected loss of shipping the variant if it is worse (relative lift units).");
  return lines.join("\n");
}

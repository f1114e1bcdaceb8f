import { describe, expect, it } from "vitest";
import { ksTwoSample, type WindowReport } from "../../src/index.js";
import { driftFixture, monitorWorkspaces, testClock } from "./monitor-fixtures.js";

const TOL = 1e-6;
const close = (actual: number | undefined, expected: unknown) =>
  expect(Math.abs((actual as number) - (expected as number))).toBeLessThanOrEqual(TOL);

const fixture = driftFixture();
const numeric = fixture.cases.filter((c) => c.kind === "numeric");
const categorical = fixture.cases.filter((c) => c.kind === "categorical");

/** The same values under every column, so each column's method runs on the fixture's sample. */
const asRows = (values: unknown[], columns: string[]) =>
  values.map((v) => Object.fromEntries(columns.map((c) => [c, v])));

describe.each(monitorWorkspaces())("a monitor's drift on the fixture's samples (%s)", (_kind, open) => {
  const numericColumns = ["ks", "wasserstein", "psi", "jensenshannon", "kl", "auto"];

  async function numericReport(c: (typeof numeric)[number]): Promise<WindowReport> {
    const clock = testClock(0);
    await using ws = await open({ clock });
    const monitor = await ws.monitors.open("fixture", {
      features: numericColumns.map((name) =>
        name === "auto" ? name : { name, method: name as "ks" | "wasserstein" | "psi" | "jensenshannon" | "kl" },
      ),
      window: { ms: 60_000 },
      checkIntervalMs: false,
    });
    await monitor.setReference({ rows: asRows(c.reference, numericColumns) });
    monitor.observe(asRows(c.current, numericColumns), { at: 1_000 });
    clock.set(60_000);
    const [report] = await monitor.check();
    return report;
  }

  it.each(numeric.map((c) => [c.note, c] as const))("numeric: %s", async (_note, c) => {
    const report = await numericReport(c);
    expect(report.exact).toBe(true);
    expect(report.rows).toBe(c.current.length);
    const col = (name: string) => {
      const found = report.drift?.columns.find((d) => d.column === name);
      if (!found) throw new Error(`no drift result for ${name}: ${report.notes.join("; ")}`);
      return found;
    };
    const e = c.expected as Record<string, number | undefined>;
    const ks = col("ks");
    close(ks.statistic, e.ks_statistic);
    // The monitor's KS p-value is scipy's `auto` (exact up to 10,000 values per side), as Evidently's.
    const auto = ksTwoSample(c.reference as number[], c.current as number[]);
    close(ks.pValue, auto.pValue);
    if (e.ks_pvalue_exact !== undefined) close(ks.pValue, e.ks_pvalue_exact);
    expect(ks.drifted).toBe(auto.pValue <= 0.05);
    close(col("wasserstein").statistic, e.wasserstein_normed);
    close(col("psi").statistic, e.psi);
    close(col("jensenshannon").statistic, e.jensenshannon);
    close(col("kl").statistic, e.kl_divergence);
    for (const d of report.drift?.columns ?? []) expect(d.approximate).toBe(false);
    // Evidently's default for the reference: KS up to 1,000 rows with more than 5 values, normed
    // Wasserstein above, chi-square or z on few values.
    const unique = new Set(c.reference).size;
    const auto_ = col("auto");
    const expected = unique <= 5 ? (unique > 2 ? "chisquare" : "z") : c.reference.length <= 1000 ? "ks" : "wasserstein";
    expect(auto_.method).toBe(expected);
    if (expected === "wasserstein") close(auto_.statistic, e.wasserstein_normed);
    if (expected === "ks") close(auto_.statistic, e.ks_statistic);
    // The dataset drifts when at least half the columns drift.
    const drifted = report.drift?.columns.filter((d) => d.drifted).length ?? 0;
    expect(report.drift?.driftedCount).toBe(drifted);
    expect(report.drift?.drifted).toBe(drifted / numericColumns.length >= 0.5);
  });

  it.each(categorical.map((c) => [c.note, c] as const))("categorical: %s", async (_note, c) => {
    const clock = testClock(0);
    await using ws = await open({ clock });
    const columns = ["chisquare", "psi", "jensenshannon"];
    const monitor = await ws.monitors.open("fixture", {
      features: columns.map((name) => ({ name, kind: "categorical" as const, method: name as "chisquare" })),
      window: { ms: 60_000 },
      checkIntervalMs: false,
    });
    await monitor.setReference({ rows: asRows(c.reference, columns) });
    monitor.observe(asRows(c.current, columns), { at: 5 });
    clock.set(60_000);
    const [report] = await monitor.check();
    const col = (name: string) => report.drift?.columns.find((d) => d.column === name);
    const e = c.expected as {
      chisquare_pvalue: number | null;
      psi: number;
      jensenshannon: number;
      new_categories: unknown[];
    };
    if (e.chisquare_pvalue === null) {
      // scipy gives no value when a current category has no expectation; a new category is drift here.
      expect(col("chisquare")?.pValue).toBe(0);
      expect(col("chisquare")?.drifted).toBe(true);
    } else close(col("chisquare")?.pValue, e.chisquare_pvalue);
    close(col("psi")?.statistic, e.psi);
    close(col("jensenshannon")?.statistic, e.jensenshannon);
    // New categories are a data quality finding too, with examples.
    const q = report.quality.find((x) => x.column === "psi");
    expect(q?.newCategories.examples).toEqual(e.new_categories);
    expect(q?.newCategories.count).toBe(c.current.filter((v) => !c.reference.includes(v)).length);
    // The stored figures carry each verdict's value.
    const [stored] = await monitor.windows();
    expect(stored.figures["drift.psi"]).toBeCloseTo(e.psi, 9);
    expect(stored.figures[`drifted.jensenshannon`]).toBe(col("jensenshannon")?.drifted ? 1 : 0);
  });

  it("beyond the memory bound: a sample for KS and Wasserstein, the reference's bins for PSI, all marked approximate", async () => {
    const c = numeric.find((x) => x.reference.length >= 5000);
    if (!c) throw new Error("the fixture has no large case");
    const clock = testClock(0);
    await using ws = await open({ clock });
    const monitor = await ws.monitors.open("bounded", {
      features: [
        { name: "ks", method: "ks" },
        { name: "wasserstein", method: "wasserstein" },
        { name: "psi", method: "psi" },
      ],
      window: { ms: 60_000 },
      sampleSize: 1_000,
      checkIntervalMs: false,
    });
    const cols = ["ks", "wasserstein", "psi"];
    await monitor.setReference({ rows: asRows(c.reference, cols) });
    const ref = await monitor.reference();
    expect(ref?.profile.columns.ks.exact).toBe(false);
    expect(ref?.profile.columns.ks.sample).toHaveLength(1_000);
    expect(ref?.profile.columns.ks.count).toBe(c.reference.length);
    monitor.observe(asRows(c.current, cols), { at: 0 });
    clock.set(60_000);
    const [report] = await monitor.check();
    expect(report.exact).toBe(false);
    expect(report.rows).toBe(c.current.length);
    const e = c.expected as Record<string, number>;
    const w = report.drift?.columns.find((d) => d.column === "wasserstein");
    expect(w?.approximate).toBe(true);
    expect(w?.referenceSize).toBe(1_000);
    expect(w?.currentSize).toBe(1_000);
    // On samples of 1,000 a side, normed by the whole reference's standard deviation.
    expect(Math.abs((w?.statistic ?? 0) - e.wasserstein_normed)).toBeLessThan(0.05);
    const p = report.drift?.columns.find((d) => d.column === "psi");
    expect(p?.approximate).toBe(true);
    // The reference's own Sturges bins (over its range, plus a bin below and one above) rather than the
    // fixture's bins over both samples: close to, not equal to, scipy's value.
    expect(p?.currentSize).toBe(c.current.length);
    expect(Math.abs((p?.statistic ?? 0) - e.psi)).toBeLessThan(0.06);
    expect(report.drift?.columns.map((d) => d.drifted)).toEqual([true, true, true]);
  });
});

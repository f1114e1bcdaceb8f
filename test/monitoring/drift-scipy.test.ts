import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type Category,
  categoryCounts,
  chiSquareTest,
  jensenShannonDistance,
  klDivergence,
  ksTwoSample,
  normedWassersteinDistance,
  numericBins,
  psi,
  sortedSample,
  wassersteinDistance,
} from "../../src/monitoring/index.js";
import { twoProportionZTest } from "../../src/monitoring/drift/index.js";
import { fixturePath } from "../helpers.js";

interface NumericCase {
  kind: "numeric";
  note: string;
  reference: number[];
  current: number[];
  expected: {
    ks_statistic: number;
    ks_pvalue_asymp: number;
    ks_pvalue_exact?: number;
    wasserstein: number;
    wasserstein_normed: number;
    psi: number;
    jensenshannon: number;
    kl_divergence: number;
  };
}

interface CategoricalCase {
  kind: "categorical";
  note: string;
  reference: Category[];
  current: Category[];
  expected: {
    chisquare_pvalue: number | null;
    psi: number;
    jensenshannon: number;
    new_categories: Category[];
    missing_categories: Category[];
  };
}

const fixture = JSON.parse(readFileSync(fixturePath("monitoring", "drift-scipy.json"), "utf8")) as {
  conventions: Record<string, string>;
  cases: (NumericCase | CategoricalCase)[];
};

const TOL = 1e-6;
const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(TOL);

const numericCases = fixture.cases.filter((c): c is NumericCase => c.kind === "numeric");
const categoricalCases = fixture.cases.filter((c): c is CategoricalCase => c.kind === "categorical");

describe("drift statistics equal scipy on monitoring/drift-scipy.json", () => {
  it("has numeric and categorical cases and the conventions block", () => {
    expect(numericCases.length).toBeGreaterThan(0);
    expect(categoricalCases.length).toBeGreaterThan(0);
    expect(Object.keys(fixture.conventions)).toEqual(
      expect.arrayContaining([
        "ks",
        "wasserstein_normed",
        "binning",
        "psi",
        "kl_divergence",
        "jensenshannon",
        "chisquare",
      ]),
    );
  });

  describe.each(numericCases.map((c) => [c.note, c] as const))("numeric: %s", (_note, c) => {
    const ref = sortedSample(c.reference, { column: c.note });
    const cur = sortedSample(c.current, { column: c.note, role: "current" });

    it("KS statistic and asymptotic p-value (scipy method='asymp')", () => {
      const r = ksTwoSample(c.reference, c.current, { method: "asymp" });
      expect(r.method).toBe("asymp");
      close(r.statistic, c.expected.ks_statistic);
      close(r.pValue, c.expected.ks_pvalue_asymp);
      const again = ksTwoSample(ref, cur, { method: "asymp" });
      expect(again).toEqual(r);
    });

    const exactP = c.expected.ks_pvalue_exact;
    if (exactP != null)
      it("KS exact p-value (scipy method='exact')", () => {
        const r = ksTwoSample(ref, cur, { method: "exact" });
        expect(r.method).toBe("exact");
        close(r.statistic, c.expected.ks_statistic);
        close(r.pValue, exactP);
      });

    it("Wasserstein distance, raw and normed by max(std(ref), 0.001)", () => {
      close(wassersteinDistance(c.reference, c.current), c.expected.wasserstein);
      close(normedWassersteinDistance(c.reference, c.current), c.expected.wasserstein_normed);
      close(normedWassersteinDistance(ref, cur), c.expected.wasserstein_normed);
    });

    it("PSI, KL and Jensen-Shannon over the convention's bins", () => {
      const bins = numericBins(ref, cur);
      expect(bins.kind).toBe(ref.uniqueCount() > 20 ? "sturges" : "distinct");
      close(psi(bins.reference, bins.current), c.expected.psi);
      close(klDivergence(bins.reference, bins.current), c.expected.kl_divergence);
      close(jensenShannonDistance(bins.reference, bins.current), c.expected.jensenshannon);
    });
  });

  describe.each(categoricalCases.map((c) => [c.note, c] as const))("categorical: %s", (_note, c) => {
    const counts = categoryCounts(c.reference, c.current, { column: c.note });

    it("new and missing categories", () => {
      expect(counts.newCategories).toEqual(c.expected.new_categories);
      expect(counts.missingCategories).toEqual(c.expected.missing_categories);
    });

    it("chi-square p-value (observed = current counts, expected = reference counts scaled)", () => {
      const r = chiSquareTest(counts.reference, counts.current);
      if (c.expected.chisquare_pvalue === null) {
        // scipy gives no value when a current category has zero expectation; a new category is drift here.
        expect(counts.newCategories.length).toBeGreaterThan(0);
        expect(r.statistic).toBe(Number.POSITIVE_INFINITY);
        expect(r.pValue).toBe(0);
      } else {
        close(r.pValue, c.expected.chisquare_pvalue);
        expect(r.degreesOfFreedom).toBe(counts.categories.length - 1);
      }
    });

    it("PSI and Jensen-Shannon over one bin per category", () => {
      close(psi(counts.reference, counts.current), c.expected.psi);
      close(jensenShannonDistance(counts.reference, counts.current), c.expected.jensenshannon);
    });
  });
});

interface ZCase {
  kind: string;
  successes: [number, number];
  trials: [number, number];
  expected: { z: number; pvalue_two_sided: number };
}

const stats = JSON.parse(readFileSync(fixturePath("stats", "scipy-tests.json"), "utf8")) as { cases: ZCase[] };
const zCases = stats.cases.filter((c) => c.kind === "two_proportion_z");

describe("two-proportion z-test equals stats/scipy-tests.json", () => {
  it.each(zCases.map((c, i) => [i, c] as const))("case %i", (_i, c) => {
    const r = twoProportionZTest(c.successes[0], c.trials[0], c.successes[1], c.trials[1]);
    close(r.statistic, c.expected.z);
    close(r.pValue, c.expected.pvalue_two_sided);
  });
});

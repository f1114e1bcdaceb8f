import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isMlcycleError } from "../../src/core/errors.js";
import {
  type Category,
  categoryCounts,
  chiSquareTest,
  columnDrift,
  datasetDrift,
  defaultDriftMethod,
  fillZeroProportions,
  histogramBinEdges,
  histogramCounts,
  isDrift,
  jensenShannonDistance,
  klDivergence,
  kolmogorovSmirnovCdf,
  kolmogorovSmirnovSf,
  ksTwoSample,
  numericBins,
  psi,
  SortedSample,
  smirnovSf,
  sortedSample,
  sortFloat64,
  wassersteinDistance,
} from "../../src/monitoring/index.js";
import { twoProportionZTest } from "../../src/monitoring/drift/index.js";
import { fixturePath } from "../helpers.js";

function validationError(fn: () => unknown): { message: string; path: PropertyKey[] } {
  try {
    fn();
  } catch (e) {
    expect(isMlcycleError(e, "VALIDATION")).toBe(true);
    const err = e as { message: string; issues: { path: PropertyKey[] }[] };
    return { message: err.message, path: err.issues[0]?.path ?? [] };
  }
  throw new Error("expected a VALIDATION error");
}

describe("Kolmogorov-Smirnov distribution (scipy 1.17 kstwo.sf / kstwo.cdf / special.smirnov)", () => {
  // [n, d, kstwo.sf(d, n), kstwo.cdf(d, n), smirnov(n, d)]; together they reach every branch of
  // Simard & L'Ecuyer's selection: Ruben-Gambino at both ends, Durbin matrix (small and large n),
  // Pomeranz, Pelz-Good, the Smirnov tail (exact sum and the n > 1e6 approximation), and the 0 tail.
  const table: [number, number, number, number, number][] = [
    [1, 0.3, 1.0, 0.0, 0.7],
    [3, 0.25, 0.9722222222222222, 0.027777777777777776, 0.609375],
    [5, 0.85, 0.0001518750000000001, 0.999848125, 7.593750000000005e-5],
    [10, 0.08, 0.9999978058034054, 2.194196594688005e-6, 0.8400796298316454],
    [20, 0.05, 0.9999999767980384, 2.3201961595312535e-8, 0.873652490231218],
    [50, 0.1, 0.6623112704658186, 0.3376887295341814, 0.34490701996888],
    [100, 0.12, 0.10330374901819939, 0.8966962509818006, 0.05165826915719442],
    [100, 0.5, 1.2131434371817858e-23, 1.0, 6.065717185908929e-24],
    [140, 0.1, 0.11353657290090946, 0.8864634270990905, 0.05677796337203063],
    [141, 0.05, 0.854845693009663, 0.14515430699033707, 0.47825576606563275],
    [200, 0.06, 0.45015844138021865, 0.5498415586197813, 0.22773514024562289],
    [222, 0.0505, 0.6048210328732402, 0.39517896712675976, 0.3117687598434655],
    [343, 0.08583333333333333, 0.011995571024270985, 0.9880043594398148, 0.005997785512135492],
    [1000, 0.0115, 0.9992200501104482, 0.0007799498895518075, 0.7617666703345468],
    [1000, 0.02, 0.8108971656895577, 0.18910283431044228, 0.44342498843949424],
    [2000, 0.45, 0.0, 1.0, 0.0],
    [2222, 0.0739, 5.341523588189926e-11, 0.9999999999465992, 2.670761794094963e-11],
    [5000, 0.004, 0.9999977369528622, 2.263047137809887e-6, 0.849880041209573],
    [5000, 0.02, 0.03613941395325637, 0.9638605860467436, 0.01806981293722266],
    [100001, 0.004, 0.08129888811128061, 0.9187011118887194, 0.040652174799030806],
    [2000000, 0.0008, 0.15445575917381638, 0.8455442408261836, 0.07726352009468539],
    [2000000, 0.0012, 0.006297183259583361, 0.9937028243408488, 0.0031485916297916807],
  ];
  const near = (a: number, e: number) => expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-12 + 1e-8 * Math.abs(e));

  it.each(table)("n=%i d=%d", (n, d, sf, cdf, smirnov) => {
    near(kolmogorovSmirnovSf(n, d), sf);
    near(kolmogorovSmirnovCdf(n, d), cdf);
    near(smirnovSf(n, d), smirnov);
  });

  it("is 1 at d <= 0, 0 at d >= 1, NaN for a non-integer n", () => {
    expect(kolmogorovSmirnovSf(10, 0)).toBe(1);
    expect(kolmogorovSmirnovSf(10, 1)).toBe(0);
    expect(kolmogorovSmirnovSf(10.5, 0.2)).toBeNaN();
  });
});

describe("ksTwoSample", () => {
  const seq = (n: number, mul: number, mod: number, shift: number) =>
    Array.from({ length: n }, (_, i) => ((i * mul) % mod) / 10 + shift);
  // [m, n, shift, exact D, exact p, asymp D, asymp p, auto p] from scipy 1.17 ks_2samp on the same sequences.
  const cases: [number, number, number, number, number, number, number, number][] = [
    [30, 45, 0.8, 0.1, 0.9888283938663804, 0.1, 0.985414593218428, 0.9888283938663804],
    [
      120, 80, 1.5, 0.15833333333333333, 0.16751777254865047, 0.15833333333333333, 0.16163834671487987,
      0.16751777254865047,
    ],
    [
      300, 301, 0.4, 0.04694352159468439, 0.8743152902073396, 0.04694352159468439, 0.8799716742780691,
      0.8743152902073396,
    ],
    [250, 250, 0.9, 0.092, 0.24091783209209974, 0.092, 0.22629812710288674, 0.24091783209209974],
    [
      700, 1300, 0.3, 0.03538461538461538, 0.6046531573260979, 0.035384615384615375, 0.6062713418325945,
      0.6046531573260979,
    ],
  ];

  it.each(cases)(
    "m=%i n=%i (ties included) equals scipy exact, asymp and auto",
    (m, n, shift, dE, pE, dA, pA, pAuto) => {
      const a = seq(m, 37, 101, 0);
      const b = seq(n, 53, 97, shift);
      const exact = ksTwoSample(a, b, { method: "exact" });
      expect(exact.method).toBe("exact");
      expect(Math.abs(exact.statistic - dE)).toBeLessThan(1e-12);
      expect(Math.abs(exact.pValue - pE)).toBeLessThan(1e-9);
      const asymp = ksTwoSample(a, b, { method: "asymp" });
      expect(Math.abs(asymp.statistic - dA)).toBeLessThan(1e-12);
      expect(Math.abs(asymp.pValue - pA)).toBeLessThan(1e-9);
      expect(Math.abs(ksTwoSample(a, b).pValue - pAuto)).toBeLessThan(1e-9);
    },
  );

  it("is symmetric and gives D = 0, p = 1 for identical samples", () => {
    const a = [1, 2, 2, 3, 5, 8];
    expect(ksTwoSample(a, [...a].reverse())).toEqual({ statistic: 0, pValue: 1, method: "exact" });
    const x = [0.3, 1.1, 2.5, 0.2, 4];
    const y = [1.5, 2.2, 3.3, 0.1];
    expect(ksTwoSample(x, y).pValue).toBeCloseTo(ksTwoSample(y, x).pValue, 12);
  });

  it("'auto' switches to the asymptotic distribution above 10,000 values", () => {
    const a = Float64Array.from({ length: 10_001 }, (_, i) => i);
    expect(ksTwoSample(a, [1, 2, 3]).method).toBe("asymp");
  });

  it("rejects an unknown method and bad samples, naming the column", () => {
    expect(validationError(() => ksTwoSample([1], [2], { method: "fast" as never })).message).toContain("fast");
    const e = validationError(() => ksTwoSample([1, 2], [3, Number.NaN], { column: "age" }));
    expect(e.message).toContain("age");
    expect(e.path).toEqual(["age", "current", 1]);
    expect(validationError(() => ksTwoSample([], [1], { column: "age" })).path).toEqual(["age", "reference"]);
  });
});

describe("sortedSample and sortFloat64", () => {
  it("sorts like Float64Array.prototype.sort, on large and small arrays", () => {
    let s = 7;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    for (const n of [0, 1, 5, 4095, 4096, 50_000]) {
      const a = Float64Array.from({ length: n }, (_, i) =>
        i % 11 === 0 ? Math.round(rnd() * 5) : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20),
      );
      if (n > 10)
        a.set([-0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, -Number.MAX_VALUE], 3);
      const expected = a.slice().sort();
      const actual = sortFloat64(a.slice());
      expect(Array.from(actual).map((x) => (Object.is(x, -0) ? "-0" : x))).toEqual(
        Array.from(expected).map((x) => (Object.is(x, -0) ? "-0" : x)),
      );
    }
  });

  it("sorts large arrays whose values share their high 32 bits, in runs short and long, of either sign", () => {
    let s = 11;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const shuffled = (xs: number[]) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [xs[i], xs[j]] = [xs[j], xs[i]];
      }
      return Float64Array.from(xs);
    };
    const cases = [
      // One run of 10,000 values differing in their low word only (positive, then negative).
      Array.from({ length: 10_000 }, (_, k) => 1 + k * 2 ** -40),
      Array.from({ length: 10_000 }, (_, k) => -(1 + k * 2 ** -40)),
      // Runs of 10 (insertion sort), of both signs, with -0 and 0.
      Array.from({ length: 10_000 }, (_, k) => (k % 2 ? -1 : 1) * (Math.floor(k / 10) + (k % 10) * 2 ** -45)),
      [...Array.from({ length: 5_000 }, () => -0), ...Array.from({ length: 5_000 }, () => 0)],
      // Few distinct values: long runs already in order.
      Array.from({ length: 10_000 }, (_, k) => k % 5),
    ];
    for (const values of cases) {
      const a = shuffled(values);
      const expected = a.slice().sort();
      const actual = sortFloat64(a.slice());
      expect(Array.from(actual).map((x) => (Object.is(x, -0) ? "-0" : x))).toEqual(
        Array.from(expected).map((x) => (Object.is(x, -0) ? "-0" : x)),
      );
    }
  });

  it("keeps the caller's array untouched and caches figures", () => {
    const input = [3, 1, 2, 2];
    const sample = sortedSample(input, { column: "x" });
    expect(input).toEqual([3, 1, 2, 2]);
    expect(Array.from(sample.values)).toEqual([1, 2, 2, 3]);
    expect(sample.size).toBe(4);
    expect(sample.min).toBe(1);
    expect(sample.max).toBe(3);
    expect(sample.uniqueCount()).toBe(3);
    expect(sample.mean()).toBe(2);
    expect(sample.std()).toBeCloseTo(Math.sqrt(0.5), 15);
    expect(sortedSample(sample)).toBe(sample);
    expect(sample).toBeInstanceOf(SortedSample);
  });

  it("rejects empty samples and non-finite or non-numeric values with the column and index", () => {
    expect(validationError(() => sortedSample([], { column: "price" })).message).toBe(
      "column 'price': the reference sample is empty",
    );
    const inf = validationError(() =>
      sortedSample([1, Number.POSITIVE_INFINITY], { column: "price", role: "current" }),
    );
    expect(inf.message).toContain("price");
    expect(inf.path).toEqual(["price", "current", 1]);
    expect(validationError(() => sortedSample([1, "2" as never], { column: "price" })).path).toEqual([
      "price",
      "reference",
      1,
    ]);
    expect(validationError(() => sortedSample(null as never, { column: "price" })).message).toContain("price");
  });
});

describe("binning", () => {
  it("Sturges edges equal numpy's histogram_bin_edges", () => {
    expect(Array.from(histogramBinEdges([0, 1, 2, 3], [4, 5, 6, 7]))).toEqual([0, 1.75, 3.5, 5.25, 7]);
    // numpy: histogram_bin_edges([2, 2, 2], bins="sturges") → [1.5, 2.5]
    expect(Array.from(histogramBinEdges([2, 2], [2]))).toEqual([1.5, 2.5]);
    // 1,024 values: log2 is exact, so 11 bins (numpy gives 11 too).
    const a = Array.from({ length: 512 }, (_, i) => i / 7);
    expect(histogramBinEdges(a, a).length).toBe(12);
  });

  it("counts as numpy's histogram: right edge open except the last", () => {
    expect(Array.from(histogramCounts([0, 1, 2, 3, 7], [0, 1.75, 3.5, 5.25, 7]))).toEqual([2, 2, 0, 1]);
    expect(Array.from(histogramCounts([-1, 1, 2, 9], [1, 2, 3]))).toEqual([1, 1]);
    expect(validationError(() => histogramCounts([1], [2, 1])).message).toContain("ascending");
  });

  it("uses one bin per distinct value up to 20 distinct reference values, Sturges beyond", () => {
    const twenty = Array.from({ length: 40 }, (_, i) => i % 20);
    expect(numericBins(twenty, [100]).kind).toBe("distinct");
    const bins = numericBins(twenty, [100]);
    expect(bins.reference.length).toBe(21);
    expect(bins.current[20]).toBe(1);
    expect(numericBins([...twenty, 20.5], [100]).kind).toBe("sturges");
    expect(numericBins(twenty, [100], { maxDistinctBins: 10 }).kind).toBe("sturges");
  });

  it("counts categories in a stable order and keeps 1 and '1' apart", () => {
    const c = categoryCounts(["b", 1, true, "1", 1, false], ["a", 1, 0]);
    expect(c.categories).toEqual([0, 1, false, true, "1", "a", "b"]);
    expect(Array.from(c.reference)).toEqual([0, 2, 1, 1, 1, 0, 1]);
    expect(Array.from(c.current)).toEqual([1, 1, 0, 0, 0, 1, 0]);
    expect(c.newCategories).toEqual([0, "a"]);
    expect(c.missingCategories).toEqual([false, true, "1", "b"]);
  });

  it("rejects missing values and empty samples in a categorical column, naming it", () => {
    for (const bad of [null, undefined, Number.NaN, {}]) {
      const e = validationError(() => categoryCounts(["a", bad as Category], ["a"], { column: "plan" }));
      expect(e.message).toContain("plan");
      expect(e.path).toEqual(["plan", "reference", 1]);
    }
    expect(validationError(() => categoryCounts(["a"], [], { column: "plan" })).path).toEqual(["plan", "current"]);
  });
});

describe("divergences", () => {
  it("are 0 for identical distributions, counts or proportions alike", () => {
    expect(psi([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 15);
    expect(klDivergence([1, 2, 3], [0.5, 1, 1.5])).toBeCloseTo(0, 15);
    expect(jensenShannonDistance([1, 0, 3], [2, 0, 6])).toBeCloseTo(0, 7);
  });

  it("fill zero proportions by the convention: min_nonzero/1e6 when min_nonzero <= 1e-4, else 1e-4", () => {
    expect(Array.from(fillZeroProportions([0.5, 0.5, 0]))).toEqual([0.5, 0.5, 1e-4]);
    expect(Array.from(fillZeroProportions([1 - 5e-5, 5e-5, 0]))).toEqual([1 - 5e-5, 5e-5, 5e-5 / 1e6]);
  });

  it("PSI is symmetric, KL is not, Jensen-Shannon is bounded by √ln 2", () => {
    expect(psi([50, 50], [30, 70])).toBeCloseTo(psi([30, 70], [50, 50]), 15);
    expect(psi([50, 50], [30, 70])).toBeCloseTo(0.2 * Math.log(5 / 3) + 0.2 * Math.log(7 / 5), 12);
    expect(klDivergence([50, 50], [30, 70])).not.toBeCloseTo(klDivergence([30, 70], [50, 50]), 6);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15);
  });

  it("reject mismatched bins, negative weights and empty sides", () => {
    expect(validationError(() => psi([1, 2], [1])).message).toContain("one entry per bin");
    expect(validationError(() => klDivergence([1, -1], [1, 1])).path).toEqual(["reference", 1]);
    expect(validationError(() => jensenShannonDistance([1, 1], [0, 0])).path).toEqual(["current"]);
  });
});

describe("chiSquareTest and twoProportionZTest", () => {
  it("chi-square: identical shares give χ² = 0, p = 1; one category gives p = 1", () => {
    expect(chiSquareTest([10, 20, 30], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1, degreesOfFreedom: 2 });
    expect(chiSquareTest([10], [3])).toEqual({ statistic: 0, pValue: 1, degreesOfFreedom: 0 });
  });

  it("chi-square: skips a category neither side has; a new category is infinite evidence", () => {
    const withEmpty = chiSquareTest([50, 0, 30, 20], [40, 0, 30, 30]);
    expect(withEmpty.degreesOfFreedom).toBe(2);
    expect(withEmpty.statistic).toBeCloseTo(7, 12);
    expect(chiSquareTest([5, 5, 0], [5, 5, 1])).toEqual({
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
      degreesOfFreedom: 2,
    });
    expect(validationError(() => chiSquareTest([1, 2], [1, 2, 3])).message).toContain("one count per category");
    expect(validationError(() => chiSquareTest([0, 0], [1, 2])).path).toEqual(["referenceCounts"]);
  });

  it("z-test: equal extreme proportions give z = 0, p = 1; bad counts are rejected", () => {
    expect(twoProportionZTest(10, 10, 5, 5)).toEqual({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(0, 10, 0, 5)).toEqual({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(30, 100, 20, 100).statistic).toBeLessThan(0);
    expect(validationError(() => twoProportionZTest(11, 10, 1, 5)).path).toEqual(["trialsA"]);
    expect(validationError(() => twoProportionZTest(1, 0, 1, 5)).path).toEqual(["trialsA"]);
    expect(validationError(() => twoProportionZTest(-1, 10, 1, 5)).path).toEqual(["successesA"]);
  });
});

interface FixtureCase {
  kind: "numeric" | "categorical";
  note: string;
  reference: (number | string)[];
  current: (number | string)[];
  expected: Record<string, number | null | unknown[]>;
}

const fixture = JSON.parse(readFileSync(fixturePath("monitoring", "drift-scipy.json"), "utf8")) as {
  cases: FixtureCase[];
};
const byNote = (note: string) => {
  const c = fixture.cases.find((x) => x.note === note);
  if (!c) throw new Error(`fixture case '${note}' is missing`);
  return c;
};

describe("Evidently's default method selection", () => {
  it.each([
    ["numeric", 1000, 6, "ks"],
    ["numeric", 1001, 6, "wasserstein"],
    ["numeric", 1000, 5, "chisquare"],
    ["numeric", 1000, 2, "z"],
    ["numeric", 5000, 5, "jensenshannon"],
    ["categorical", 1000, 3, "chisquare"],
    ["categorical", 1000, 2, "z"],
    ["categorical", 1001, 2, "jensenshannon"],
    ["categorical", 1000, 50, "chisquare"],
  ] as const)("%s, %i rows, %i distinct → %s", (kind, referenceSize, referenceUniqueCount, method) => {
    expect(defaultDriftMethod({ kind, referenceSize, referenceUniqueCount })).toBe(method);
  });

  it("compares as Evidently: KS p <= t, chi-square and z p < t, distances >= t", () => {
    expect(isDrift("ks", 0.05, 0.05)).toBe(true);
    expect(isDrift("chisquare", 0.05, 0.05)).toBe(false);
    expect(isDrift("z", 0.049, 0.05)).toBe(true);
    for (const m of ["wasserstein", "jensenshannon", "psi", "kl"] as const) {
      expect(isDrift(m, 0.1, 0.1)).toBe(true);
      expect(isDrift(m, 0.099, 0.1)).toBe(false);
    }
  });
});

describe("columnDrift on the fixture's cases", () => {
  const numeric = (note: string) => {
    const c = byNote(note);
    return { kind: "numeric" as const, reference: c.reference as number[], current: c.current as number[] };
  };
  const categorical = (note: string) => {
    const c = byNote(note);
    return { kind: "categorical" as const, reference: c.reference, current: c.current };
  };

  it("small numeric → KS (scipy's default exact p-value), no drift on the same distribution", () => {
    const r = columnDrift("x", numeric("same distribution, small"));
    expect(r).toMatchObject({ column: "x", kind: "numeric", method: "ks", threshold: 0.05, drifted: false });
    expect(r.pValue).toBeCloseTo(byNote("same distribution, small").expected.ks_pvalue_exact as number, 9);
    expect(r.referenceSize).toBe(500);
    expect(r.currentSize).toBe(400);
  });

  it("small numeric with a mean shift drifts by KS", () => {
    const r = columnDrift("x", numeric("mean shift, small"), { ksMethod: "asymp" });
    expect(r.pValue).toBeCloseTo(byNote("mean shift, small").expected.ks_pvalue_asymp as number, 9);
    expect(r.drifted).toBe(true);
  });

  it("large numeric → normed Wasserstein", () => {
    const r = columnDrift("x", numeric("variance change, large"));
    expect(r.method).toBe("wasserstein");
    expect(r.pValue).toBeUndefined();
    expect(r.statistic).toBeCloseTo(byNote("variance change, large").expected.wasserstein_normed as number, 9);
    expect(r.drifted).toBe(true);
    const mild = columnDrift("x", numeric("skewed, mild shift"));
    expect(mild.statistic).toBeCloseTo(byNote("skewed, mild shift").expected.wasserstein_normed as number, 9);
    expect(mild.drifted).toBe(false);
  });

  it("PSI, KL and Jensen-Shannon on request, on the convention's bins", () => {
    const c = byNote("few unique values");
    for (const [method, key] of [
      ["psi", "psi"],
      ["kl", "kl_divergence"],
      ["jensenshannon", "jensenshannon"],
    ] as const) {
      const r = columnDrift("x", numeric("few unique values"), { method });
      expect(r.statistic).toBeCloseTo(c.expected[key] as number, 9);
      expect(r.threshold).toBe(0.1);
      expect(r.drifted).toBe(true);
    }
    expect(columnDrift("x", numeric("few unique values"), { method: "psi", threshold: 0.8 }).drifted).toBe(false);
  });

  it("small categorical → chi-square; a new category drifts with p = 0", () => {
    const same = columnDrift("plan", categorical("same distribution"));
    expect(same.method).toBe("chisquare");
    expect(same.pValue).toBeCloseTo(byNote("same distribution").expected.chisquare_pvalue as number, 9);
    expect(same.drifted).toBe(true);
    const shifted = columnDrift("plan", categorical("shift with a new category"));
    expect(shifted).toMatchObject({
      method: "chisquare",
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
      drifted: true,
    });
    const js = columnDrift("plan", categorical("shift with a new category"), { method: "jensenshannon" });
    expect(js.statistic).toBeCloseTo(byNote("shift with a new category").expected.jensenshannon as number, 9);
  });

  it("two-valued columns → z-test when small, Jensen-Shannon when large", () => {
    const ref = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? "yes" : "no"));
    const cur = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? "yes" : "no"));
    const z = columnDrift("flag", { kind: "categorical", reference: ref, current: cur });
    // The share of the first reference category in order ("no": 300 of 400, then 150 of 300).
    const expected = twoProportionZTest(300, 400, 150, 300);
    expect(z).toMatchObject({ method: "z", statistic: expected.statistic, pValue: expected.pValue, drifted: true });
    const numericFlag = columnDrift("flag", {
      kind: "numeric",
      reference: ref.map((v) => (v === "yes" ? 1 : 0)),
      current: cur.map((v) => (v === "yes" ? 1 : 0)),
    });
    expect(numericFlag.method).toBe("z");
    expect(Math.abs(numericFlag.statistic)).toBeCloseTo(Math.abs(expected.statistic), 12);
    const big = [...ref, ...ref, ...ref];
    expect(columnDrift("flag", { kind: "categorical", reference: big, current: cur }).method).toBe("jensenshannon");
  });

  it("numeric with at most 5 distinct values → chi-square over the values", () => {
    const ref = Array.from({ length: 500 }, (_, i) => i % 4);
    const cur = Array.from({ length: 200 }, (_, i) => i % 4);
    const r = columnDrift("k", { kind: "numeric", reference: ref, current: cur });
    expect(r).toMatchObject({ method: "chisquare", statistic: 0, pValue: 1, drifted: false });
  });

  it("rejects a method that does not fit, a bad threshold, a bad kind, naming the column", () => {
    const cat = categorical("tiny vector");
    expect(validationError(() => columnDrift("plan", cat, { method: "ks" })).message).toContain("plan");
    expect(validationError(() => columnDrift("plan", cat, { method: "wasserstein" })).path).toEqual(["plan", "method"]);
    expect(validationError(() => columnDrift("plan", cat, { method: "nope" as never })).path).toEqual([
      "plan",
      "method",
    ]);
    expect(validationError(() => columnDrift("plan", cat, { method: "chisquare", threshold: 5 })).path).toEqual([
      "plan",
      "threshold",
    ]);
    expect(
      validationError(() => columnDrift("x", numeric("ramp shifted by 10 (hand-checked vector)"), { threshold: -1 }))
        .path,
    ).toEqual(["x", "threshold"]);
    expect(validationError(() => columnDrift("y", { kind: "text" } as never)).path).toEqual(["y", "kind"]);
    expect(
      validationError(() => columnDrift("y", { kind: "numeric", reference: [1, Number.NaN], current: [1] })).path,
    ).toEqual(["y", "reference", 1]);
  });
});

describe("datasetDrift", () => {
  const col = (note: string) => {
    const c = byNote(note);
    return c.kind === "numeric"
      ? { kind: "numeric" as const, reference: c.reference as number[], current: c.current as number[] }
      : { kind: "categorical" as const, reference: c.reference, current: c.current };
  };

  it("drifts when at least half of the columns drift", () => {
    const report = datasetDrift({
      a: col("same distribution, small"),
      b: col("mean shift, small"),
    });
    expect(report.columns.map((c) => [c.column, c.drifted])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    expect(report).toMatchObject({ columnCount: 2, driftedCount: 1, share: 0.5, driftShare: 0.5, drifted: true });
    expect(
      datasetDrift({ a: col("same distribution, small"), b: col("mean shift, small") }, { driftShare: 0.6 }).drifted,
    ).toBe(false);
  });

  it("applies defaults to every column and per-column settings over them", () => {
    const report = datasetDrift(
      { a: col("same distribution, small"), b: col("skewed, mild shift"), c: col("same distribution") },
      { defaults: { method: "psi" }, columns: { c: { method: "jensenshannon", threshold: 0.5 } } },
    );
    expect(report.columns.map((c) => c.method)).toEqual(["psi", "psi", "jensenshannon"]);
    expect(report.columns[2].threshold).toBe(0.5);
    expect(report.columns[0].statistic).toBeCloseTo(byNote("same distribution, small").expected.psi as number, 9);
  });

  it("rejects no columns, settings for an unknown column and a bad share; column errors name the column", () => {
    expect(validationError(() => datasetDrift({})).path).toEqual(["columns"]);
    expect(validationError(() => datasetDrift({ a: col("tiny vector") }, { columns: { b: {} } })).path).toEqual([
      "columns",
      "b",
    ]);
    expect(validationError(() => datasetDrift({ a: col("tiny vector") }, { driftShare: 0 })).path).toEqual([
      "driftShare",
    ]);
    const e = validationError(() =>
      datasetDrift({ a: col("tiny vector"), income: { kind: "numeric", reference: [], current: [1] } }),
    );
    expect(e.message).toContain("income");
  });

  it("agrees with columnDrift on typed arrays and pre-sorted samples", () => {
    const c = byNote("variance change, large");
    const ref = sortedSample(c.reference as number[], { column: "v" });
    const viaSorted = datasetDrift({
      v: { kind: "numeric", reference: ref, current: Float64Array.from(c.current as number[]) },
    });
    expect(viaSorted.columns[0].statistic).toBeCloseTo(c.expected.wasserstein_normed as number, 9);
    expect(wassersteinDistance(ref, c.current as number[])).toBeCloseTo(c.expected.wasserstein as number, 9);
  });
});

describe("wassersteinDistance", () => {
  /** ∫ |F_a − F_b| straight from the definition: the CDFs at each value, times the gap to the next. */
  function byDefinition(a: number[], b: number[]): number {
    const all = [...a, ...b].sort((x, y) => x - y);
    const cdf = (xs: number[], x: number) => xs.filter((v) => v <= x).length / xs.length;
    let sum = 0;
    for (let k = 0; k < all.length - 1; k++) sum += Math.abs(cdf(a, all[k]) - cdf(b, all[k])) * (all[k + 1] - all[k]);
    return sum;
  }

  it("equals the definition on samples with ties, either one ending first", () => {
    let s = 3;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: 1 + Math.floor(rnd() * 25) }, () => Math.round(rnd() * 20) / 2);
      const b = Array.from({ length: 1 + Math.floor(rnd() * 25) }, () => Math.round(rnd() * 24) / 2 - 1);
      expect(wassersteinDistance(a, b)).toBeCloseTo(byDefinition(a, b), 12);
      expect(wassersteinDistance(b, a)).toBeCloseTo(byDefinition(a, b), 12);
    }
    expect(wassersteinDistance([5], [5])).toBe(0);
    expect(wassersteinDistance([0, 0, 0], [1])).toBe(1);
  });
});

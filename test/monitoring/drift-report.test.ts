import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { isMlcycleError, type MlcycleError } from "../../src/core/errors.js";
import {
  type Category,
  columnDrift,
  DRIFT_WORKER_THRESHOLD,
  type DriftMethod,
  type DriftReport,
  driftReport,
  wassersteinDistance,
} from "../../src/monitoring/index.js";
import { fixturePath } from "../helpers.js";

interface FixtureCase {
  kind: "numeric" | "categorical";
  note: string;
  reference: Category[];
  current: Category[];
  expected: Record<string, number | null | Category[]>;
}

const fixture = JSON.parse(readFileSync(fixturePath("monitoring", "drift-scipy.json"), "utf8")) as {
  cases: FixtureCase[];
};
const TOL = 1e-6;
const close = (actual: number | undefined, expected: number) =>
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(TOL);

/** One column compared alone, with a method. */
async function one(c: FixtureCase, method?: DriftMethod, extra: object = {}) {
  // The fixture's categorical cases may hold numbers: their kind is given.
  const settings = { kind: c.kind, ...(method ? { method } : {}), ...extra };
  const report = await driftReport({ x: c.reference }, { x: c.current }, { workers: 0, columns: { x: settings } });
  expect(report.columns).toHaveLength(1);
  return report.columns[0];
}

async function rejection(promise: Promise<unknown>, code = "VALIDATION"): Promise<MlcycleError> {
  try {
    await promise;
  } catch (e) {
    expect(isMlcycleError(e)).toBe(true);
    expect((e as MlcycleError).code).toBe(code);
    return e as MlcycleError;
  }
  throw new Error(`expected a ${code} error`);
}

/** Normal values from a fixed seed. */
function normals(n: number, seed: number, mean = 0): Float64Array {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s + 0.5) / 2147483648;
  };
  return Float64Array.from({ length: n }, () => mean + Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()));
}

describe("driftReport equals scipy on monitoring/drift-scipy.json", () => {
  const numeric = fixture.cases.filter((c) => c.kind === "numeric");
  const categorical = fixture.cases.filter((c) => c.kind === "categorical");

  it.each(numeric.map((c) => [c.note, c] as const))("numeric: %s", async (_note, c) => {
    const e = c.expected as Record<string, number>;
    const ks = await one(c, "ks", { ksMethod: "asymp" });
    close(ks.statistic, e.ks_statistic);
    close(ks.pValue, e.ks_pvalue_asymp);
    if (e.ks_pvalue_exact != null) close((await one(c, "ks", { ksMethod: "exact" })).pValue, e.ks_pvalue_exact);
    close((await one(c, "wasserstein")).statistic, e.wasserstein_normed);
    close((await one(c, "psi")).statistic, e.psi);
    close((await one(c, "kl")).statistic, e.kl_divergence);
    close((await one(c, "jensenshannon")).statistic, e.jensenshannon);
  });

  it.each(categorical.map((c) => [c.note, c] as const))("categorical: %s", async (_note, c) => {
    const e = c.expected as Record<string, number | null>;
    const chi = await one(c, "chisquare");
    expect(chi.kind).toBe("categorical");
    if (e.chisquare_pvalue === null) {
      expect(chi.statistic).toBe(Number.POSITIVE_INFINITY);
      expect(chi.pValue).toBe(0);
    } else close(chi.pValue, e.chisquare_pvalue);
    close((await one(c, "psi")).statistic, e.psi as number);
    close((await one(c, "jensenshannon")).statistic, e.jensenshannon as number);
  });

  it("with Evidently's defaults, every column equals columnDrift's verdict, and the data set drifts by share", async () => {
    // Every case a column, given as rows: a shorter case's column is missing from the later rows.
    const asRows = (side: "reference" | "current") => {
      const n = Math.max(...fixture.cases.map((c) => c[side].length));
      return Array.from({ length: n }, (_, i) => {
        const row: Record<string, Category> = {};
        for (const c of fixture.cases) if (i < c[side].length) row[c.note] = c[side][i];
        return row;
      });
    };
    const reference = asRows("reference");
    const current = asRows("current");
    const kinds = Object.fromEntries(fixture.cases.map((c) => [c.note, { kind: c.kind }]));
    const report = await driftReport(reference, current, { workers: 0, columns: kinds });
    expect(report.columns.map((c) => c.column)).toEqual(fixture.cases.map((c) => c.note));
    for (const c of fixture.cases) {
      const alone = columnDrift(
        c.note,
        c.kind === "numeric"
          ? { kind: "numeric", reference: c.reference as number[], current: c.current as number[] }
          : { kind: "categorical", reference: c.reference, current: c.current },
      );
      expect(report.columns.find((r) => r.column === c.note)).toEqual({
        ...alone,
        referenceMissing: reference.length - c.reference.length,
        currentMissing: current.length - c.current.length,
      });
    }
    const drifted = report.columns.filter((c) => c.drifted).length;
    expect(report).toMatchObject({
      columnCount: fixture.cases.length,
      driftedCount: drifted,
      share: drifted / fixture.cases.length,
      driftShare: 0.5,
      drifted: drifted / fixture.cases.length >= 0.5,
      referenceRows: reference.length,
      currentRows: current.length,
      skipped: [],
      workers: 0,
    });
  });
});

describe("driftReport on large columns", () => {
  const reference = { a: normals(20_000, 1), b: normals(20_000, 2) };
  const current = { a: normals(15_000, 3, 0.3), b: normals(15_000, 4) };

  it("uses normed Wasserstein beyond 1,000 reference rows, equal to wassersteinDistance / std", async () => {
    const report = await driftReport(reference, current, { workers: 0 });
    expect(report.columns.map((c) => [c.column, c.method, c.drifted])).toEqual([
      ["a", "wasserstein", true],
      ["b", "wasserstein", false],
    ]);
    const ref = Array.from(reference.a);
    const mean = ref.reduce((s, x) => s + x, 0) / ref.length;
    const std = Math.sqrt(ref.reduce((s, x) => s + (x - mean) ** 2, 0) / ref.length);
    expect(report.columns[0].statistic).toBeCloseTo(wassersteinDistance(ref, Array.from(current.a)) / std, 12);
    expect(report.drifted).toBe(true);
  });

  it("gives the same report from columns and from rows, and leaves the caller's arrays untouched", async () => {
    const before = reference.a.slice();
    const rowsOf = (set: Record<string, Float64Array>) =>
      Array.from({ length: set.a.length }, (_, i) => ({ a: set.a[i], b: set.b[i] }));
    const byColumn = await driftReport(reference, current, { workers: 0 });
    const byRow = await driftReport(rowsOf(reference), rowsOf(current), { workers: 0 });
    expect(byRow).toEqual(byColumn);
    expect(reference.a).toEqual(before);
  });
});

describe("driftReport on worker threads", () => {
  const reference = { a: normals(6_000, 5), b: normals(6_000, 6), c: normals(6_000, 7) };
  const current = { a: normals(5_000, 8, 0.5), b: normals(5_000, 9), c: normals(5_000, 10, 0.05) };

  it("gives exactly the report computed in this thread", async () => {
    const here = await driftReport(reference, current, { workers: 0 });
    const pooled = await driftReport(reference, current, { workers: 2 });
    expect(pooled.workers).toBe(2);
    expect({ ...pooled, workers: 0 }).toEqual(here);
  });

  it("starts the pool by default from DRIFT_WORKER_THRESHOLD values, and stays in this thread below", async () => {
    expect(DRIFT_WORKER_THRESHOLD).toBe(4_000_000);
    expect((await driftReport(reference, current)).workers).toBe(0);
    const pooled = await driftReport(reference, current, { workerThreshold: 30_000 });
    expect(pooled.workers).toBe(Math.min(availableParallelism(), 3));
    // One column is never spread.
    expect((await driftReport({ a: reference.a }, { a: current.a }, { workerThreshold: 0 })).workers).toBe(0);
  });

  it("brings a column's error back from its worker, and stops every worker", async () => {
    const error = await rejection(
      driftReport(
        { ...reference, plan: Array.from({ length: 6_000 }, (_, i) => (i % 3 ? "free" : "pro")) },
        { ...current, plan: Array.from({ length: 5_000 }, (_, i) => (i % 2 ? "free" : "pro")) },
        { workers: 2, columns: { plan: { method: "ks" } } },
      ),
    );
    expect(error.message).toBe(
      "column 'plan': 'ks' needs a numeric column; use chisquare, z, jensenshannon, psi or kl",
    );
    expect(error.issues[0].path).toEqual(["plan", "method"]);
  });

  it("is cancelled by its signal, in the pool and in this thread", async () => {
    const controller = new AbortController();
    const pooled = driftReport(reference, current, { workers: 2, signal: controller.signal });
    controller.abort();
    await rejection(pooled, "CANCELLED");
    const again = new AbortController();
    const here = driftReport(reference, current, { workers: 0, signal: again.signal });
    again.abort();
    await rejection(here, "CANCELLED");
  });
});

describe("driftReport data", () => {
  it("leaves missing values out (null, undefined, NaN, ±Infinity) and counts them", async () => {
    const ref = [1, 2, null, 3, 4, Number.NaN, 5, 6, 7, undefined];
    const cur = [2, 3, Number.POSITIVE_INFINITY, 4, 5, 6, 7, 8, Number.NEGATIVE_INFINITY, 9];
    const report = await driftReport({ x: ref }, { x: cur });
    const alone = columnDrift("x", {
      kind: "numeric",
      reference: [1, 2, 3, 4, 5, 6, 7],
      current: [2, 3, 4, 5, 6, 7, 8, 9],
    });
    expect(report.columns[0]).toEqual({ ...alone, referenceMissing: 3, currentMissing: 2 });
    const plans = await driftReport({ plan: ["a", null, "b", "a"] }, { plan: ["a", "b", undefined, "c"] });
    expect(plans.columns[0]).toMatchObject({
      kind: "categorical",
      method: "z",
      referenceSize: 3,
      currentSize: 3,
      referenceMissing: 1,
      currentMissing: 1,
    });
  });

  it("infers each column's kind, unless told: typed arrays and numbers are numeric, anything else categorical", async () => {
    const report = await driftReport(
      {
        n: Float64Array.of(1, 2, 3, 4, 5, 6),
        s: ["a", "b", "a", "b", "a", "b"],
        b: [true, false, true, true, false, true],
      },
      {
        n: Float64Array.of(2, 3, 4, 5, 6, 7),
        s: ["a", "a", "a", "b", "a", "b"],
        b: [true, true, true, true, false, true],
      },
    );
    expect(report.columns.map((c) => [c.column, c.kind, c.method])).toEqual([
      ["n", "numeric", "ks"],
      ["s", "categorical", "z"],
      ["b", "categorical", "z"],
    ]);
    const told = await driftReport(
      { grade: [1, 2, 3, 1, 2, 3] },
      { grade: [1, 1, 3, 1, 2, 3] },
      { columns: { grade: { kind: "categorical" } } },
    );
    expect(told.columns[0]).toMatchObject({ kind: "categorical", method: "chisquare" });
  });

  it("compares the selected columns in their order, with defaults and per-column settings", async () => {
    const reference = {
      a: [1, 2, 3, 4, 5, 6, 7, 8],
      b: [1, 2, 3, 4, 5, 6, 7, 8],
      id: ["x", "y", "z", "w", "v", "u", "t", "s"],
    };
    const current = { b: [2, 3, 4, 5, 6, 7, 8, 9], a: [1, 2, 3, 4, 5, 6, 7, 9] };
    const report = await driftReport(reference, current, {
      select: ["b", "a"],
      defaults: { method: "wasserstein", threshold: 0.4 },
      columns: { a: { method: "psi" } },
      driftShare: 0.5,
    });
    expect(report.columns.map((c) => [c.column, c.method, c.threshold])).toEqual([
      ["b", "wasserstein", 0.4],
      ["a", "psi", 0.4],
    ]);
    expect(report.columns[0].statistic).toBeCloseTo(1 / Math.sqrt(5.25), 12); // W = 1, std of 1…8 = √5.25
    expect(report.columns[0].drifted).toBe(true);
    expect(report).toMatchObject({ driftedCount: report.columns.filter((c) => c.drifted).length, columnCount: 2 });
  });

  it("takes any column name, those of Object.prototype included", async () => {
    const report = await driftReport(
      { toString: [1, 2, 3, 4, 5, 6], constructor: ["a", "b", "a", "b", "a", "b"] },
      { toString: [1, 2, 3, 4, 5, 7], constructor: ["a", "a", "a", "b", "a", "b"] },
      { columns: { toString: { method: "wasserstein" as const } } },
    );
    expect(report.columns.map((c) => [c.column, c.kind, c.method])).toEqual([
      ["toString", "numeric", "wasserstein"],
      ["constructor", "categorical", "z"],
    ]);
  });

  it("skips a column with no values on one side, and says why", async () => {
    const report = await driftReport({ a: [1, 2, 3], b: [1, 2, 3] }, { a: [2, 3, 4], b: [null, Number.NaN, null] });
    expect(report.columns.map((c) => c.column)).toEqual(["a"]);
    expect(report.skipped).toEqual([{ column: "b", reason: "the current data has no values for it (all 3 missing)" }]);
    expect(report.columnCount).toBe(1);
  });

  it("refuses malformed data and settings with a VALIDATION error that says what and where", async () => {
    const ok = { a: [1, 2, 3] };
    expect((await rejection(driftReport(ok, { b: [1, 2, 3] }))).message).toBe(
      "driftReport: column 'a' is not in the current data",
    );
    expect((await rejection(driftReport(ok, ok, { select: ["z"] }))).message).toBe(
      "driftReport: column 'z' is not in the reference data",
    );
    expect((await rejection(driftReport(ok, ok, { columns: { z: { method: "psi" } } }))).message).toBe(
      "driftReport: settings given for column 'z', which is not compared",
    );
    expect((await rejection(driftReport({ a: [1, 2], b: [1] }, ok))).message).toBe(
      "driftReport: the reference data column 'b' has 1 values where the first column has 2",
    );
    const wrongType = await rejection(driftReport(ok, { a: [1, "2", 3] }));
    expect(wrongType.message).toContain("column 'a': current[1] is \"2\"; a numeric column takes numbers");
    expect(wrongType.issues[0].path).toEqual(["a", "current", 1]);
    expect((await rejection(driftReport({ a: [{}, "x"] }, ok))).issues[0].path).toEqual(["a", "reference", 0]);
    expect((await rejection(driftReport([1, 2] as never, ok))).message).toContain("row 0");
    expect((await rejection(driftReport(ok, ok, { driftShare: 2 }))).issues[0].path).toEqual(["driftShare"]);
    expect((await rejection(driftReport(ok, ok, { workers: -1 }))).issues[0].path).toEqual(["workers"]);
    expect(
      (await rejection(driftReport(ok, ok, { columns: { a: { threshold: 2, method: "ks" } } }))).message,
    ).toContain("between 0 and 1");
    expect((await rejection(driftReport({}, {}))).message).toBe("driftReport: no columns to compare");
  });

  it("types its result", async () => {
    const report: DriftReport = await driftReport({ a: [1, 2, 3] }, { a: [1, 2, 4] });
    expect(report.columns[0].referenceMissing).toBe(0);
  });
});

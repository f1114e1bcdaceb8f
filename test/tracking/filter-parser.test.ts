import { describe, expect, it } from "vitest";
import { isMlcycleError, type MlcycleError } from "../../src/index.js";
import { parseRunFilter, parseRunOrder } from "../../src/stores/run-filter-parser.js";

function errorOf(fn: () => unknown): MlcycleError {
  try {
    fn();
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw e;
  }
  throw new Error("expected a VALIDATION error");
}

describe("parseRunFilter", () => {
  it("parses the issue's example with precedence AND over OR and parentheses", () => {
    expect(parseRunFilter("metrics.acc > 0.9 and (params.model = 'rf' or tags.team LIKE 'ml%')")).toEqual({
      type: "and",
      children: [
        { type: "compare", field: { kind: "metric", key: "acc" }, op: ">", value: 0.9 },
        {
          type: "or",
          children: [
            { type: "compare", field: { kind: "param", key: "model" }, op: "=", value: "rf" },
            {
              type: "like",
              field: { kind: "tag", key: "team" },
              pattern: "ml%",
              caseInsensitive: false,
              negated: false,
            },
          ],
        },
      ],
    });
    const ast = parseRunFilter("params.a = 'x' OR params.b = 'y' AND params.c = 'z'");
    expect(ast).toMatchObject({ type: "or", children: [{ type: "compare" }, { type: "and" }] });
  });

  it("accepts keyword case, aliases, quoted keys, IN lists, NOT forms, numbers and infinities", () => {
    expect(parseRunFilter("metric.`val loss` <= -1.5e-3")).toEqual({
      type: "compare",
      field: { kind: "metric", key: "val loss" },
      op: "<=",
      value: -1.5e-3,
    });
    expect(parseRunFilter("tags.\"my tag\" ilike '%X%'")).toMatchObject({
      type: "like",
      field: { key: "my tag" },
      caseInsensitive: true,
    });
    expect(parseRunFilter("params.model not in ('a', \"b\")")).toEqual({
      type: "in",
      field: { kind: "param", key: "model" },
      values: ["a", "b"],
      negated: true,
    });
    expect(parseRunFilter("params.m NOT LIKE 'x%'")).toMatchObject({ type: "like", negated: true });
    expect(parseRunFilter("attributes.status = 'running'")).toMatchObject({
      field: { kind: "attribute", key: "status" },
    });
    expect(parseRunFilter("attr.name != 'x'")).toMatchObject({ field: { kind: "attribute", key: "run_name" } });
    expect(parseRunFilter("metrics.loss < inf")).toMatchObject({ value: Number.POSITIVE_INFINITY });
    expect(parseRunFilter("metrics.loss > -Infinity")).toMatchObject({ value: Number.NEGATIVE_INFINITY });
    expect(parseRunFilter("metrics.loss <> 1")).toMatchObject({ op: "!=" });
    expect(parseRunFilter("params.x = 'it''s' and params.y = 'it\\'s'")).toMatchObject({
      children: [{ value: "it's" }, { value: "it's" }],
    });
    expect(parseRunFilter("metrics.a-b.c >= 2")).toMatchObject({ field: { key: "a-b.c" } });
    expect(parseRunFilter("attributes.start_time > '1700000000000'")).toMatchObject({ value: 1_700_000_000_000 });
    expect(parseRunFilter("datasets.Name = 'iris' and dataset.context IN ('train')")).toMatchObject({
      children: [{ field: { kind: "dataset", key: "name" } }, { field: { kind: "dataset", key: "context" } }],
    });
    expect(parseRunFilter("   ")).toBeUndefined();
    expect(parseRunFilter(undefined)).toBeUndefined();
  });

  it("accepts MLflow's forms: upper-case statuses, IS [NOT] NULL, backticked keys, attribute spellings", () => {
    expect(parseRunFilter("attributes.status = 'FINISHED'")).toEqual({
      type: "compare",
      field: { kind: "attribute", key: "status" },
      op: "=",
      value: "finished",
    });
    expect(parseRunFilter("attributes.status IN ('Running', \"KILLED\")")).toMatchObject({
      values: ["running", "killed"],
    });
    expect(parseRunFilter("attributes.status LIKE 'FIN%'")).toMatchObject({ pattern: "FIN%", caseInsensitive: true });
    expect(parseRunFilter("metrics.acc IS NULL")).toEqual({
      type: "null",
      field: { kind: "metric", key: "acc" },
      negated: false,
    });
    expect(parseRunFilter("params.`a.b` is not null")).toEqual({
      type: "null",
      field: { kind: "param", key: "a.b" },
      negated: true,
    });
    expect(parseRunFilter("tags.x IS NULL and attributes.end_time IS NOT NULL")).toMatchObject({
      children: [
        { type: "null", negated: false },
        { type: "null", field: { key: "end_time" }, negated: true },
      ],
    });
    expect(parseRunFilter("metrics.`val loss` < 1")).toMatchObject({ field: { kind: "metric", key: "val loss" } });
    expect(parseRunFilter("tags.`a.b c` = 'x'")).toMatchObject({ field: { kind: "tag", key: "a.b c" } });
    expect(parseRunFilter("attributes.created > 5")).toMatchObject({ field: { key: "start_time" }, value: 5 });
    expect(parseRunFilter("attributes.start_time > 5")).toMatchObject({ field: { key: "start_time" } });
    expect(parseRunFilter("attributes.`Run name` = 'x'")).toMatchObject({ field: { key: "run_name" } });
    expect(parseRunFilter("attributes.run_name = 'x'")).toMatchObject({ field: { key: "run_name" } });
    expect(parseRunFilter("attributes.run_id = 'x'")).toMatchObject({ field: { key: "run_id" } });
    expect(parseRunOrder("attributes.created DESC")).toEqual([
      { field: { kind: "attribute", key: "start_time" }, descending: true },
    ]);
  });

  it("refuses an unknown status value, naming the allowed ones, before any store sees it", () => {
    for (const [filter, pos] of [
      ["attributes.status = 'DONE'", 21],
      ["attributes.status IN ('FINISHED', 'SCHEDULED')", 35],
      ["attributes.status != ''", 22],
    ] as const) {
      const e = errorOf(() => parseRunFilter(filter));
      expect(e.code, filter).toBe("VALIDATION");
      expect(e.message, filter).toContain(`position ${pos}`);
      expect(e.message, filter).toMatch(/unknown status '.*'; allowed: running, finished, failed, killed, crashed/);
    }
    // A pattern is not a status value.
    expect(parseRunFilter("attributes.status LIKE 'D%'")).toMatchObject({ type: "like" });
    expect(parseRunFilter("params.status = 'DONE'")).toMatchObject({ value: "DONE" });
  });

  it("names the 1-based position of a malformed filter", () => {
    const cases: Array<[string, number, RegExp]> = [
      ["metrics.acc >> 3", 14, /compares to numbers/],
      ["metrics.acc > 0.9 and", 22, /expected a condition/],
      ["metrics.acc > 0.9 and (params.a = 'x'", 38, /expected '\)' to close the '\(' at position 23/],
      ["params.a = 'unterminated", 12, /unterminated/],
      ["params.a = 1", 12, /quote the value/],
      ["acc > 1", 1, /must start with metrics\./],
      ["attributes.colour = 'red'", 1, /unknown attribute 'colour'/],
      ["metrics.acc LIKE 'x'", 13, /LIKE applies to params/],
      ["metrics.acc > 1 metrics.b > 2", 17, /expected AND, OR or the end/],
      ["params.a IN ('x' 'y')", 18, /expected ',' or '\)'/],
      ["params.a = 'x' ; DROP TABLE tracking_runs", 16, /unexpected character ';'/],
      ["metrics.acc > 1x", 15, /malformed number/],
      ["params.a NOT = 'x'", 14, /expected IN, LIKE or ILIKE after NOT/],
      ["(metrics.a > 1))", 16, /expected AND, OR or the end/],
      ["datasets.size = '1'", 1, /unknown dataset field 'size'/],
      ["metrics.acc IS 1", 16, /expected NULL or NOT NULL after IS/],
      ["metrics.acc IS NOT", 19, /expected NULL or NOT NULL after IS/],
      ["datasets.name IS NULL", 15, /IS NULL applies to metrics, params, tags and attributes/],
      ["params.a NOT IS NULL", 14, /expected IN, LIKE or ILIKE after NOT/],
      ["metrics.`val loss > 1", 9, /unterminated `-quoted text/],
    ];
    for (const [filter, pos, message] of cases) {
      const e = errorOf(() => parseRunFilter(filter));
      expect(e.code, filter).toBe("VALIDATION");
      expect(e.message, filter).toContain(`position ${pos}`);
      expect(e.message, filter).toMatch(message);
      expect(e.details.position, filter).toBe(pos - 1);
      expect(e.issues[0].path, filter).toEqual(["filter", pos - 1]);
    }
  });

  it("bounds nesting, IN lists and condition counts with VALIDATION errors", () => {
    const deep = `${"(".repeat(65)}params.a = 'x'${")".repeat(65)}`;
    expect(errorOf(() => parseRunFilter(deep)).message).toMatch(/position 65: parentheses nest deeper than 64/);
    expect(parseRunFilter(`${"(".repeat(64)}params.a = 'x'${")".repeat(64)}`)).toMatchObject({ type: "compare" });
    const bigIn = `params.a IN (${Array.from({ length: 1001 }, (_, i) => `'${i}'`).join(", ")})`;
    expect(errorOf(() => parseRunFilter(bigIn)).message).toMatch(/at most 1000 values/);
    const many = Array.from({ length: 201 }, (_, i) => `params.a = '${i}'`).join(" or ");
    expect(errorOf(() => parseRunFilter(many)).message).toMatch(/at most 200 conditions/);
    expect(errorOf(() => parseRunFilter("x".repeat(100_001))).message).toMatch(/longer than 100000/);
  });
});

describe("parseRunOrder", () => {
  it("parses fields with optional direction", () => {
    expect(parseRunOrder(["metrics.acc DESC", "attributes.start_time", "params.lr asc"])).toEqual([
      { field: { kind: "metric", key: "acc" }, descending: true },
      { field: { kind: "attribute", key: "start_time" }, descending: false },
      { field: { kind: "param", key: "lr" }, descending: false },
    ]);
    expect(parseRunOrder("metrics.`a b` desc")).toEqual([{ field: { kind: "metric", key: "a b" }, descending: true }]);
    expect(parseRunOrder(undefined)).toEqual([]);
  });

  it("rejects unknown fields and trailing text with the term and position", () => {
    const e = errorOf(() => parseRunOrder(["metrics.acc", "metrics.acc DESC; drop"]));
    expect(e.code).toBe("VALIDATION");
    expect(e.message).toContain("orderBy[1] is invalid at position 17");
    expect(errorOf(() => parseRunOrder(["acc"])).message).toMatch(/must start with metrics\./);
    expect(errorOf(() => parseRunOrder(["metrics.acc sideways"])).message).toMatch(/expected ASC, DESC/);
    expect(errorOf(() => parseRunOrder(["datasets.name"])).message).toMatch(/cannot be ordered by dataset/);
  });
});

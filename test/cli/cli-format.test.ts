// The pieces the commands print with, in process: sparklines, the caret under a filter's error,
// trees, tables, when colour is on, and the parsing of the docs' console examples.
import { describe, expect, it } from "vitest";
import { caretLines, formatElapsed, sparkline, toJson } from "../../src/cli/cli-format.js";
import { renderTable } from "../../src/cli/cli-table.js";
import { colorEnabled } from "../../src/cli/cli-terminal.js";
import { renderTree } from "../../src/cli/tree-format.js";
import { consoleExamples, missingLine, shellWords } from "./console-examples.js";

describe("sparkline", () => {
  it("maps lowest to ▁ and highest to █", () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([3, 3, 3])).toBe("▄▄▄");
    expect(sparkline([])).toBe("");
  });

  it("averages into `width` buckets, and shows what is not finite as a space", () => {
    expect(sparkline([0, 0, 10, 10], 2)).toBe("▁█");
    expect(
      sparkline(
        Array.from({ length: 1000 }, (_, i) => i),
        10,
      ),
    ).toHaveLength(10);
    expect(sparkline([1, Number.NaN, 2])).toBe("▁ █");
  });
});

describe("caretLines", () => {
  it("puts a caret under the position", () => {
    expect(caretLines("metrics.acc >> 0.9", 13)).toEqual(["metrics.acc >> 0.9", "             ^"]);
    expect(caretLines("a", 1)).toEqual(["a", " ^"]);
  });

  it("cuts a long text around the position", () => {
    const text = `${"x".repeat(200)}!${"y".repeat(200)}`;
    const [line, caret] = caretLines(text, 200, 40);
    expect(line.startsWith("…") && line.endsWith("…")).toBe(true);
    expect(line[caret.indexOf("^")]).toBe("!");
  });
});

describe("renderTree", () => {
  it("draws branches and marks a node reached again instead of expanding it twice", () => {
    const children: Record<string, string[]> = { a: ["b", "c"], b: ["d"], c: ["d"], d: [] };
    expect(renderTree(["a"], { label: (id) => id, children: (id) => children[id] })).toEqual([
      "a",
      "├── b",
      "│   └── d",
      "└── c",
      "    └── d (↑ above)",
    ]);
  });

  it("stops on a cycle", () => {
    expect(renderTree(["a"], { label: (id) => id, children: (id) => (id === "a" ? ["b"] : ["a"]) })).toEqual([
      "a",
      "└── b",
      "    └── a (↑ above)",
    ]);
  });
});

describe("renderTable", () => {
  it("pads columns two spaces apart, numbers on the right, no trailing spaces, one line per cell", () => {
    expect(
      renderTable(
        [{ heading: "NAME" }, { heading: "ROWS", right: true }, { heading: "NOTE" }],
        [
          ["churn", "200", ""],
          ["a\nb", "1", "two\nlines"],
        ],
      ),
    ).toEqual(["NAME   ROWS  NOTE", "churn   200", "a b       1  two lines"]);
  });
});

describe("colorEnabled", () => {
  const tty = { isTTY: true };
  it("on a terminal only, never with NO_COLOR or --no-color, always with FORCE_COLOR", () => {
    expect(colorEnabled(tty, {}, [])).toBe(true);
    expect(colorEnabled({ isTTY: false }, {}, [])).toBe(false);
    expect(colorEnabled(tty, { TERM: "dumb" }, [])).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "1" }, [])).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "" }, [])).toBe(true);
    expect(colorEnabled(tty, {}, ["node", "mlcycle", "runs", "list", "--no-color"])).toBe(false);
    expect(colorEnabled(tty, {}, ["node", "mlcycle", "runs", "search", "--", "--no-color"])).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" }, [])).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "0" }, [])).toBe(false);
  });
});

describe("small formats", () => {
  it("elapsed times and JSON without NaN", () => {
    expect([
      formatElapsed(0, 250),
      formatElapsed(0, 4_200),
      formatElapsed(0, 185_000),
      formatElapsed(0, 7_800_000),
    ]).toEqual(["250ms", "4.2s", "3m 05s", "2h 10m"]);
    expect(formatElapsed(0, undefined)).toBe("-");
    expect(toJson({ a: Number.NaN, b: [Number.POSITIVE_INFINITY, 1] })).toBe('{"a":null,"b":[null,1]}');
  });
});

describe("console examples", () => {
  it("splits words as a shell does", () => {
    expect(shellWords(`runs search "metrics.acc > 0.9 and params.m IN ('a', 'b')" -o 'x y'`)).toEqual([
      "runs",
      "search",
      "metrics.acc > 0.9 and params.m IN ('a', 'b')",
      "-o",
      "x y",
    ]);
  });

  it("reads commands, exit codes and outputs; compares ids, times and widths loosely", () => {
    const md = [
      "```console",
      "$ mlcycle runs list",
      "ID  NAME",
      "$ mlcycle x   # exits with 2",
      "mlcycle: no",
      "```",
    ].join("\n");
    expect(consoleExamples(md)).toEqual([
      { line: 2, args: ["runs", "list"], exitCode: 0, output: ["ID  NAME"] },
      { line: 4, args: ["x"], exitCode: 2, output: ["mlcycle: no"] },
    ]);
    const printed = ["ID                          STARTED", "01M8QJCVHZZP7TJC0GJ76QCA9D  2026-12-01 01:10:57Z", "more"];
    expect(
      missingLine(["ID   STARTED", "01ARZ3NDEKTSV4RRFFQ69G5FAV  2025-03-01 09:00:00Z", "…"], printed),
    ).toBeUndefined();
    expect(missingLine(["ID STARTED", "mo…"], printed)).toBeUndefined();
    expect(missingLine(["other"], printed)).toBe("other");
  });
});

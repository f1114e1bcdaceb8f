import { describe, expect, it } from "vitest";
import { type CsvRun, csvField, runsToCsv, writeCsv } from "../../src/tracking/runs-csv.js";

/** A strict RFC 4180 reader, to prove what the writer wrote reads back field for field. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r") {
        if (text[i] === '"' || text[i] === "\n") throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] !== "\r" || text[i + 1] !== "\n") throw new Error(`expected CRLF at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
    if (i === text.length) return rows;
  }
}

describe("csvField and writeCsv", () => {
  it("quotes fields holding commas, quotes, CR or LF, doubling inner quotes, and ends lines with CRLF", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("")).toBe("");
    expect(csvField(" spaced ")).toBe(" spaced ");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    expect(csvField('"')).toBe('""""');
    expect(
      writeCsv([
        ["a", "b"],
        ["1", "x,y"],
      ]),
    ).toBe('a,b\r\n1,"x,y"\r\n');
    expect(writeCsv([])).toBe("");
    const tricky = [
      ["h1", "h2", "h3"],
      ['"quoted"', "comma, inside", "line\r\nbreak"],
      ["", "'single'", "x'; DROP TABLE tracking_runs; --"],
      ["ünïcødé ✓", "tab\there", '""'],
    ];
    expect(readCsv(writeCsv(tricky))).toEqual(tricky);
  });
});

describe("runsToCsv", () => {
  const run = (over: Partial<CsvRun>): CsvRun => ({
    id: "01J0000000000000000000000A",
    name: "r",
    experimentId: "E1",
    status: "finished",
    startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
    params: {},
    metrics: {},
    tags: {},
    ...over,
  });

  it("writes the run columns, then params, metrics and tags sorted by key, empty where a run lacks a key", () => {
    const csv = runsToCsv([
      run({
        id: "A",
        name: 'rf "big", v2',
        endTime: Date.UTC(2024, 0, 2, 3, 5, 0, 0),
        params: { trees: "100", model: "rf" },
        metrics: { acc: 0.1 + 0.2, loss: Number.NaN },
        tags: { note: "line one\nline two" },
      }),
      run({
        id: "B",
        name: "lr",
        status: "running",
        params: { model: "lr" },
        metrics: { acc: Number.POSITIVE_INFINITY, auc: -Number.POSITIVE_INFINITY },
      }),
    ]);
    expect(csv.split("\r\n")[0]).toBe(
      "run_id,run_name,experiment_id,status,start_time,end_time,params.model,params.trees,metrics.acc,metrics.auc,metrics.loss,tags.note",
    );
    expect(readCsv(csv)).toEqual([
      [
        "run_id",
        "run_name",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "params.model",
        "params.trees",
        "metrics.acc",
        "metrics.auc",
        "metrics.loss",
        "tags.note",
      ],
      [
        "A",
        'rf "big", v2',
        "E1",
        "finished",
        "2024-01-02T03:04:05.678Z",
        "2024-01-02T03:05:00.000Z",
        "rf",
        "100",
        "0.30000000000000004",
        "",
        "NaN",
        "line one\nline two",
      ],
      ["B", "lr", "E1", "running", "2024-01-02T03:04:05.678Z", "", "lr", "", "Infinity", "-Infinity", "", ""],
    ]);
  });

  it("writes a -0 metric as -0 (String(-0) wrote 0)", () => {
    expect(readCsv(runsToCsv([run({ metrics: { z: -0, p: 0 } })]))[1].slice(-2)).toEqual(["0", "-0"]);
  });

  it("quotes keys that need it in the header and writes only the header for no runs", () => {
    expect(readCsv(runsToCsv([run({ params: { "a,b": "1" }, tags: { 'say "x"': "y" } })]))[0]).toEqual([
      "run_id",
      "run_name",
      "experiment_id",
      "status",
      "start_time",
      "end_time",
      "params.a,b",
      'tags.say "x"',
    ]);
    expect(runsToCsv([])).toBe("run_id,run_name,experiment_id,status,start_time,end_time\r\n");
  });
});

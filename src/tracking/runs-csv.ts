/**
 * Runs as CSV (RFC 4180): one header line, one line per run, CRLF line ends, and a field quoted
 * when it holds a comma, a double quote, CR or LF (a quote inside is doubled).
 */

/** The parts of a run the CSV export reads (a {@link RunInfo}-shaped value). */
export interface CsvRun {
  id: string;
  name: string;
  experimentId: string;
  status: string;
  startTime: number;
  endTime?: number;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

/**
 * One CSV field: quoted when it holds `,`, `"`, CR or LF, with inner quotes doubled.
 *
 * @example
 * ```ts
 * csvField('say "hi", twice'); // "\"say \"\"hi\"\", twice\""
 * ```
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Rows of text fields as an RFC 4180 document: fields joined by `,`, every line ended by CRLF.
 *
 * @example
 * ```ts
 * writeCsv([["a", "b"], ["1", "x,y"]]); // "a,b\r\n1,\"x,y\"\r\n"
 * ```
 */
export function writeCsv(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return rows.map((row) => `${row.map(csvField).join(",")}\r\n`).join("");
}

/**
 * `NaN`, `Infinity` and `-Infinity` as written; other numbers in their shortest exact form, `-0`
 * with its sign (`String(-0)` is `"0"`).
 */
const metricText = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/** Epoch ms as ISO 8601 UTC (exact to the millisecond). */
const timeText = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString());

/**
 * Runs as CSV with the columns `run_id, run_name, experiment_id, status, start_time, end_time`
 * (times ISO 8601 UTC), then `params.<key>`, `metrics.<key>` (latest values) and `tags.<key>`, each
 * group sorted by key over every run's keys; a run lacking a key leaves its field empty.
 *
 * @example
 * ```ts
 * const { runs } = await ws.experiments.searchRuns({ experiments: "iris" });
 * await writeFile("runs.csv", runsToCsv(runs));
 * ```
 */
export function runsToCsv(runs: readonly CsvRun[]): string {
  const keys = (pick: (r: CsvRun) => Record<string, unknown>) =>
    [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  const params = keys((r) => r.params);
  const metrics = keys((r) => r.metrics);
  const tags = keys((r) => r.tags);
  const header = [
    "run_id",
    "run_name",
    "experiment_id",
    "status",
    "start_time",
    "end_time",
    ...params.map((k) => `params.${k}`),
    ...metrics.map((k) => `metrics.${k}`),
    ...tags.map((k) => `tags.${k}`),
  ];
  const rows = runs.map((r) => [
    r.id,
    r.name,
    r.experimentId,
    r.status,
    timeText(r.startTime),
    timeText(r.endTime),
    ...params.map((k) => (Object.hasOwn(r.params, k) ? r.params[k] : "")),
    ...metrics.map((k) => (Object.hasOwn(r.metrics, k) ? metricText(r.metrics[k]) : "")),
    ...tags.map((k) => (Object.hasOwn(r.tags, k) ? r.tags[k] : "")),
  ]);
  return writeCsv([header, ...rows]);
}

import { type Command, Option } from "commander";
import { MlcycleError, type RunInfo, type Workspace } from "../index.js";
import { type CliOutput, UsageError, withPosition } from "./cli-errors.js";
import { plural, printJson, printLines } from "./cli-format.js";
import { collect, intOption, jsonOption, limitOption, type ReadOptions, workspaceOption } from "./cli-options.js";
import { plainTerminal } from "./cli-terminal.js";
import { withWorkspace } from "./cli-workspace.js";
import { experimentNames, findRun } from "./run-lookup.js";
import {
  comparisonLines,
  defaultColumns,
  historyLine,
  parseColumn,
  type RunColumn,
  type RunDetail,
  runLines,
  runsTable,
} from "./runs-format.js";

interface SearchCommandOptions extends ReadOptions {
  experiment?: string[];
  filter?: string;
  orderBy?: string[];
  limit: number;
  all?: boolean;
  deleted?: boolean;
  columns?: string;
}

interface HistoryOptions extends ReadOptions {
  width?: number;
  startStep?: number;
  endStep?: number;
}

/** The width of sparklines: `--width`, else what the terminal leaves beside the numbers, else 40. */
function sparkWidth(io: CliOutput, asked: number | undefined): number {
  if (asked !== undefined) return asked;
  const columns = io.terminal?.columns;
  return columns ? Math.max(10, Math.min(120, columns - 70)) : 40;
}

function columnsOf(list: string | undefined, runs: RunInfo[]): RunColumn[] {
  if (list === undefined) return defaultColumns(runs);
  return list
    .split(",")
    .filter((c) => c.trim() !== "")
    .map((name) => {
      const c = parseColumn(name);
      if (!c) throw new UsageError(`--columns: '${name}' is not metrics.KEY, params.KEY or tags.KEY`);
      return c;
    });
}

/** `runs list` and `runs search`: a page of runs, as a table or JSON. */
async function search(io: CliOutput, options: SearchCommandOptions, filter: string | undefined): Promise<void> {
  const color = (io.terminal ?? plainTerminal).color;
  const lifecycle = options.all ? "all" : options.deleted ? "deleted" : "active";
  const { page, names } = await withWorkspace(options.workspace, async (ws) => {
    const page = await ws.experiments
      .searchRuns({
        ...(options.experiment ? { experiments: options.experiment } : {}),
        ...(filter !== undefined ? { filter } : {}),
        ...(options.orderBy ? { orderBy: options.orderBy } : {}),
        maxResults: options.limit,
        lifecycle,
      })
      .catch((error: unknown) => {
        throw withPosition(error);
      });
    return { page, names: await experimentNames(ws) };
  });
  if (options.json) return printJson(io, page.runs);
  if (page.runs.length === 0) return io.out(filter ? "no runs match" : "no runs");
  printLines(io, runsTable(page.runs, names, columnsOf(options.columns, page.runs), color));
  if (page.nextPageToken)
    io.out(color.dim(`(the first ${plural(page.runs.length, "run")}: more match; raise --limit to see them)`));
}

/** What `runs show` reads. */
async function detail(ws: Workspace, ref: string, width: number): Promise<RunDetail> {
  const run = await findRun(ws, ref);
  const [experiment, artifacts, inputs, children] = await Promise.all([
    ws.experiments.get(run.experimentId),
    ws.experiments.listArtifacts(run.id),
    ws.experiments.listInputs(run.id),
    ws.experiments.childRuns(run.id),
  ]);
  const history: RunDetail["history"] = {};
  for (const key of Object.keys(run.metrics).sort().slice(0, 100))
    history[key] = await ws.experiments.metricHistory(run.id, key, { maxPoints: Math.max(2, width) });
  return { run, experiment: experiment.name, artifacts, inputs, children, history };
}

/** Adds `mlcycle runs list | search | show | compare | history`. */
export function addRunsCommands(program: Command, io: CliOutput): void {
  const color = (io.terminal ?? plainTerminal).color;
  const runs = program
    .command("runs")
    .description("tracking runs: list, search with the filter language, show, compare, metric history");

  const searchOptions = (c: Command) =>
    c
      .option("-e, --experiment <name>", "only runs of this experiment (name or id; repeatable)", collect)
      .option(
        "-o, --order-by <term>",
        "order, e.g. 'metrics.acc DESC' (repeatable; default attributes.start_time DESC)",
        collect,
      )
      .addOption(limitOption("runs", 100))
      .option("--all", "active and deleted runs")
      .option("--deleted", "deleted runs only")
      .option(
        "--columns <list>",
        "extra columns, comma-separated: metrics.KEY, params.KEY, tags.KEY (default: up to 4 metrics and 2 params)",
      )
      .addOption(workspaceOption())
      .addOption(jsonOption("an array of the runs"));

  searchOptions(
    runs
      .command("list")
      .description("runs, newest first (of every experiment, or those of --experiment)")
      .option("-f, --filter <filter>", "only runs matching a filter (see: mlcycle runs search --help)"),
  ).action((options: SearchCommandOptions) => search(io, options, options.filter));

  searchOptions(
    runs
      .command("search")
      .description("runs matching a filter of the run filter language")
      .argument(
        "<FILTER>",
        "e.g. \"metrics.acc > 0.9 and (params.model = 'rf' or tags.team LIKE 'ml%')\": metrics., params., tags., " +
          "attributes. (status, run_name, start_time…), datasets.; = != < <= > >=, LIKE, ILIKE, IN, IS NULL, AND, OR, ( )",
      ),
  ).action((filter: string, options: SearchCommandOptions) => search(io, options, filter));

  runs
    .command("show")
    .description("a run: status, params, metrics with their history, tags, artifacts, dataset inputs, child runs")
    .argument("<RUN>", "run id (or a run name that only one run has)")
    .addOption(new Option("--width <n>", "width of the sparklines").argParser(intOption("--width", 2, 1000)))
    .addOption(workspaceOption())
    .addOption(jsonOption("{ run, experiment, artifacts, inputs, children, history }"))
    .action(async (ref: string, options: HistoryOptions) => {
      const width = sparkWidth(io, options.width);
      const d = await withWorkspace(options.workspace, (ws) => detail(ws, ref, width));
      if (options.json) return printJson(io, d);
      printLines(io, runLines(d, width, color));
    });

  runs
    .command("compare")
    .description("several runs side by side: status, params and latest metrics, with the rows that differ marked ≠")
    .argument("<RUN...>", "two or more run ids (or names)")
    .option("--diff", "only the rows whose values differ")
    .addOption(workspaceOption())
    .addOption(jsonOption("{ runs, params, metrics }"))
    .action(async (refs: string[], options: ReadOptions & { diff?: boolean }) => {
      if (refs.length < 2) throw new UsageError("runs compare needs at least two runs");
      const comparison = await withWorkspace(options.workspace, async (ws) => {
        const ids: string[] = [];
        for (const ref of refs) ids.push((await findRun(ws, ref)).id);
        return ws.experiments.compareRuns(ids);
      });
      if (options.json) return printJson(io, comparison);
      printLines(io, comparisonLines(comparison, options.diff ?? false, color));
    });

  runs
    .command("history")
    .alias("metric")
    .description("a run's metric history as a sparkline (every metric of the run when no KEY is given)")
    .argument("<RUN>", "run id (or name)")
    .argument("[KEY...]", "metric keys")
    .addOption(new Option("--width <n>", "at most this many characters").argParser(intOption("--width", 2, 1000)))
    .addOption(new Option("--start-step <n>", "from this step").argParser(intOption("--start-step", 0, 2 ** 53 - 1)))
    .addOption(new Option("--end-step <n>", "up to this step").argParser(intOption("--end-step", 0, 2 ** 53 - 1)))
    .addOption(workspaceOption())
    .addOption(
      jsonOption("{ run, metrics: { KEY: [{ step, value, timestamp }] } } (downsampled to --width points when given)"),
    )
    .action(async (ref: string, keys: string[], options: HistoryOptions) => {
      const width = sparkWidth(io, options.width);
      const range = {
        ...(options.startStep !== undefined ? { startStep: options.startStep } : {}),
        ...(options.endStep !== undefined ? { endStep: options.endStep } : {}),
      };
      const { run, metrics } = await withWorkspace(options.workspace, async (ws) => {
        const run = await findRun(ws, ref);
        const known = Object.keys(run.metrics).sort();
        for (const key of keys)
          if (!Object.hasOwn(run.metrics, key))
            throw new MlcycleError(
              "NOT_FOUND",
              `run ${run.name} (${run.id}) has no metric '${key}': ${known.length ? `its metrics are ${known.join(", ")}` : "it has logged none"}`,
              { details: { kind: "metric", key } },
            );
        const wanted = keys.length ? keys : known;
        const metrics: Record<string, Awaited<ReturnType<Workspace["experiments"]["metricHistory"]>>> = {};
        for (const key of wanted) {
          // JSON gets every point unless a width was asked for; the sparkline needs `width` points at most.
          const maxPoints = options.json && options.width === undefined ? undefined : Math.max(2, width);
          metrics[key] = await ws.experiments.metricHistory(run.id, key, {
            ...range,
            ...(maxPoints !== undefined ? { maxPoints } : {}),
          });
        }
        return { run, metrics };
      });
      if (options.json) return printJson(io, { run: run.id, metrics });
      const entries = Object.entries(metrics);
      if (entries.length === 0) return io.out(`run ${run.name} (${run.id}) has logged no metrics`);
      const keyWidth = Math.max(...entries.map(([k]) => k.length));
      for (const [key, points] of entries) io.out(`${key.padEnd(keyWidth)}  ${historyLine(points, width, color)}`);
    });
}

import { type Command, Option } from "commander";
import { isMlcycleError, MlcycleError, type MonitorSummary, type Workspace } from "../index.js";
import type { CliOutput } from "./cli-errors.js";
import { openCliWorkspace, workspaceDir } from "./cli-workspace.js";
import { alertsTable, monitorsTable, statusLines } from "./monitor-format.js";
import { intOption } from "./cli-options.js";

/** Options every `mlcycle monitors …` command takes. */
interface ReadOptions {
  workspace?: string;
  json?: boolean;
}

interface AlertsOptions extends ReadOptions {
  open?: boolean;
  limit: number;
}

/** What `--json` prints of a monitor: what `ws.monitors` reports, without `open` (open in this process, never true here). */
function withoutOpen<T extends Pick<MonitorSummary, "open">>(m: T): Omit<T, "open"> {
  const { open: _open, ...rest } = m;
  return rest;
}

/** Runs `use` on the workspace of `--workspace` (which must exist), closing it after. */
async function withWorkspace<T>(options: ReadOptions, use: (ws: Workspace, dir: string) => Promise<T>): Promise<T> {
  const dir = workspaceDir(options.workspace);
  const ws = await openCliWorkspace(dir, {
    mustExist: true,
    hint: "point --workspace or MLCYCLE_WORKSPACE at a workspace whose service opens monitors",
  });
  try {
    return await use(ws, dir);
  } finally {
    await ws.close();
  }
}

/** `NOT_FOUND` naming the monitors that exist, for a monitor name that does not. */
async function unknownMonitor(ws: Workspace, name: string, dir: string): Promise<MlcycleError> {
  const names = (await ws.monitors.list()).map((m) => m.name);
  return new MlcycleError(
    "NOT_FOUND",
    `monitor '${name}' not found in ${dir}: ` +
      (names.length ? `its monitors are ${names.join(", ")}` : "it has no monitors yet"),
    { details: { kind: "monitor", key: name } },
  );
}

const workspaceOption = () =>
  new Option("-w, --workspace <dir>", "workspace folder (default: $MLCYCLE_WORKSPACE, else ./.mlcycle)");

/** Adds `mlcycle monitors list`, `mlcycle monitors status NAME` and `mlcycle monitors alerts [NAME]`. */
export function addMonitorsCommands(program: Command, io: CliOutput): void {
  const monitors = program
    .command("monitors")
    .description("monitors of a workspace: their windows, drift, references and alerts");

  monitors
    .command("list")
    .description("list the monitors: what each watches, its latest window and its open alerts")
    .addOption(workspaceOption())
    .option("--json", "print a JSON array of the monitors")
    .action(async (options: ReadOptions) => {
      await withWorkspace(options, async (ws, dir) => {
        const all = await ws.monitors.list();
        if (options.json) io.out(JSON.stringify(all.map(withoutOpen)));
        else if (all.length === 0) io.out(`no monitors in ${dir}`);
        else for (const line of monitorsTable(all)) io.out(line);
      });
    });

  monitors
    .command("status")
    .description("show a monitor: settings, rules, reference profiles, the latest window's drift and the open alerts")
    .argument("<NAME>", "the monitor")
    .addOption(workspaceOption())
    .option("--json", "print the status as one JSON object (the latest window's full report included)")
    .action(async (name: string, options: ReadOptions) => {
      await withWorkspace(options, async (ws, dir) => {
        const status = await ws.monitors.status(name).catch(async (error: unknown) => {
          throw isMlcycleError(error, "NOT_FOUND") ? await unknownMonitor(ws, name, dir) : error;
        });
        if (options.json) io.out(JSON.stringify(withoutOpen(status)));
        else for (const line of statusLines(status)) io.out(line);
      });
    });

  monitors
    .command("alerts")
    .description("list alerts, newest first: of every monitor, or of one")
    .argument("[NAME]", "only this monitor's alerts")
    .option("--open", "only the alerts still open")
    .addOption(
      new Option("--limit <n>", "at most this many alerts").default(100).argParser(intOption("--limit", 1, 10_000)),
    )
    .addOption(workspaceOption())
    .option("--json", "print a JSON array of the alerts")
    .action(async (name: string | undefined, options: AlertsOptions) => {
      await withWorkspace(options, async (ws, dir) => {
        if (name !== undefined && !(await ws.monitors.list()).some((m) => m.name === name))
          throw await unknownMonitor(ws, name, dir);
        const alerts = await ws.monitors.alerts({
          ...(name !== undefined ? { monitor: name } : {}),
          ...(options.open ? { status: "open" as const } : {}),
          limit: options.limit,
        });
        if (options.json) io.out(JSON.stringify(alerts));
        else if (alerts.length === 0)
          io.out(`no ${options.open ? "open " : ""}alerts${name !== undefined ? ` of monitor ${name}` : ""}`);
        else for (const line of alertsTable(alerts)) io.out(line);
      });
    });
}

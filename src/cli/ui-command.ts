import { type Command, Option } from "commander";
import { createDashboardHandler, type HttpAuth, serveHttp } from "../http/index.js";
import { type CliOutput, UsageError } from "./cli-errors.js";
import { intOption } from "./cli-options.js";
import { nextSignal } from "./cli-signals.js";
import { loadUserModule, openCliWorkspace, workspaceDir } from "./cli-workspace.js";

/** Options of `mlcycle ui`, as commander gives them. */
interface UiOptions {
  port: number;
  host: string;
  workspace?: string;
  token?: string;
  writes?: boolean;
  basePath?: string;
  module?: string;
  actor?: string;
}

/** Adds `mlcycle ui`: the dashboard over a workspace until SIGINT or SIGTERM. */
export function addUiCommand(program: Command, io: CliOutput): void {
  program
    .command("ui")
    .description(
      "the dashboard: experiments and runs, pipelines, registry, features, deployments and monitors in the browser (read-only unless --writes)",
    )
    .addOption(
      new Option("-p, --port <port>", "port (0: a free one)").default(5050).argParser(intOption("--port", 0, 65535)),
    )
    .option("-h, --host <host>", "interface to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .option("-w, --workspace <dir>", "workspace folder (default: $MLCYCLE_WORKSPACE, else ./.mlcycle)")
    .option("--token <token>", "bearer token the API asks for (default: $MLCYCLE_TOKEN, else none)")
    .option("--writes", "allow promoting and rolling back aliases and resuming pipeline runs from the page")
    .option("--actor <name>", "who writes from the page, in the audit trail (default: $MLCYCLE_ACTOR, else $USER)")
    .option("--base-path <path>", "serve under this path (e.g. /mlcycle)")
    .option(
      "--module <path>",
      "a module whose default (or register) export receives the workspace (pipelines' definitions, flavors)",
    )
    .helpOption("--help", "display help for command")
    .action(async (options: UiOptions) => {
      const token = options.token ?? process.env.MLCYCLE_TOKEN;
      if (token === "") throw new UsageError("the token is empty: set --token or MLCYCLE_TOKEN to a non-empty value");
      if (options.basePath !== undefined && !/^\/[^?#]*$/.test(options.basePath))
        throw new UsageError("--base-path must start with / (e.g. /mlcycle)");
      const auth: HttpAuth | false = token ? { token } : false;
      const actor = options.actor ?? process.env.MLCYCLE_ACTOR ?? process.env.USER ?? "dashboard";
      const stopped = nextSignal();
      const ws = await openCliWorkspace(workspaceDir(options.workspace), { mustExist: true });
      try {
        if (options.module) await loadUserModule(options.module, ws);
        const handler = createDashboardHandler(ws, {
          auth,
          writes: options.writes === true,
          actor: () => actor,
          ...(options.basePath ? { basePath: options.basePath } : {}),
        });
        const server = await serveHttp(handler, { port: options.port, host: options.host });
        if (!auth && options.host !== "127.0.0.1" && options.host !== "localhost")
          io.err(`mlcycle: no --token: anyone who reaches ${options.host} can read this workspace`);
        io.out(`dashboard of ${workspaceDir(options.workspace)}${options.writes ? " (writes on)" : " (read-only)"}`);
        io.out(`listening on ${server.url}${(options.basePath ?? "").replace(/\/+$/, "")}/`);
        const signal = await stopped;
        io.err(`mlcycle: ${signal}: stopping`);
        await server.close();
      } finally {
        await ws.close();
      }
    });
}

import { randomBytes } from "node:crypto";
import { type Command, Option } from "commander";
import { createHttpHandler, type HttpAuth, serveHttp } from "../http/index.js";
import { type CliOutput, UsageError } from "./cli-errors.js";
import { intOption } from "./cli-options.js";
import { nextSignal } from "./cli-signals.js";
import { loadUserModule, openCliWorkspace, workspaceDir } from "./cli-workspace.js";

/** Options of `mlcycle serve`, as commander gives them. */
interface ServeOptions {
  port: number;
  host: string;
  workspace?: string;
  token?: string;
  auth: boolean;
  module?: string;
  pollInterval?: number;
  drainTimeout: number;
  metrics?: boolean;
}

/** Adds `mlcycle serve MODEL_URI`. */
export function addServeCommand(program: Command, io: CliOutput): void {
  program
    .command("serve")
    .description("serve a registered model over HTTP (MLflow's scoring protocol) until SIGINT or SIGTERM")
    .argument("<MODEL_URI>", "the model to serve: models:/iris@champion, iris@3, iris@latest…")
    .addOption(
      new Option("-p, --port <port>", "port (0: a free one)").default(5000).argParser(intOption("--port", 0, 65535)),
    )
    .option("-h, --host <host>", "interface to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .option("-w, --workspace <dir>", "workspace folder (default: $MLCYCLE_WORKSPACE, else ./.mlcycle)")
    .option(
      "--token <token>",
      "bearer token clients must send (default: $MLCYCLE_TOKEN, else one is generated and printed)",
    )
    .option("--no-auth", "serve without authentication")
    .option(
      "--module <path>",
      "a module whose default (or register) export receives the workspace to register functions and flavors",
    )
    .addOption(
      new Option(
        "--poll-interval <ms>",
        "how often the alias is re-read for moves by other processes (0: never)",
      ).argParser(intOption("--poll-interval", 0, 86_400_000)),
    )
    .addOption(
      new Option("--drain-timeout <ms>", "longest wait for requests in flight on shutdown")
        .default(10_000)
        .argParser(intOption("--drain-timeout", 0, 3_600_000)),
    )
    .option(
      "--metrics",
      "also serve GET /metrics: the workspace's monitor figures in the Prometheus text format (authenticated as the other routes)",
    )
    .helpOption("--help", "display help for command")
    .action(async (uri: string, options: ServeOptions) => {
      if (!options.auth && options.token !== undefined)
        throw new UsageError("--token and --no-auth cannot be used together");
      let auth: HttpAuth | false = false;
      let generated = false;
      if (options.auth) {
        const token = options.token ?? process.env.MLCYCLE_TOKEN;
        if (token === "") throw new UsageError("the token is empty: set --token or MLCYCLE_TOKEN to a non-empty value");
        generated = token === undefined;
        auth = { token: token ?? randomBytes(24).toString("base64url") };
      }
      // Listening from the start: a signal during start-up stops the server as soon as it is up.
      const stopped = nextSignal();
      const ws = await openCliWorkspace(workspaceDir(options.workspace), { mustExist: true });
      try {
        if (options.module) await loadUserModule(options.module, ws);
        const deployment = await ws.serving.deploy(uri, {
          ...(options.pollInterval !== undefined ? { pollIntervalMs: options.pollInterval || false } : {}),
        });
        try {
          const handler = createHttpHandler(deployment, {
            auth,
            ...(options.metrics ? { metrics: ws.monitors.metricsHandler() } : {}),
          });
          const server = await serveHttp(handler, {
            port: options.port,
            host: options.host,
            drainTimeoutMs: options.drainTimeout,
          });
          const d = deployment.describe();
          if (generated && auth)
            io.out(
              `token: ${(auth as { token: string }).token} (generated: pass --token or MLCYCLE_TOKEN to choose one)`,
            );
          if (!auth)
            io.err("mlcycle: authentication is off (--no-auth): anyone who reaches this port can call the model");
          io.out(`serving ${d.model}@${d.version} (${d.flavor})`);
          if (options.metrics) io.out(`metrics on ${server.url}/metrics`);
          io.out(`listening on ${server.url}`);
          const signal = await stopped;
          io.err(`mlcycle: ${signal}: draining requests in flight`);
          await server.close();
        } finally {
          await deployment.close();
        }
      } finally {
        await ws.close();
      }
    });
}

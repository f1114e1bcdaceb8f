import { Command } from "commander";
import { packageVersion } from "../http/index.js";
import { addAbCommands } from "./ab-command.js";
import { type CliOutput, EXIT, reportError } from "./cli-errors.js";
import { addModelsCommands } from "./models-register-command.js";
import { addMonitorsCommands } from "./monitors-command.js";
import { addServeCommand } from "./serve-command.js";

/** The standard streams. */
export const stdio: CliOutput = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** The `mlcycle` command and its subcommands. Errors throw (exitOverride) instead of exiting. */
export function createProgram(io: CliOutput = stdio): Command {
  const program = new Command("mlcycle")
    .description("mlcycle: register and serve models, and read their monitors, from the command line")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, "")),
      writeErr: (s) => io.err(s.replace(/\n$/, "")),
      outputError: (s, write) => write(`mlcycle: ${s.replace(/^error: /, "")}`),
    })
    .showSuggestionAfterError();
  addServeCommand(program, io);
  addModelsCommands(program, io);
  addMonitorsCommands(program, io);
  addAbCommands(program, io);
  return program;
}

/** Runs `mlcycle` with `argv` (as `process.argv`) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliOutput = stdio): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

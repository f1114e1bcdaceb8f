import { Command } from "commander";
import { packageVersion } from "../http/index.js";
import { addAbCommands } from "./ab-command.js";
import { type CliOutput, EXIT, reportError } from "./cli-errors.js";
import { processTerminal } from "./cli-terminal.js";
import { addCompletionCommand } from "./completion-command.js";
import { addExperimentsCommands } from "./experiments-command.js";
import { addFeaturesCommands } from "./features-command.js";
import { addLineageCommands } from "./lineage-command.js";
import { addModelsCommands } from "./models-command.js";
import { addMonitorsCommands } from "./monitors-command.js";
import { addPipelinesCommands } from "./pipelines-command.js";
import { addRunsCommands } from "./runs-command.js";
import { addServeCommand } from "./serve-command.js";
import { addUiCommand } from "./ui-command.js";

/** The standard streams, with colours and progress bars where a person watches them. */
export function stdio(argv: readonly string[] = process.argv): CliOutput {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    terminal: processTerminal(argv),
  };
}

/** The `mlcycle` command and its subcommands. Errors throw (exitOverride) instead of exiting. */
export function createProgram(io: CliOutput = stdio()): Command {
  const program = new Command("mlcycle")
    .description(
      "mlcycle: the machine-learning lifecycle of a workspace from the command line — experiments and runs, " +
        "pipelines, the model registry, features, lineage, serving, online experiments and monitors",
    )
    .version(packageVersion(), "-V, --version")
    .option("--no-color", "no colour, even on a terminal (NO_COLOR=1 does the same)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, "")),
      writeErr: (s) => io.err(s.replace(/\n$/, "")),
      outputError: (s, write) => write(`mlcycle: ${s.replace(/^error: /, "")}`),
    })
    .showSuggestionAfterError();
  addExperimentsCommands(program, io);
  addRunsCommands(program, io);
  addModelsCommands(program, io);
  addPipelinesCommands(program, io);
  addFeaturesCommands(program, io);
  addLineageCommands(program, io);
  addServeCommand(program, io);
  addUiCommand(program, io);
  addMonitorsCommands(program, io);
  addAbCommands(program, io);
  addCompletionCommand(program, io);
  return program;
}

/** Runs `mlcycle` with `argv` (as `process.argv`) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliOutput = stdio(argv)): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

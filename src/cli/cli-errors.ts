import { CommanderError } from "commander";
import { isMlcycleError } from "../index.js";

/** Exit codes of `mlcycle`: 0 done, 1 the command failed, 2 it was called wrongly. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Where the CLI writes. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Reports an error as one line on stderr (`mlcycle: <message>`; the stack too when `MLCYCLE_DEBUG=1`)
 * and returns the exit code: 2 for a usage error, 0 for help and `--version`, 1 otherwise.
 */
export function reportError(error: unknown, io: CliOutput, debug = process.env.MLCYCLE_DEBUG === "1"): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already (help and --version exit with 0).
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`mlcycle: ${message.replace(/\s*\n\s*/g, " ")}`);
  if (debug && error instanceof Error && error.stack) io.err(error.stack);
  if (error instanceof UsageError) return EXIT.usage;
  if (isMlcycleError(error) && debug && error.cause)
    io.err(`cause: ${String((error.cause as Error)?.stack ?? error.cause)}`);
  return EXIT.failed;
}

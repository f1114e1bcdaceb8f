import { CommanderError } from "commander";
import { isMlcycleError, type MlcycleError } from "../index.js";
import { caretLines } from "./cli-format.js";
import type { Terminal } from "./cli-terminal.js";

/** Exit codes of `mlcycle`: 0 done, 1 the command failed, 2 it was called wrongly. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * A mistake in how the command was called (exit code 2). `detail`: lines printed under the message
 * (a filter with a caret under the character that does not parse).
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly detail: readonly string[];

  constructor(message: string, options: { detail?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options.detail ?? [];
  }
}

/**
 * A `VALIDATION` error of a text the user typed that carries where it went wrong (the run filter
 * language and order-by terms report `details.position` and `details.source`) as a {@link UsageError}
 * whose detail shows the text with a caret under that position; any other error as it is.
 */
export function withPosition(error: unknown): unknown {
  if (!isMlcycleError(error, "VALIDATION")) return error;
  const { position, source } = (error as MlcycleError).details;
  if (typeof position !== "number" || typeof source !== "string") return error;
  const [text, caret] = caretLines(source, position);
  return new UsageError(error.message, { detail: [`  ${text}`, `  ${caret}`], cause: error });
}

/** Where the CLI writes. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
  /** Colours and progress bars (none when absent). */
  terminal?: Terminal;
}

/**
 * Reports an error as one line on stderr (`mlcycle: <message>`, then the lines of a usage error's
 * detail; the stack too when `MLCYCLE_DEBUG=1`) and returns the exit code: 2 for a usage error, 0 for
 * help and `--version`, 1 otherwise.
 */
export function reportError(error: unknown, io: CliOutput, debug = process.env.MLCYCLE_DEBUG === "1"): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already (help and --version exit with 0).
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  const red = io.terminal?.errorColor.red ?? ((s: string) => s);
  io.err(`${red("mlcycle:")} ${message.replace(/\s*\n\s*/g, " ")}`);
  if (error instanceof UsageError) for (const line of error.detail) io.err(line);
  if (debug && error instanceof Error && error.stack) io.err(error.stack);
  if (error instanceof UsageError) return EXIT.usage;
  if (isMlcycleError(error) && debug && error.cause)
    io.err(`cause: ${String((error.cause as Error)?.stack ?? error.cause)}`);
  return EXIT.failed;
}

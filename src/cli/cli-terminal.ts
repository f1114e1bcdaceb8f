import picocolors from "picocolors";

/** The colour functions of picocolors (each returns its input unchanged when colour is off). */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** A stream as the CLI looks at it: whether it is a terminal, and how wide. */
export interface TerminalStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

/** What the CLI knows of the terminal it prints to. */
export interface Terminal {
  /** Colours for stdout: they do nothing unless stdout is a terminal (see {@link colorEnabled}). */
  color: Colors;
  /** Colours for stderr (errors), on the same rule applied to stderr. */
  errorColor: Colors;
  /** Where progress bars are drawn: stderr when it is a terminal, else undefined (no bars). */
  progress?: TerminalStream;
  /** The width of stdout when it is a terminal. */
  columns?: number;
}

/**
 * Whether to colour what goes to `stream`: never with `--no-color` among the arguments or `NO_COLOR`
 * set to anything but the empty string (https://no-color.org); always with `FORCE_COLOR` set to
 * anything but `0` or the empty string; else only when the stream is a terminal and `TERM` is not
 * `dumb`.
 */
export function colorEnabled(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): boolean {
  const end = argv.indexOf("--");
  const args = end < 0 ? argv : argv.slice(0, end);
  if (args.includes("--no-color") || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** The terminal of this process: colours and progress bars only where a person watches. */
export function processTerminal(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Terminal {
  const stdout = process.stdout as TerminalStream;
  const stderr = process.stderr as TerminalStream;
  return {
    color: picocolors.createColors(colorEnabled(stdout, env, argv)),
    errorColor: picocolors.createColors(colorEnabled(stderr, env, argv)),
    ...(stderr.isTTY && env.TERM !== "dumb" ? { progress: stderr } : {}),
    ...(stdout.isTTY && stdout.columns ? { columns: stdout.columns } : {}),
  };
}

/** A terminal without colour or progress bars: what output written for programs gets. */
export const plainTerminal: Terminal = {
  color: picocolors.createColors(false),
  errorColor: picocolors.createColors(false),
};

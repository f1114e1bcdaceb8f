// Runs the `mlcycle` binary in a child process: the built one (dist/cli.js, what `npx mlcycle` runs)
// when it is newer than every source file, else the same program from the sources through tsx, so
// that a test never sees a stale build. MLCYCLE_CLI_FROM=dist or =src chooses.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const root = join(import.meta.dirname, "..", "..");
const main = join(root, "src", "cli", "main.ts");
const built = join(root, "dist", "cli.js");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

/** The newest modification time of a file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function useBuilt(): boolean {
  const from = process.env.MLCYCLE_CLI_FROM;
  if (from === "dist" || from === "src") return from === "dist";
  return existsSync(built) && statSync(built).mtimeMs >= newest(join(root, "src"));
}

/** Whether the tests run dist/cli.js (else src/cli/main.ts through tsx). */
export const cliFromDist = useBuilt();

/**
 * The file URL of the `mlcycle` entry the CLI runs on (dist/index.js or src/index.ts): a module given
 * to `--module` imports the library from there, so that it shares the CLI's copy.
 */
export const cliLibrary = pathToFileURL(join(root, cliFromDist ? "dist/index.js" : "src/index.ts")).href;

/** The command line of `mlcycle` without its arguments. */
const command = cliFromDist ? [built] : ["--import", tsx, main];

/** The environment of a CLI run: the caller's, without the mlcycle and colour variables unless given. */
export function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of [
    "MLCYCLE_WORKSPACE",
    "MLCYCLE_TOKEN",
    "MLCYCLE_DEBUG",
    "MLCYCLE_ACTOR",
    "NO_COLOR",
    "FORCE_COLOR",
  ])
    delete base[name];
  return { ...base, ...env };
}

/** Starts `mlcycle ...args` in `cwd`. */
export function spawnCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...command, ...args], {
    cwd: options.cwd,
    env: environment(options.env ?? {}),
  });
}

/** What a finished CLI run printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mlcycle ...args` to its end. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliRun> {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** A running `mlcycle serve`. */
export interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** Starts `mlcycle serve ...args` and resolves once it prints `listening on http://…`. */
export async function startServe(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<Served> {
  const child = spawnCli(["serve", ...args], options);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(stdout);
    if (m) return { child, url: m[1], output: () => ({ stdout, stderr }), exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`mlcycle serve did not start (exit ${child.exitCode}):\n${stdout}\n${stderr}`);
    }
    await sleep(25);
  }
}

/** A table printed by the CLI split into cells: lines (trailing blank ones dropped), cells split on two or more spaces. */
export function cells(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((l) => l.trim().split(/ {2,}/));
}

/** Runs `mlcycle ...args --json` and parses what it printed (the run must succeed). */
export async function runJson<T = unknown>(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<T> {
  const r = await runCli([...args, "--json"], options);
  if (r.code !== 0) throw new Error(`mlcycle ${args.join(" ")} --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Whether `script` (util-linux) is here to run the CLI on a pseudo-terminal. */
export const hasScript = (() => {
  try {
    return spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
  } catch {
    return false;
  }
})();

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `mlcycle ...args` on a pseudo-terminal (`script`), as a person at a terminal would: stdout
 * and stderr are that terminal, 120 columns wide. Resolves with everything it showed (both streams,
 * line ends as the terminal got them) and the exit code.
 */
export function runInTerminal(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<{ code: number | null; output: string }> {
  const line = ["stty cols 120 rows 40;", ...[process.execPath, ...command, ...args].map(shellQuote)].join(" ");
  const child = spawn("script", ["-qec", line, "/dev/null"], {
    cwd: options.cwd,
    env: { ...environment(options.env ?? {}), TERM: "xterm-256color" },
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

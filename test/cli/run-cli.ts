// Runs the `mlcycle` binary in a child process. It runs the sources through tsx (the same program tsup
// builds into dist/cli.js), so that the tests need no build and never see a stale one; test/package
// checks the built binary.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const root = join(import.meta.dirname, "..", "..");
const main = join(root, "src", "cli", "main.ts");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

/** The environment of a CLI run: the caller's, without the mlcycle variables unless given. */
function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  delete base.MLCYCLE_WORKSPACE;
  delete base.MLCYCLE_TOKEN;
  delete base.MLCYCLE_DEBUG;
  return { ...base, ...env };
}

/** Starts `mlcycle ...args` in `cwd`. */
export function spawnCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--import", tsx, main, ...args], {
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

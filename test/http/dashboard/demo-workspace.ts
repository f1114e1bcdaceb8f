// The workspace `npm run demo` (examples/demo.ts) builds, made once per test file in a temporary folder:
// features, a pipeline retrained by a monitor alert, two registered versions, a deployment's traffic,
// monitor windows with drift and the alert.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { tempDir } from "../../helpers.js";

const root = join(import.meta.dirname, "..", "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

/** Runs the demo in a fresh folder and resolves with its workspace folder (`<tmp>/.mlcycle/demo`). */
export async function demoWorkspace(): Promise<string> {
  const cwd = tempDir("mlcycle-dashboard-");
  const child = spawn(process.execPath, ["--import", tsx, join(root, "examples", "demo.ts")], { cwd });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`the demo failed (exit ${code}):\n${output}`);
  return join(cwd, ".mlcycle", "demo");
}

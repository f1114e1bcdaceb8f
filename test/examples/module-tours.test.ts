// The module tours (`npx tsx examples/<module>.ts`), each run as the README says — in a process of its
// own, in an empty folder — ends with exit code 0, prints what its last section shows, and leaves
// nothing behind in the folder it ran in.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { tempDir } from "../helpers.js";

const root = join(import.meta.dirname, "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

function runTour(name: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", tsx, join(root, "examples", `${name}.ts`)], { cwd });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

it.each([
  ["tracking", /^sweep trials: \{ finished: \d+, pruned: \d+ \} best: /m],
  ["pipeline", /^trigger started 1 run\(s\): \w+$/m],
  ["registry", /^after rollback champion is v1$/m],
  ["features", /^entity 0: \{"conv_rate":0\.8,"trips":1\} status \{"conv_rate":"present","trips":"present"\}$/m],
])(
  "examples/%s.ts runs to the end",
  async (name, last) => {
    const cwd = tempDir(`mlcycle-tour-${name}-`);
    const r = await runTour(name, cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(last);
    expect(readdirSync(cwd)).toEqual([]);
  },
  120_000,
);

/**
 * The benchmarks measure the package as a service runs it: the built `dist/` (imported as
 * `mlcycle`, `mlcycle/postgres`, …), not the sources through a development loader. A loader's
 * transform adds its own work (tsx keeps every function's name with a property definition per
 * closure created), which the published code does not do.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The time `dist/` was last built: its oldest entry point, or 0 when one is missing. */
function builtAt(): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const entry of ["index.js", "drift-worker.js", "postgres.js", "duckdb.js", "http.js"]) {
    try {
      oldest = Math.min(oldest, statSync(join(root, "dist", entry)).mtimeMs);
    } catch {
      return 0;
    }
  }
  return oldest;
}

/** Builds `dist/` (tsup) when a source is newer than it; exits the process if the build fails. */
export function ensureBuilt(): void {
  if (builtAt() >= newestSource(join(root, "src"))) return;
  console.log("building dist/ (a source is newer)…");
  const tsup = join(root, "node_modules", "tsup", "dist", "cli-default.js");
  if (spawnSync(process.execPath, [tsup, "--silent"], { cwd: root, stdio: "inherit" }).status !== 0) process.exit(1);
}

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The version of the installed mlcycle package, read once from the nearest `package.json` named
 * `mlcycle` above this file (the same from the sources and from `dist`); `"unknown"` when none is found.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = "unknown";
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "mlcycle" && typeof pkg.version === "string") {
        cached = pkg.version;
        break;
      }
    } catch {
      // No package.json here: look one folder up.
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return cached;
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(prefix = "mlcycle-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Path of a shared fixture, read in place. */
export function fixturePath(...parts: string[]): string {
  return join(import.meta.dirname, "..", "..", "shared", "fixtures", ...parts);
}

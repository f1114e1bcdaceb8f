import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(prefix = "mlcycle-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Path of a reference fixture, read in place from the folder named by `MLCYCLE_FIXTURES` (default
 * `test/fixtures/reference`, the byte-identical copy this repository keeps).
 */
export function fixturePath(...parts: string[]): string {
  const root = process.env.MLCYCLE_FIXTURES
    ? resolve(process.env.MLCYCLE_FIXTURES)
    : join(import.meta.dirname, "fixtures", "reference");
  return join(root, ...parts);
}

import { join } from "node:path";
import { createWorkspace, openWorkspace, type Workspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";

/** The memory and SQLite workspaces every feature behaviour test runs on. */
export function featureWorkspaces(): Array<
  [string, (options?: Parameters<typeof createWorkspace>[0]) => Promise<Workspace>]
> {
  const dir = tempDir("mlcycle-features-");
  let n = 0;
  return [
    ["memory", (options) => createWorkspace(options)],
    ["sqlite", (options) => openWorkspace(join(dir, `ws-${n++}`), options)],
  ];
}

import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll } from "vitest";
import { duckdbOfflineStore } from "../../src/adapters/duckdb/index.js";
import { createWorkspace, openWorkspace, type Workspace } from "../../src/index.js";
import { tempDir } from "../helpers.js";

/** The memory, SQLite and DuckDB-offline workspaces every feature behaviour test runs on. */
export function featureWorkspaces(): Array<
  [string, (options?: Parameters<typeof createWorkspace>[0]) => Promise<Workspace>]
> {
  const dir = tempDir("mlcycle-features-");
  const instances: DuckDBInstance[] = [];
  afterAll(() => {
    for (const i of instances) i.closeSync();
  });
  let n = 0;
  return [
    ["memory", (options) => createWorkspace(options)],
    ["sqlite", (options) => openWorkspace(join(dir, `ws-${n++}`), options)],
    [
      "sqlite with a duckdb offline store",
      async (options) => {
        const instance = await DuckDBInstance.create(":memory:");
        instances.push(instance);
        return openWorkspace(join(dir, `ws-${n++}`), { offline: duckdbOfflineStore({ instance }), ...options });
      },
    ],
  ];
}

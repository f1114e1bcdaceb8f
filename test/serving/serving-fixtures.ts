import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  createWorkspace,
  isMlcycleError,
  localArtifactStore,
  memoryStore,
  type MlcycleError,
  type MlcycleEvents,
  type PredictionLogStore,
  sqliteBackend,
  type Workspace,
  type WorkspaceOptions,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

/** Options of a test workspace: a workspace's, plus the prediction log store to use. */
export type ServingWorkspaceOptions = Omit<WorkspaceOptions, "metadata"> & { predictions?: PredictionLogStore };

/**
 * The memory and SQLite workspaces every serving test runs on (the SQLite one as `openWorkspace`
 * builds it: a database file and a local artifact folder), optionally with a given prediction log.
 */
export function servingWorkspaces(): Array<[string, (options?: ServingWorkspaceOptions) => Promise<Workspace>]> {
  const dir = tempDir("mlcycle-serving-");
  let n = 0;
  return [
    [
      "memory",
      ({ predictions, ...options } = {}) => {
        const metadata = memoryStore();
        return createWorkspace({ ...options, metadata: predictions ? { ...metadata, predictions } : metadata });
      },
    ],
    [
      "sqlite",
      ({ predictions, ...options } = {}) => {
        const root = join(dir, `ws-${n++}`);
        mkdirSync(root, { recursive: true });
        const backend = sqliteBackend({ path: join(root, "mlcycle.db") });
        return createWorkspace({
          ...backend,
          artifacts: localArtifactStore({ root: join(root, "artifacts") }),
          ...options,
          metadata: predictions ? { ...backend.metadata, predictions } : backend.metadata,
        });
      },
    ],
  ];
}

/** The MlcycleError a promise or function rejects with (anything else fails the test). */
export async function caught(p: Promise<unknown> | (() => unknown)): Promise<MlcycleError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw e;
  }
  throw new Error("expected an MlcycleError");
}

/** Every payload of one event, in order, from now on. */
export function listen<K extends keyof MlcycleEvents>(ws: Workspace, name: K): MlcycleEvents[K][] {
  const seen: MlcycleEvents[K][] = [];
  ws.events.on(name, (e) => seen.push(e));
  return seen;
}

/** Resolves with the next payload of an event that satisfies `match` (rejects after `ms`). */
export function next<K extends keyof MlcycleEvents>(
  ws: Workspace,
  name: K,
  match: (e: MlcycleEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<MlcycleEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} within ${ms} ms`));
    }, ms);
    const off = ws.events.on(name, (e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** The state of a `scale` model: each output is the row's sum times `factor`. */
export interface ScaleState {
  factor: number;
}

/**
 * Registers the `scale` factory: rows of numbers → one number per row (sum × factor). `calls` counts
 * model calls and the rows of each, to show coalescing.
 */
export function registerScale(ws: Workspace): { calls: number[] } {
  const seen = { calls: [] as number[] };
  ws.registry.registerFunction("scale", (s: ScaleState) => (rows: number[][]) => {
    seen.calls.push(rows.length);
    return rows.map((r) => r.reduce((a, x) => a + x, 0) * s.factor);
  });
  return seen;
}

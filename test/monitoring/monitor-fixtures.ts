import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Clock,
  createWorkspace,
  isMlcycleError,
  localArtifactStore,
  type MlcycleError,
  type MlcycleEvents,
  type MonitorStore,
  manualClock,
  memoryStore,
  sqliteBackend,
  type Workspace,
  type WorkspaceOptions,
} from "../../src/index.js";
import { fixturePath, tempDir } from "../helpers.js";

/** Options of a test workspace: a workspace's, plus the monitor store to use. */
export type MonitorWorkspaceOptions = Omit<WorkspaceOptions, "metadata"> & { monitors?: MonitorStore };

/**
 * The memory and SQLite workspaces every monitoring test runs on (the SQLite one as `openWorkspace`
 * builds it: a database file and a local artifact folder, its monitors in the SQL monitor store),
 * optionally with a given monitor store.
 */
export function monitorWorkspaces(): Array<[string, (options?: MonitorWorkspaceOptions) => Promise<Workspace>]> {
  const dir = tempDir("mlcycle-monitoring-");
  let n = 0;
  return [
    [
      "memory",
      ({ monitors, ...options } = {}) => {
        const metadata = memoryStore();
        return createWorkspace({ ...options, metadata: monitors ? { ...metadata, monitors } : metadata });
      },
    ],
    [
      "sqlite",
      ({ monitors, ...options } = {}) => {
        const root = join(dir, `ws-${n++}`);
        mkdirSync(root, { recursive: true });
        const backend = sqliteBackend({ path: join(root, "mlcycle.db") });
        return createWorkspace({
          ...backend,
          artifacts: localArtifactStore({ root: join(root, "artifacts") }),
          ...options,
          metadata: monitors ? { ...backend.metadata, monitors } : backend.metadata,
        });
      },
    ],
  ];
}

/** A manual clock (ms since the epoch) for a workspace. */
export function testClock(start = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  return manualClock(start);
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

/** A seeded generator of uniform numbers in [0, 1) (a linear congruential one: the same in every process). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A normal variate from a uniform generator (Box–Muller). */
export function normal(rand: () => number, mean = 0, sd = 1): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

interface DriftFixture {
  cases: Array<{
    kind: "numeric" | "categorical";
    note: string;
    reference: Array<number | string | boolean>;
    current: Array<number | string | boolean>;
    expected: Record<string, unknown>;
  }>;
}

/** The monitoring drift fixture (scipy's numbers), read in place. */
export function driftFixture(): DriftFixture {
  return JSON.parse(readFileSync(fixturePath("monitoring", "drift-scipy.json"), "utf8")) as DriftFixture;
}

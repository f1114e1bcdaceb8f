import { join } from "node:path";
import { z } from "zod";
import {
  createWorkspace,
  functionModel,
  isMlcycleError,
  manualClock,
  type MlcycleError,
  type MlcycleEvents,
  openWorkspace,
  type Workspace,
  type WorkspaceOptions,
} from "../../../src/index.js";
import { tempDir } from "../../helpers.js";

/** A test workspace opener: memory, or SQLite on a folder (`dir` reopens one folder). */
export type Open = (options?: WorkspaceOptions & { dir?: string }) => Promise<Workspace>;

/** The memory and SQLite workspaces every online experiment test runs on. */
export function onlineWorkspaces(): Array<[string, Open, () => string]> {
  const dir = tempDir("mlcycle-online-");
  let n = 0;
  const fresh = () => join(dir, `ws-${n++}`);
  return [
    ["memory", ({ dir: _dir, ...options } = {}) => createWorkspace(options), fresh],
    ["sqlite", ({ dir: at, ...options } = {}) => openWorkspace(at ?? fresh(), options), fresh],
  ];
}

/** A clock the tests move by hand, as the workspace's. */
export function testClock(): ReturnType<typeof manualClock> {
  return manualClock(Date.UTC(2025, 0, 1));
}

export const Rows = z.array(z.tuple([z.number()])).min(1);
const signature = { inputs: Rows, outputs: z.array(z.number()) };

/**
 * Registers `scale` (each row's value × factor; throws when `failAbove` is set and a value exceeds
 * it; waits on `gate` when one is set) and versions 1 (factor 1) and 2 (factor 2) of `price`, with
 * `price@champion` on 1.
 */
export async function setUpPrice(ws: Workspace, gates: { hang?: Promise<void> } = {}): Promise<void> {
  ws.registry.registerFunction(
    "scale",
    (s: { factor: number; failAbove?: number; hang?: boolean; throws?: boolean }) => async (rows: number[][]) => {
      if (s.hang) await gates.hang;
      if (s.throws) throw new Error("the shadow model is broken");
      if (s.failAbove !== undefined && rows.some(([x]) => x > (s.failAbove as number)))
        throw new Error(`input above ${s.failAbove}`);
      return rows.map(([x]) => x * s.factor);
    },
  );
  await ws.registry.register("price", { model: functionModel("scale", { factor: 1 }), signature });
  await ws.registry.register("price", { model: functionModel("scale", { factor: 2 }), signature });
  await ws.registry.setAlias("price", "champion", 1, { actor: "ana", reason: "first" });
}

/** Registers another version of `price` with the given state; returns its number. */
export async function addPrice(ws: Workspace, state: Record<string, unknown>): Promise<number> {
  return (await ws.registry.register("price", { model: functionModel("scale", state), signature })).version;
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

/** A Park–Miller generator in [0, 1): simulated users' outcomes, the same on every run. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

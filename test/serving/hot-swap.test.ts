import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createWorkspace,
  type DeploymentSwappedEvent,
  functionModel,
  memoryArtifactStore,
  memoryStore,
  openWorkspace,
  type Prediction,
  type Workspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { listen, next, servingWorkspaces } from "./serving-fixtures.js";

const Rows = z.array(z.array(z.number())).min(1);

/** A `constant` model: every row answers the version's own value. Records each call and close on one clock. */
function registerConstant(ws: Workspace) {
  const log = {
    seq: 0,
    /** [value, seq] of every model call (warmups excluded). */
    invoked: [] as Array<[number, number]>,
    closedAt: new Map<number, number>(),
    misuse: [] as string[],
    loads: 0,
  };
  ws.registry.registerFunction("constant", (s: { value: number }) => {
    log.loads++;
    let closed = false;
    return {
      predict: async (rows: number[][]) => {
        if (closed) log.misuse.push(`v${s.value} called after it was closed`);
        if (rows[0][0] !== -1) log.invoked.push([s.value, ++log.seq]);
        // Answer after a turn of the event loop, so calls are in flight while swaps happen.
        await new Promise((r) => setImmediate(r));
        if (closed) log.misuse.push(`v${s.value} closed while answering`);
        return rows.map(() => s.value);
      },
      close: () => {
        closed = true;
        log.closedAt.set(s.value, ++log.seq);
      },
    };
  });
  return log;
}

async function registerVersions(ws: Workspace, n: number) {
  const ids = new Map<number, string>();
  for (let value = 1; value <= n; value++) {
    const v = await ws.registry.register("live", {
      model: functionModel("constant", { value }),
      signature: { inputs: Rows, outputs: z.array(z.number()) },
    });
    ids.set(v.version, v.id);
  }
  return ids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(servingWorkspaces())("hot swap on %s", (_name, open) => {
  it("10,000 calls while the alias moves 5 times: none fails, each names the version that answered, none after swap-out", async () => {
    await using ws = await open();
    const log = registerConstant(ws);
    const ids = await registerVersions(ws, 6);
    await ws.registry.setAlias("live", "champion", 1);
    const d = await ws.serving.deploy<number[][], number[]>("live@champion", {
      pollIntervalMs: false,
      warmup: [[-1]],
    });
    const swaps: Array<DeploymentSwappedEvent & { seq: number; inFlight: number }> = [];
    ws.events.on("deployment.swapped", (e) => swaps.push({ ...e, seq: ++log.seq, inFlight: d.health().inFlight }));

    const TOTAL = 10_000;
    const EVERY = 1600;
    let issued = 0;
    const answers: Array<Prediction<number[]>> = [];
    const failures: unknown[] = [];
    const worker = async () => {
      while (issued < TOTAL) {
        // Calls flow while a swap happens, but at most 800 calls past a move before its swap is done.
        const move = Math.floor(issued / EVERY);
        if (move >= 1 && move <= 5 && issued >= move * EVERY + 800 && swaps.length < move) {
          await sleep(1);
          continue;
        }
        issued++;
        try {
          answers.push(await d.predict([[issued]]));
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const mover = async () => {
      for (let v = 2; v <= 6; v++) {
        while (issued < (v - 1) * EVERY) await sleep(1);
        const swapped = next(ws, "deployment.swapped", (e) => e.to === v);
        await ws.registry.setAlias("live", "champion", v, { reason: `move ${v - 1}` });
        await swapped;
      }
    };
    await Promise.all([mover(), ...Array.from({ length: 64 }, worker)]);

    expect(failures).toEqual([]);
    expect(answers).toHaveLength(TOTAL);
    expect(log.misuse).toEqual([]);
    // Every response names the version that answered it: each version's model answers its own value.
    for (const a of answers) {
      expect(a.outputs).toEqual([a.version]);
      expect(a.models).toEqual([{ model: "live", version: a.version, versionId: ids.get(a.version) }]);
    }
    expect(swaps.map((s) => [s.from, s.to])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    // The swaps happened under load, with calls still in flight on the old version.
    expect(swaps.some((s) => s.inFlight > 0)).toBe(true);
    const versions = new Set(answers.map((a) => a.version));
    expect([...versions].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    // No version answered a call made after it was swapped out, and each was closed after its last call.
    for (const s of swaps) {
      const calls = log.invoked.filter(([v]) => v === s.from).map(([, seq]) => seq);
      expect(Math.max(...calls)).toBeLessThan(s.seq);
      const closedAt = log.closedAt.get(s.from);
      expect(closedAt).toBeGreaterThan(Math.max(...calls));
    }
    // And each version answered only once it was swapped in.
    for (const s of swaps) {
      const calls = log.invoked.filter(([v]) => v === s.to).map(([, seq]) => seq);
      expect(Math.min(...calls)).toBeGreaterThan(s.seq);
    }
    await sleep(5);
    expect([...log.closedAt.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(d.health()).toMatchObject({ version: 6, served: TOTAL, failed: 0, inFlight: 0 });
    expect(d.health().lastError).toBeUndefined();
  });

  it("a call in flight finishes on the old version, which is closed only once it has drained", async () => {
    await using ws = await open();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const closed: number[] = [];
    ws.registry.registerFunction("gated", (s: { value: number }) => ({
      predict: async (rows: number[][]) => {
        if (s.value === 1 && rows[0][0] === 0) await gate;
        return rows.map(() => s.value);
      },
      close: () => {
        closed.push(s.value);
      },
    }));
    for (const value of [1, 2]) await ws.registry.register("g", { model: functionModel("gated", { value }) });
    await ws.registry.setAlias("g", "live", 1);
    const d = await ws.serving.deploy("g@live", { pollIntervalMs: false });
    const slow = d.predict([[0]]);
    const swapped = next(ws, "deployment.swapped");
    await ws.registry.setAlias("g", "live", 2);
    expect(await swapped).toMatchObject({ deployment: "g@live", model: "g", alias: "live", from: 1, to: 2 });
    expect((await d.predict([[1]])).version).toBe(2);
    expect(d.describe().version).toBe(2);
    expect(closed).toEqual([]);
    release();
    const done = await slow;
    expect(done).toMatchObject({ version: 1, outputs: [1] });
    await sleep(1);
    expect(closed).toEqual([1]);
  });

  it("a move made while the deployment is still loading its first version is not missed", async () => {
    await using ws = await open();
    let entered!: () => void;
    const loading = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ws.registry.registerFunction("late", async (s: { value: number }) => {
      if (s.value === 1) {
        entered();
        await gate;
      }
      return (rows: number[][]) => rows.map(() => s.value);
    });
    for (const value of [1, 2]) await ws.registry.register("late", { model: functionModel("late", { value }) });
    await ws.registry.setAlias("late", "live", 1);
    const deploying = ws.serving.deploy("late@live", { pollIntervalMs: false });
    await loading;
    const swapped = next(ws, "deployment.swapped");
    await ws.registry.setAlias("late", "live", 2);
    release();
    const d = await deploying;
    expect(await swapped).toMatchObject({ from: 1, to: 2 });
    expect((await d.predict([[1]])).outputs).toEqual([2]);
  });

  it("a version that cannot load or warm keeps the old one serving, with lastError and an event", async () => {
    await using ws = await open();
    registerConstant(ws);
    ws.registry.registerFunction("broken", () => {
      throw new Error("weights are corrupt");
    });
    await registerVersions(ws, 1);
    await ws.registry.register("live", { model: functionModel("broken", {}) });
    await ws.registry.register("live", { model: functionModel("constant", { value: 3 }) });
    await ws.registry.setAlias("live", "champion", 1);
    const d = await ws.serving.deploy("live@champion", { pollIntervalMs: false, warmup: [[-1]] });
    const failed = next(ws, "deployment.swap_failed");
    await ws.registry.setAlias("live", "champion", 2);
    expect(await failed).toMatchObject({
      deployment: "live@champion",
      model: "live",
      alias: "champion",
      current: 1,
      target: 2,
      error: expect.stringContaining("weights are corrupt"),
    });
    expect(d.health()).toMatchObject({ ready: true, version: 1, lastError: expect.stringContaining("corrupt") });
    expect((await d.predict([[5]])).version).toBe(1);
    // The alias moving on to a good version swaps as usual.
    const swapped = next(ws, "deployment.swapped");
    await ws.registry.setAlias("live", "champion", 3);
    expect(await swapped).toMatchObject({ from: 1, to: 3 });
    expect((await d.predict([[5]])).outputs).toEqual([3]);
    // A deleted alias is a failed swap too: the version serving stays.
    const gone = next(ws, "deployment.swap_failed");
    await ws.registry.deleteAlias("live", "champion");
    expect((await gone).code).toBe("NOT_FOUND");
    expect((await d.predict([[5]])).version).toBe(3);
  });

  it("swaps run one at a time; a burst of moves ends on the last target", async () => {
    await using ws = await open();
    const log = registerConstant(ws);
    await registerVersions(ws, 5);
    await ws.registry.setAlias("live", "champion", 1);
    const d = await ws.serving.deploy("live@champion", { pollIntervalMs: false });
    const swaps = listen(ws, "deployment.swapped");
    const last = next(ws, "deployment.swapped", (e) => e.to === 5);
    for (const v of [2, 3, 4, 5]) await ws.registry.setAlias("live", "champion", v);
    await last;
    await sleep(20);
    // Each swap starts from where the previous one ended; moves made during a swap share the next one.
    for (let i = 1; i < swaps.length; i++) expect(swaps[i].from).toBe(swaps[i - 1].to);
    expect(swaps[swaps.length - 1].to).toBe(5);
    expect(log.loads).toBe(1 + swaps.length);
    expect((await d.predict([[1]])).version).toBe(5);
  });

  it("a fixed version never swaps and does not listen", async () => {
    await using ws = await open();
    registerConstant(ws);
    await registerVersions(ws, 2);
    await ws.registry.setAlias("live", "champion", 1);
    const listeners = ws.events.listenerCount("model.alias.moved");
    const d = await ws.serving.deploy("live@1", { pollIntervalMs: 20 });
    expect(ws.events.listenerCount("model.alias.moved")).toBe(listeners);
    const swaps = listen(ws, "deployment.swapped");
    await ws.registry.setAlias("live", "champion", 2);
    await sleep(60);
    expect(swaps).toEqual([]);
    expect((await d.predict([[1]])).version).toBe(1);
    const followed = await ws.serving.deploy("live@champion", { pollIntervalMs: false });
    expect(ws.events.listenerCount("model.alias.moved")).toBe(listeners + 1);
    await followed.close();
    expect(ws.events.listenerCount("model.alias.moved")).toBe(listeners);
  });
});

/** Two workspaces on the same stores, each with its own event bus: as two processes on one store. */
const pairDir = tempDir("mlcycle-serving-pair-");
const pairs: Array<[string, () => Promise<[Workspace, Workspace]>]> = [
  [
    "memory",
    async () => {
      const metadata = memoryStore();
      const artifacts = memoryArtifactStore();
      return [await createWorkspace({ metadata, artifacts }), await createWorkspace({ metadata, artifacts })];
    },
  ],
  [
    "sqlite",
    async () => {
      const dir = join(pairDir, `pair-${Math.random()}`);
      return [await openWorkspace(dir), await openWorkspace(dir)];
    },
  ],
];

describe.each(pairs)("hot swap across workspaces on %s", (_name, openPair) => {
  it("a move made by another workspace on the same store is picked up by polling", async () => {
    const [serving, other] = await openPair();
    try {
      registerConstant(serving);
      registerConstant(other);
      await registerVersions(other, 2);
      await other.registry.setAlias("live", "champion", 1);
      const d = await serving.serving.deploy("live@champion", { pollIntervalMs: 25 });
      expect((await d.predict([[1]])).version).toBe(1);
      const swapped = next(serving, "deployment.swapped");
      await other.registry.setAlias("live", "champion", 2, { actor: "another process" });
      expect(await swapped).toMatchObject({ from: 1, to: 2 });
      expect((await d.predict([[1]])).outputs).toEqual([2]);
    } finally {
      await serving.close();
      await other.close();
    }
  });
});

import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createWorkspace,
  inProcessExecutor,
  manualClock,
  memoryBackend,
  openWorkspace,
  pipeline,
  step,
  type Workspace,
  type WorkspaceOptions,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";

const root = tempDir();
type Extra = Omit<WorkspaceOptions, "metadata" | "artifacts" | "online" | "offline">;
/** Opens workspaces over one set of stores: `open()` may be called several times (several drivers). */
type Shared = { open(o?: Extra): Promise<Workspace>; corrupt(ws: Workspace, digest: string): void };
const kinds: Array<[string, () => Shared]> = [
  [
    "memory",
    () => {
      const backend = memoryBackend();
      return {
        open: (o) => createWorkspace({ ...backend, ...o }),
        corrupt: (ws, digest) => {
          const store = ws.artifacts as unknown as { corrupt(d: string, b: Uint8Array): void };
          store.corrupt(digest, new Uint8Array(16).fill(1));
        },
      };
    },
  ],
  [
    "sqlite",
    () => {
      const dir = join(root, `ws-${Math.random()}`);
      return {
        open: (o) => openWorkspace(dir, o),
        // Same size, other bytes: the tamper a size check cannot see.
        corrupt: (_ws, digest) => {
          const file = join(dir, "artifacts", digest.slice(0, 2), digest.slice(2));
          const { size } = statSync(file);
          writeFileSync(file, new Uint8Array(size).fill(120));
        },
      };
    },
  ],
];

const code = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === "function" ? p() : p);
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? `raw ${String(e)}`;
  }
};

function heldPipeline(calls: string[], entered: () => void) {
  const a = step({ name: "a", version: "1", input: z.object({}), output: z.number(), run: () => 1 });
  const hold = step({
    name: "hold",
    version: "1",
    input: z.object({ x: z.number() }),
    output: z.number(),
    cache: false,
    run: ({ x }, ctx) => {
      calls.push("hold");
      if (calls.length > 1) return x + 1;
      entered();
      // The first driver holds here until its run is taken from it.
      return new Promise<number>((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }),
      );
    },
  });
  return pipeline("held", { version: "1" })
    .step("a", a)
    .step("hold", hold, ({ a }) => ({ x: a }));
}

for (const [kind, shared] of kinds) {
  describe(`pipeline reliability on ${kind}`, () => {
    it("resume of a run whose driver is alive is CONFLICT (it ran a step twice); once the lease expired it takes over", async () => {
      const stores = shared();
      const calls: string[] = [];
      let entered!: () => void;
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      const p = heldPipeline(calls, entered);
      await using first = await stores.open({ pipelines: { leaseMs: 300 } });
      const h = await first.pipelines.start(p);
      await inside;
      await using second = await stores.open();
      second.pipelines.register(p);
      const refused = second.pipelines.resume(h.runId);
      await expect(refused).rejects.toMatchObject({ code: "CONFLICT", details: { runId: h.runId } });
      await expect(refused).rejects.toThrow(new RegExp(`${h.runId}.*lease held until \\d{4}-`));
      // Still one execution, and the run is still the first driver's.
      expect(calls).toEqual(["hold"]);
      expect((await second.pipelines.get(h.runId)).run.status).toBe("running");
      // The first driver renews: past its first lease length it is still refused.
      await new Promise((r) => setTimeout(r, 450));
      await expect(second.pipelines.resume(h.runId)).rejects.toMatchObject({ code: "CONFLICT" });

      // A driver whose clock is past the lease (as when the first one died) takes the run over.
      await using third = await stores.open({ clock: manualClock(Date.now() + 3_600_000) });
      const taken = await third.pipelines.resume(p, h.runId);
      expect(taken.status).toBe("succeeded");
      expect(taken.outputs.hold).toBe(2);
      expect(calls).toEqual(["hold", "hold"]);
      // The first driver notices at its next renewal, stops, and writes nothing more.
      const lost = await h.result;
      expect(lost.status).toBe("failed");
      expect(lost.error).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("taken over") });
      const stored = await third.pipelines.get(h.runId);
      expect(stored.run.status).toBe("succeeded");
      expect(stored.steps.map((s) => [s.step, s.status]).sort()).toEqual([
        ["a", "succeeded"],
        ["hold", "succeeded"],
      ]);
    });

    it("resume never changes a finished run: a succeeded one is returned as is, an aborted signal is CANCELLED (it rewrote succeeded as cancelled)", async () => {
      await using ws = await shared().open();
      let broken = true;
      const s = step({
        name: "s",
        version: "1",
        input: z.object({}),
        output: z.number(),
        cache: false,
        run: () => {
          if (broken) throw new Error("boom");
          return 7;
        },
      });
      const p = pipeline("finish", { version: "1" }).step("s", s);
      const ok = await ws.pipelines.run(
        pipeline("fine", { version: "1" }).step("t", { ...s, run: () => 3 } as typeof s),
      );
      expect(ok.status).toBe("succeeded");
      const aborted = AbortSignal.abort();
      const before = await ws.pipelines.get(ok.id);
      const again = await ws.pipelines.resume(ok.id, { signal: aborted });
      expect(again).toMatchObject({ id: ok.id, status: "succeeded", outputs: { t: 3 } });
      expect(await ws.pipelines.resume(ok.id)).toMatchObject({ status: "succeeded" });
      expect(await ws.pipelines.get(ok.id)).toEqual(before);

      const failed = await ws.pipelines.run(p);
      expect(failed.status).toBe("failed");
      const failedBefore = await ws.pipelines.get(failed.id);
      await expect(ws.pipelines.resume(failed.id, { signal: aborted })).rejects.toMatchObject({ code: "CANCELLED" });
      expect(await ws.pipelines.get(failed.id)).toEqual(failedBefore);
      broken = false;
      expect((await ws.pipelines.resume(failed.id)).status).toBe("succeeded");
    });

    it("run with an already aborted signal is a CANCELLED MlcycleError and records nothing (it was a foreign error)", async () => {
      await using ws = await shared().open();
      const s = step({ name: "s", version: "1", input: z.object({}), output: z.number(), run: () => 1 });
      const p = pipeline("aborted", { version: "1" }).step("s", s);
      const signal = AbortSignal.abort(new Error("not ours"));
      await expect(ws.pipelines.run(p, {}, { signal })).rejects.toMatchObject({
        name: "MlcycleError",
        code: "CANCELLED",
      });
      await expect(ws.pipelines.start(p, {}, { signal })).rejects.toMatchObject({ code: "CANCELLED" });
      expect(await ws.pipelines.list({ pipeline: "aborted" })).toEqual([]);
    });

    it("a corrupted cached output is a cache miss: the step runs again and its entry is readable (later runs failed)", async () => {
      const stores = shared();
      await using ws = await stores.open();
      ws.pipelines.inlineLimit = 0;
      let runs = 0;
      const make = step({
        name: "make",
        version: "1",
        input: z.object({}),
        output: z.object({ rows: z.array(z.number()) }),
        run: () => {
          runs++;
          return { rows: [1, 2, 3, 4] };
        },
      });
      const sum = step({
        name: "sum",
        version: "1",
        input: z.object({ rows: z.array(z.number()) }),
        output: z.number(),
        cache: false,
        run: ({ rows }) => rows.reduce((a, b) => a + b, 0),
      });
      const p = pipeline("corrupt", { version: "1" })
        .step("make", make)
        .step("sum", sum, ({ make }) => ({ rows: make.rows }));
      const first = await ws.pipelines.run(p);
      expect(first.status).toBe("succeeded");
      const ref = first.steps.make!.output!;
      expect(ref.kind).toBe("artifact");
      const digest = (ref as { digest: string }).digest;

      stores.corrupt(ws, digest);
      const second = await ws.pipelines.run(p);
      expect(second.status).toBe("succeeded");
      expect(second.outputs.sum).toBe(10);
      expect(second.steps.make).toMatchObject({ status: "succeeded", cacheHit: false });
      expect(second.steps.make!.reason).toMatch(/could not be read \(INTEGRITY/);
      expect(runs).toBe(2);
      expect(await ws.pipelines.output(second.id, "make")).toEqual({ rows: [1, 2, 3, 4] });
      const third = await ws.pipelines.run(p);
      expect(third.steps.make!.status).toBe("cached");
      expect(runs).toBe(2);

      // cache: false and clearCache leave the step runnable after a tamper too.
      stores.corrupt(ws, digest);
      const uncached = await ws.pipelines.run(p, {}, { cache: false });
      expect(uncached.status).toBe("succeeded");
      stores.corrupt(ws, digest);
      await ws.pipelines.clearCache("make");
      const cleared = await ws.pipelines.run(p);
      expect(cleared.status).toBe("succeeded");
      expect(cleared.outputs.sum).toBe(10);
      const after = await ws.pipelines.run(p);
      expect(after.status).toBe("succeeded");
      expect(after.steps.make!.status).toBe("cached");
    });

    it("cyclic, 20,000-deep and bigint params and step values are VALIDATION naming where (stack overflow, 'Converting circular structure')", async () => {
      await using ws = await shared().open();
      const echo = step({
        name: "echo",
        version: "1",
        input: z.object({ v: z.any() }),
        output: z.any(),
        run: ({ v }) => v,
      });
      const p = pipeline("values", { version: "1", params: z.object({ v: z.any() }) }).step(
        "echo",
        echo,
        ({ params }) => ({
          v: params.v,
        }),
      );
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      let deep: unknown = 1;
      for (let i = 0; i < 20_000; i++) deep = [deep];
      for (const [v, where] of [
        [cyclic, "params.v.self"],
        [deep, "params"],
        [{ n: 5n }, "params.v.n"],
      ] as const) {
        const error = await ws.pipelines.run(p, { v }).then(
          () => undefined,
          (e: unknown) => e as { code: string; message: string },
        );
        expect(error).toMatchObject({ code: "VALIDATION" });
        expect(error!.message.startsWith(where)).toBe(true);
      }
      // Made inside a step: the step fails with VALIDATION naming its output; the run does not crash.
      const loop = step({
        name: "loop",
        version: "1",
        input: z.object({}),
        output: z.any(),
        run: () => {
          const x: Record<string, unknown> = {};
          x.me = x;
          return x;
        },
      });
      const q = pipeline("values-2", { version: "1" })
        .step("loop", loop)
        .step("echo", echo, ({ loop }) => ({ v: loop }));
      const r = await ws.pipelines.run(q);
      expect(r.status).toBe("failed");
      expect(r.steps.loop!.error).toMatchObject({
        code: "VALIDATION",
        message: expect.stringContaining("output of step 'loop'.me"),
      });
      // Bigints in step values are kept (structured serialization); only JSON-stored params refuse them.
      const big = step({ name: "big", version: "1", input: z.object({}), output: z.any(), run: () => ({ n: 5n }) });
      const b = await ws.pipelines.run(
        pipeline("values-3", { version: "1" })
          .step("big", big)
          .step("echo", echo, ({ big }) => ({ v: big })),
      );
      expect(b.status).toBe("succeeded");
      expect(b.outputs.echo).toEqual({ n: 5n });
    });

    it("every method of ws.pipelines checks its arguments (VALIDATION naming them) and is the closed error after close", async () => {
      const ws = await shared().open();
      const s = step({ name: "s", version: "1", input: z.object({}), output: z.number(), run: () => 1 });
      const p = pipeline("args", { version: "1" }).step("s", s);
      const done = await ws.pipelines.run(p);
      const bad = <T>(f: () => T) => code(f as () => unknown);
      const any = ws.pipelines as any;
      const cases: Array<[string, () => unknown]> = [
        ["run(5)", () => any.run(5)],
        ["run({})", () => any.run({ name: "x" })],
        ["run(p, 5)", () => any.run(p, 5)],
        ["run(p, [])", () => any.run(p, [])],
        ["run options 5", () => any.run(p, {}, 5)],
        ["run cache 'no'", () => any.run(p, {}, { cache: "no" })],
        ["run unknown option", () => any.run(p, {}, { cahce: false })],
        ["run signal {}", () => any.run(p, {}, { signal: {} })],
        ["run runId 5", () => any.run(p, {}, { runId: 5 })],
        ["start(null)", () => any.start(null)],
        ["resume(5)", () => any.resume(5)],
        ["resume(p, 5)", () => any.resume(p, 5)],
        ["resume options", () => any.resume(done.id, { signal: 1 })],
        ["cancel(5)", () => any.cancel(5)],
        ["get(null)", () => any.get(null)],
        ["list(5)", () => any.list(5)],
        ["list limit 0", () => any.list({ limit: 0 })],
        ["list limit 1.5", () => any.list({ limit: 1.5 })],
        ["list status", () => any.list({ status: "done" })],
        ["stepRun", () => any.stepRun(done.id, 5)],
        ["output", () => any.output(done.id, {})],
        ["output p", () => any.output(7, done.id, "s")],
        ["explainCache", () => any.explainCache(undefined, "s")],
        ["clearCache", () => any.clearCache(5)],
        ["register", () => any.register("p")],
        ["schedule no options", () => any.schedule(p)],
        ["schedule maxQueue", () => any.schedule(p, { cron: "0 3 * * *", maxQueue: 1.5 })],
        ["schedule overlap", () => any.schedule(p, { cron: "0 3 * * *", overlap: "drop" })],
        ["schedule run.cache", () => any.schedule(p, { cron: "0 3 * * *", run: { cache: 1 } })],
        ["onEvent event", () => any.onEvent(p, 5)],
        ["onEvent filter", () => any.onEvent(p, "x", { filter: true })],
        ["onEvent maxQueue", () => any.onEvent(p, "x", { maxQueue: -1 })],
        ["inlineLimit", () => (any.inlineLimit = 0.5)],
      ];
      for (const [name, f] of cases) expect([name, await bad(f)]).toEqual([name, "VALIDATION"]);
      const msg = await Promise.resolve()
        .then(() => any.run(p, {}, { cache: "no" }))
        .catch((e: Error) => e.message);
      expect(msg).toContain("cache");
      expect(ws.pipelines.triggers()).toEqual([]);

      await ws.close();
      const after: Array<[string, () => unknown]> = [
        ["run", () => ws.pipelines.run(p)],
        ["start", () => ws.pipelines.start(p)],
        ["resume", () => ws.pipelines.resume(done.id)],
        ["cancel", () => ws.pipelines.cancel(done.id)],
        ["get", () => ws.pipelines.get(done.id)],
        ["list", () => ws.pipelines.list()],
        ["stepRun", () => ws.pipelines.stepRun(done.id, "s")],
        ["output", () => ws.pipelines.output(done.id, "s")],
        ["explainCache", () => ws.pipelines.explainCache(done.id, "s")],
        ["clearCache", () => ws.pipelines.clearCache()],
        ["register", () => ws.pipelines.register(p)],
        ["startWorker", () => ws.pipelines.startWorker()],
        ["schedule", () => ws.pipelines.schedule(p, { cron: "0 3 * * *" })],
        ["onEvent", () => ws.pipelines.onEvent(p, "x")],
      ];
      for (const [name, f] of after) {
        const e = await Promise.resolve()
          .then(f)
          .then(
            () => undefined,
            (x: unknown) => x as { code: string; details: Record<string, unknown> },
          );
        expect([name, e?.code, e?.details.closed]).toEqual([name, "UNAVAILABLE", true]);
      }
    });

    it("options are schema-checked: lease length and executor concurrency out of range or not integers are VALIDATION naming them", async () => {
      const stores = shared();
      for (const leaseMs of [0.5, 0, 299, 1e12, Number.NaN]) {
        const e = await stores.open({ pipelines: { leaseMs } }).then(
          async (w) => {
            await w.close();
            return undefined;
          },
          (x: unknown) => x as { code: string; message: string },
        );
        expect(e).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("leaseMs") });
      }
      for (const concurrency of [0, 1.5, Number.NaN, -1]) {
        expect(() => inProcessExecutor({ concurrency })).toThrow(/concurrency/);
      }
    });
  });
}

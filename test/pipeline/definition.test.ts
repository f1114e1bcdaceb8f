import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createWorkspace, isMlcycleError, openWorkspace, pipeline, type Serializer, step } from "../../src/index.js";
import { tempDir } from "../helpers.js";

const one = step({ name: "one", version: "1", input: z.object({}), output: z.number(), run: () => 1 });
const echo = step({ name: "echo", version: "1", input: z.number(), output: z.number(), run: (x) => x });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isMlcycleError(e) ? e.code : `not an MlcycleError: ${String(e)}`;
  }
  return undefined;
}

describe("pipeline definitions reject bad input with clear errors", () => {
  it("checks step definitions", () => {
    expect(code(() => step({ name: "", input: z.object({}), output: z.number(), run: () => 1 }))).toBe("VALIDATION");
    expect(code(() => step({ name: "a\nb", input: z.object({}), output: z.number(), run: () => 1 }))).toBe(
      "VALIDATION",
    );
    expect(code(() => step({ name: "a", input: z.object({}), output: z.number(), run: "x" as never }))).toBe(
      "VALIDATION",
    );
    expect(code(() => step({ name: "a", input: z.object({}), output: z.number(), timeoutMs: 0, run: () => 1 }))).toBe(
      "VALIDATION",
    );
  });

  it("checks names, duplicates, sources and lists", () => {
    expect(code(() => pipeline(""))).toBe("VALIDATION");
    expect(code(() => pipeline("p").step("a", one).step("a", one))).toBe("CONFLICT");
    expect(code(() => pipeline("p").step("params", one))).toBe("VALIDATION");
    expect(code(() => pipeline("p").step("$x", one))).toBe("VALIDATION");
    expect(code(() => pipeline("p").step("a", {} as never))).toBe("VALIDATION");
    expect(code(() => pipeline("p").step("a", echo, (r: any) => r.ghost.value))).toBe("VALIDATION");
    expect(
      code(() =>
        pipeline("p")
          .step("a", one)
          .map("m", echo, { over: () => [1, 2] as never }),
      ),
    ).toBe("VALIDATION");
    expect(
      code(() =>
        pipeline("p")
          .step("a", one)
          .map("m", echo, { over: ({ a }) => a as never, concurrency: 0 }),
      ),
    ).toBe("VALIDATION");
    expect(
      code(() =>
        pipeline("p")
          .step("a", one)
          .step("b", one, undefined, { after: ["nope" as "a"] }),
      ),
    ).toBe("VALIDATION");
  });

  it("derives the version from the graph unless declared", () => {
    const a = pipeline("p").step("a", one);
    const b = pipeline("p").step("a", one);
    const c = pipeline("p").step("b", one);
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
    expect(pipeline("p", { version: "7" }).step("a", one).version).toBe("7");
  });
});

describe("ws.pipelines rejects bad calls", () => {
  it("refuses a second graph under the same name and version", async () => {
    await using ws = await createWorkspace();
    ws.pipelines.register(pipeline("p", { version: "1" }).step("a", one));
    expect(code(() => ws.pipelines.register(pipeline("p", { version: "1" }).step("b", one)))).toBe("CONFLICT");
    ws.pipelines.register(pipeline("p", { version: "1" }).step("a", one));
  });

  it("refuses a taken run id, a run resumed while it runs, and bad limits", async () => {
    await using ws = await createWorkspace();
    const p = pipeline("p").step("a", one);
    await ws.pipelines.run(p, undefined, { runId: "fixed-id" });
    await expect(ws.pipelines.run(p, undefined, { runId: "fixed-id" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(ws.pipelines.run(p, undefined, { runId: "bad\nid" })).rejects.toMatchObject({ code: "VALIDATION" });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const hold = step({
      name: "hold",
      version: "1",
      input: z.object({}),
      output: z.number(),
      cache: false,
      run: () => gate.then(() => 1),
    });
    const h = await ws.pipelines.start(pipeline("held").step("hold", hold));
    await expect(ws.pipelines.resume(h.runId)).rejects.toMatchObject({ code: "PRECONDITION" });
    release();
    expect((await h.result).status).toBe("succeeded");
    expect(code(() => (ws.pipelines.inlineLimit = -1))).toBe("VALIDATION");
    await expect(ws.pipelines.explainCache(h.runId, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(ws.pipelines.stepRun(h.runId, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(ws.pipelines.cancel("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("fails a map step whose list is not a list at run time", async () => {
    await using ws = await createWorkspace();
    const notList = step({ name: "nl", version: "1", input: z.object({}), output: z.any(), run: () => ({ a: 1 }) });
    const p = pipeline("p")
      .step("src", notList)
      .map("m", echo, { over: ({ src }) => src as never });
    const r = await ws.pipelines.run(p);
    expect(r.steps.m).toMatchObject({ status: "failed", error: { code: "VALIDATION" } });
  });

  it("fails a step whose wired input does not validate, naming the field", async () => {
    await using ws = await createWorkspace();
    const pos = step({
      name: "pos",
      version: "1",
      input: z.object({ x: z.number().positive() }),
      output: z.number(),
      run: ({ x }) => x,
    });
    const p = pipeline("p", { params: z.object({ x: z.number() }) }).step("pos", pos, ({ params }) => ({
      x: params.x,
    }));
    const r = await ws.pipelines.run(p, { x: -1 });
    expect(r.steps.pos!.status).toBe("failed");
    expect(r.steps.pos!.error).toMatchObject({ code: "VALIDATION" });
    expect(r.steps.pos!.error!.message).toContain("x");
  });

  it("retries after a timeout and cancels through the run's AbortSignal", async () => {
    await using ws = await createWorkspace();
    let attempt = 0;
    const slowOnce = step({
      name: "slow-once",
      version: "1",
      input: z.object({}),
      output: z.number(),
      timeoutMs: 20,
      retry: { retries: 1, backoffMs: 1 },
      run: async () => {
        attempt++;
        if (attempt === 1) await new Promise((r) => setTimeout(r, 200));
        return attempt;
      },
    });
    const r = await ws.pipelines.run(pipeline("t").step("s", slowOnce));
    expect(r.steps.s).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(r.outputs.s).toBe(2);

    const ctl = new AbortController();
    const wait = step({
      name: "wait",
      version: "1",
      input: z.object({}),
      output: z.number(),
      cache: false,
      run: (_i, ctx) =>
        new Promise<number>((_res, rej) => {
          ctx.signal.addEventListener("abort", () => rej(ctx.signal.reason));
          setTimeout(() => ctl.abort(), 10);
        }),
    });
    const c = await ws.pipelines.run(pipeline("c").step("w", wait), undefined, { signal: ctl.signal });
    expect(c.status).toBe("cancelled");
    expect(c.steps.w!.status).toBe("cancelled");
  });

  it("refuses new runs and triggers after close", async () => {
    const ws = await createWorkspace();
    const p = pipeline("p").step("a", one);
    await ws.close();
    await expect(ws.pipelines.run(p)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(code(() => ws.pipelines.onEvent(p, "x"))).toBe("UNAVAILABLE");
    expect(code(() => ws.pipelines.schedule(p, { cron: "* * * * *" }))).toBe("UNAVAILABLE");
  });

  it("records no tracking or lineage for a run that turns them off", async () => {
    await using ws = await createWorkspace();
    const p = pipeline("quiet").step("a", one);
    const r = await ws.pipelines.run(p, undefined, { lineage: false, tracking: false });
    expect(r.status).toBe("succeeded");
    expect((await ws.pipelines.get(r.id)).run).toMatchObject({ options: { lineage: false, tracking: false } });
    expect((await ws.pipelines.get(r.id)).run.trackingRunId).toBeUndefined();
    expect(r.steps.a!.trackingRunId).toBeUndefined();
    expect(await ws.lineage.find({ kind: "execution", externalId: `step_run:${r.id}/a` })).toBeUndefined();
  });

  it("lets close() wait for a run in progress to end", async () => {
    const ws = await createWorkspace();
    const slow = step({
      name: "slow-close",
      version: "1",
      input: z.object({}),
      output: z.number(),
      run: () => new Promise<number>((r) => setTimeout(() => r(5), 50)),
    });
    const h = await ws.pipelines.start(pipeline("closing").step("s", slow));
    await ws.close();
    const r = await h.result;
    expect(r.status).toBe("succeeded");
    expect(r.outputs.s).toBe(5);
  });

  it("runs two runs of one pipeline at once, each step once per run", async () => {
    await using ws = await createWorkspace();
    let n = 0;
    const count = step({
      name: "count",
      version: "1",
      input: z.object({ k: z.number() }),
      output: z.number(),
      run: async ({ k }) => {
        n++;
        await new Promise((r) => setTimeout(r, 5));
        return k * 2;
      },
    });
    const p = pipeline("twice", { params: z.object({ k: z.number() }) }).step("c", count, ({ params }) => ({
      k: params.k,
    }));
    const [a, b] = await Promise.all([ws.pipelines.run(p, { k: 1 }), ws.pipelines.run(p, { k: 2 })]);
    expect([a.outputs.c, b.outputs.c]).toEqual([2, 4]);
    expect(n).toBe(2);
    expect(a.id).not.toBe(b.id);
  });
});

describe("a second workspace on the same folder", () => {
  const dir = tempDir();

  it("needs the definition to resume and the serializer to read a custom output, and says so", async () => {
    const lines: Serializer<string[]> = {
      id: "lines@1",
      serialize: (v) => new TextEncoder().encode(v.join("\n")),
      deserialize: (b) => new TextDecoder().decode(b).split("\n"),
    };
    const make = step({
      name: "make",
      version: "1",
      input: z.object({}),
      output: z.array(z.string()),
      serializer: lines,
      run: () => ["a", "b"],
    });
    const fail = step({
      name: "fail",
      version: "1",
      input: z.object({ xs: z.array(z.string()) }),
      output: z.number(),
      run: () => {
        throw new Error("later");
      },
    });
    const p = pipeline("two-ws", { version: "1" })
      .step("make", make)
      .step("fail", fail, ({ make }) => ({ xs: make }));
    const path = join(dir, "ws");
    let runId: string;
    {
      await using first = await openWorkspace(path);
      const r = await first.pipelines.run(p);
      expect(r.status).toBe("failed");
      runId = r.id;
    }
    await using second = await openWorkspace(path);
    await expect(second.pipelines.output(runId, "make")).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("register"),
    });
    await expect(second.pipelines.resume(runId)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("register"),
    });
    second.pipelines.register(p);
    expect(await second.pipelines.output(runId, "make")).toEqual(["a", "b"]);
    const again = await second.pipelines.resume(runId);
    expect(again.status).toBe("failed");
    expect(again.steps.make!.status).toBe("succeeded");
    expect(again.steps.fail!.attempts).toBe(1);
  });
});

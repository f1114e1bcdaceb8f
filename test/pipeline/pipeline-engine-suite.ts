import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createWorkspace,
  type Executor,
  isMlcycleError,
  manualClock,
  type MlcycleEvents,
  pipeline,
  type Serializer,
  type StepCommit,
  type StepTaskRunner,
  step,
  type Workspace,
  type WorkspaceOptions,
} from "../../src/index.js";
import { duplicatingExecutor } from "./duplicating-executor.js";

/**
 * Opens a fresh workspace for one test of the suite. `options.executor`, when given, is the one the
 * test needs (it replaces whatever executor the suite's subject uses).
 */
export type OpenWorkspace = (options?: Omit<WorkspaceOptions, "metadata" | "artifacts">) => Promise<Workspace>;

/** Counts executions per step name. */
function counter() {
  const calls = new Map<string, number>();
  return {
    hit: (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1),
    get: (name: string) => calls.get(name) ?? 0,
  };
}

/** `tracked`: each step touches its tracking run (`ctx.run`), so each executed step records one. */
function trainPipeline(calls = counter(), { tracked = false } = {}) {
  const touch = (ctx: { run: { setTag(k: string, v: string): unknown } }, name: string) => {
    if (tracked) void ctx.run.setTag("role", name);
  };
  const load = step({
    name: "load",
    version: "1",
    input: z.object({ n: z.number().int().min(0) }),
    output: z.object({ rows: z.array(z.number()) }),
    run: ({ n }, ctx) => {
      calls.hit("load");
      touch(ctx, "load");
      return { rows: Array.from({ length: n }, (_, i) => i + 1) };
    },
  });
  const fit = step({
    name: "fit",
    version: "1",
    input: z.object({ rows: z.array(z.number()), lr: z.number() }),
    output: z.object({ weight: z.number() }),
    run: ({ rows, lr }, ctx) => {
      calls.hit("fit");
      touch(ctx, "fit");
      ctx.log.info("fitting", { rows: rows.length });
      return { weight: rows.reduce((a, b) => a + b, 0) * lr };
    },
  });
  const report = step({
    name: "report",
    version: "1",
    input: z.object({ weight: z.number(), n: z.number() }),
    output: z.string(),
    run: ({ weight, n }, ctx) => {
      calls.hit("report");
      touch(ctx, "report");
      return `w=${weight} n=${n}`;
    },
  });
  const p = pipeline("train", { params: z.object({ n: z.number().int().default(4), lr: z.number() }) })
    .step("load", load, ({ params }) => ({ n: params.n }))
    .step("fit", fit, ({ load, params }) => ({ rows: load.rows, lr: params.lr }))
    .step("report", report, ({ fit, params }) => ({ weight: fit.weight, n: params.n }));
  return { p, calls };
}

function collect(ws: Workspace, names: Array<keyof MlcycleEvents>) {
  const seen: string[] = [];
  for (const n of names)
    ws.events.on(n, (e: any) => seen.push(`${n}${e.step ? `:${e.step}` : ""}${e.status ? `:${e.status}` : ""}`));
  return seen;
}

/**
 * The pipeline engine's behaviour end to end — the typed DAG, caching, params, serializers, map
 * steps, conditions, retries, timeouts, cancellation, resume, duplicate delivery, remote workers,
 * lineage, tracking, triggers — on the workspaces `open` makes. `pipeline.test.ts` runs it on memory
 * and SQLite; an executor's tests run it on workspaces whose steps go through that executor.
 */
export function pipelineEngineSuite(kind: string, open: OpenWorkspace): void {
  describe(`pipelines on ${kind}`, () => {
    it("runs a typed DAG, records every step run and returns the outputs", async () => {
      await using ws = await open();
      const { p, calls } = trainPipeline();
      const seen = collect(ws, [
        "pipeline.run.started",
        "pipeline.step.started",
        "pipeline.step.finished",
        "pipeline.run.finished",
      ]);
      const r = await ws.pipelines.run(p, { lr: 0.5 });
      expect(r.status).toBe("succeeded");
      expect(r.outputs.load?.rows).toEqual([1, 2, 3, 4]);
      expect(r.outputs.fit?.weight).toBe(5);
      expect(r.outputs.report).toBe("w=5 n=4");
      expect(Object.values(r.steps).map((s) => [s.step, s.status, s.attempts, s.cacheHit])).toEqual(
        expect.arrayContaining([
          ["load", "succeeded", 1, false],
          ["fit", "succeeded", 1, false],
          ["report", "succeeded", 1, false],
        ]),
      );
      expect(calls.get("fit")).toBe(1);
      expect(seen).toEqual([
        "pipeline.run.started",
        "pipeline.step.started:load",
        "pipeline.step.finished:load:succeeded",
        "pipeline.step.started:fit",
        "pipeline.step.finished:fit:succeeded",
        "pipeline.step.started:report",
        "pipeline.step.finished:report:succeeded",
        "pipeline.run.finished:succeeded",
      ]);
      const { run, steps } = await ws.pipelines.get(r.id);
      expect(run).toMatchObject({
        pipeline: "train",
        version: p.version,
        status: "succeeded",
        params: { n: 4, lr: 0.5 },
      });
      expect(run.finishedAt).toBeGreaterThanOrEqual(run.createdAt);
      expect(steps).toHaveLength(3);
      const fit = await ws.pipelines.stepRun(r.id, "fit");
      expect(fit.logs?.[0]).toMatchObject({ level: "info", message: "fitting", data: { rows: 4 } });
      expect(fit.startedAt).toBeLessThanOrEqual(fit.finishedAt!);
      expect(await ws.pipelines.output(p, r.id, "fit")).toEqual({ weight: 5 });
      expect((await ws.pipelines.list({ pipeline: "train" })).map((x) => x.id)).toEqual([r.id]);
    });

    it("prints and returns the graph before anything runs", async () => {
      const { p, calls } = trainPipeline();
      const g = p.graph();
      expect(g.nodes.map((n) => [n.name, n.dependsOn])).toEqual([
        ["load", []],
        ["fit", ["load"]],
        ["report", ["fit"]],
      ]);
      expect(g.edges).toContainEqual({ from: "load", fromPath: "rows", to: "fit", toPath: "rows", kind: "data" });
      expect(g.edges).toContainEqual({ from: "params", fromPath: "lr", to: "fit", toPath: "lr", kind: "data" });
      const text = g.toString();
      expect(text).toContain(`pipeline train@${p.version} (3 steps)`);
      expect(text).toMatch(/fit\s+\[fit@1\]\s+← load\.rows → rows, params\.lr → lr/);
      let printed = "";
      p.print((t) => {
        printed = t;
      });
      expect(printed).toBe(text);
      expect(calls.get("load")).toBe(0);
    });

    it("rejects bad params with the schema's issues and records nothing", async () => {
      await using ws = await open();
      const { p } = trainPipeline();
      const err = await ws.pipelines.run(p, { lr: "fast" } as never).catch((e) => e);
      expect(isMlcycleError(err, "VALIDATION")).toBe(true);
      expect(err.issues[0].path).toEqual(["lr"]);
      expect(await ws.pipelines.list()).toEqual([]);
      await expect(ws.pipelines.get("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(ws.pipelines.output("nope", "fit")).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("reuses cached outputs without executing and explains hits and misses", async () => {
      await using ws = await open();
      const { p, calls } = trainPipeline();
      const first = await ws.pipelines.run(p, { lr: 0.5 });
      const cachedEvents = collect(ws, ["pipeline.step.cached"]);
      const second = await ws.pipelines.run(p, { lr: 0.5 });
      expect(Object.values(second.steps).map((s) => s.status)).toEqual(["cached", "cached", "cached"]);
      expect(second.outputs.report).toBe("w=5 n=4");
      expect(calls.get("load")).toBe(1);
      expect(calls.get("fit")).toBe(1);
      expect(cachedEvents).toHaveLength(3);
      const hit = await ws.pipelines.explainCache(second.id, "fit");
      expect(hit).toMatchObject({ hit: true, status: "cached", previous: { runId: first.id }, differences: [] });
      expect(hit.components).toMatchObject({ step: "fit", version: "1", serializer: "auto@1", ignoredInputs: [] });
      expect(hit.key).toBe(first.steps.fit!.cacheKey);

      const third = await ws.pipelines.run(p, { lr: 0.25 });
      expect(third.steps.load!.status).toBe("cached");
      expect(third.steps.fit!.status).toBe("succeeded");
      expect(third.steps.report!.status).toBe("succeeded");
      const miss = await ws.pipelines.explainCache(third.id, "fit");
      expect(miss.hit).toBe(false);
      expect(miss.differences.map((d) => d.component)).toEqual(["input"]);
      expect(miss.reason).toContain("input");

      const off = await ws.pipelines.run(p, { lr: 0.5 }, { cache: false });
      expect(Object.values(off.steps).map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect((await ws.pipelines.explainCache(off.id, "fit")).reason).toContain("cache: false");
      expect(calls.get("load")).toBe(2);
    });

    it("keys a step on the params it reads through ctx.params, and only those", async () => {
      await using ws = await open();
      let runs = 0;
      const scale = step({
        name: "scale",
        version: "1",
        input: z.object({}),
        output: z.number(),
        run: (_i, ctx) => {
          runs++;
          return (ctx.params as { factor: number }).factor * 10;
        },
      });
      const p = pipeline("params", { params: z.object({ factor: z.number(), note: z.string() }) }).step("scale", scale);
      await ws.pipelines.run(p, { factor: 2, note: "a" });
      const b = await ws.pipelines.run(p, { factor: 2, note: "b" });
      expect(b.steps.scale!.status).toBe("cached");
      expect(Object.keys(b.steps.scale!.cacheComponents!.params)).toEqual(["factor"]);
      const c = await ws.pipelines.run(p, { factor: 3, note: "b" });
      expect(c.steps.scale!.status).toBe("succeeded");
      expect(c.outputs.scale).toBe(30);
      expect(runs).toBe(2);
      const why = await ws.pipelines.explainCache(c.id, "scale");
      expect(why.differences.map((d) => d.component)).toEqual(["params.factor"]);
    });

    it("honours cache policies: off, ignored inputs, expiry, and a version bump", async () => {
      const clock = manualClock(1_000_000);
      await using ws = await open({ clock });
      let n = 0;
      const make = (version: string, cache: Parameters<typeof step>[0]["cache"]) =>
        step({
          name: "work",
          version,
          input: z.object({ x: z.number(), verbose: z.boolean() }),
          output: z.number(),
          cache,
          run: ({ x }) => {
            n++;
            return x * 2;
          },
        });
      const build = (s: ReturnType<typeof make>, name: string) =>
        pipeline(name, { params: z.object({ x: z.number(), verbose: z.boolean() }) }).step("work", s, ({ params }) => ({
          x: params.x,
          verbose: params.verbose,
        }));

      const off = build(make("1", false), "off");
      await ws.pipelines.run(off, { x: 1, verbose: false });
      const offAgain = await ws.pipelines.run(off, { x: 1, verbose: false });
      expect(offAgain.steps.work!.status).toBe("succeeded");
      expect(n).toBe(2);

      await ws.pipelines.clearCache();
      const ignoring = build(make("2", { ignoreInputs: ["verbose"], expireMs: 60_000 }), "ignoring");
      await ws.pipelines.run(ignoring, { x: 1, verbose: false });
      const loud = await ws.pipelines.run(ignoring, { x: 1, verbose: true });
      expect(loud.steps.work!.status).toBe("cached");
      expect(loud.steps.work!.cacheComponents!.ignoredInputs).toEqual(["verbose"]);
      expect(n).toBe(3);
      clock.advance(60_001);
      const expired = await ws.pipelines.run(ignoring, { x: 1, verbose: true });
      expect(expired.steps.work!.status).toBe("succeeded");
      expect(n).toBe(4);
      expect((await ws.pipelines.explainCache(expired.id, "work")).reason).toContain("expired");

      const bumped = build(make("3", { ignoreInputs: ["verbose"], expireMs: 60_000 }), "bumped");
      const b = await ws.pipelines.run(bumped, { x: 1, verbose: true });
      expect(b.steps.work!.status).toBe("succeeded");
      const why = await ws.pipelines.explainCache(b.id, "work");
      expect(why.differences.map((d) => d.component)).toEqual(["version"]);
    });

    it("keys a step without a version on its code", async () => {
      await using ws = await open();
      const mk = (k: number) =>
        step({
          name: "code",
          input: z.object({}),
          output: z.number(),
          run: k === 1 ? () => 1 : () => 2,
        });
      const a = pipeline("code-a").step("code", mk(1));
      const b = pipeline("code-b").step("code", mk(2));
      expect(a.getNode("code").version).toMatch(/^code:[0-9a-f]{16}$/);
      expect(a.getNode("code").version).not.toBe(b.getNode("code").version);
      await ws.pipelines.run(a);
      const rb = await ws.pipelines.run(b);
      expect(rb.steps.code!.status).toBe("succeeded");
      expect(rb.outputs.code).toBe(2);
      const ra = await ws.pipelines.run(a);
      expect(ra.steps.code!.status).toBe("cached");
    });

    it("stores large and binary outputs in the artifact store through serializers", async () => {
      await using ws = await open();
      ws.pipelines.inlineLimit = 100;
      const csv: Serializer<string[]> = {
        id: "lines@1",
        serialize: (v) => new TextEncoder().encode(v.join("\n")),
        deserialize: (b) => new TextDecoder().decode(b).split("\n"),
      };
      const big = step({
        name: "big",
        version: "1",
        input: z.object({}),
        output: z.array(z.number()),
        run: () => Array.from({ length: 100 }, (_, i) => i),
      });
      const small = step({ name: "small", version: "1", input: z.object({}), output: z.number(), run: () => 7 });
      const bytes = step({
        name: "bytes",
        version: "1",
        input: z.object({}),
        output: z.instanceof(Uint8Array),
        run: () => new Uint8Array([1, 2, 3]),
      });
      const floats = step({
        name: "floats",
        version: "1",
        input: z.object({}),
        output: z.object({ w: z.instanceof(Float32Array), at: z.date() }),
        run: () => ({ w: new Float32Array([0.5, 1.5]), at: new Date(0) }),
      });
      const lines = step({
        name: "lines",
        version: "1",
        input: z.object({}),
        output: z.array(z.string()),
        serializer: csv,
        run: () => ["a", "b"],
      });
      const sum = step({
        name: "sum",
        version: "1",
        input: z.object({ xs: z.array(z.number()), w: z.instanceof(Float32Array) }),
        output: z.number(),
        run: ({ xs, w }) => xs.reduce((a, b) => a + b, 0) + w[1]!,
      });
      const p = pipeline("outputs")
        .step("big", big)
        .step("small", small)
        .step("bytes", bytes)
        .step("floats", floats)
        .step("lines", lines)
        .step("sum", sum, ({ big, floats }) => ({ xs: big, w: floats.w }));
      const r = await ws.pipelines.run(p);
      expect(r.status).toBe("succeeded");
      expect(r.outputs.sum).toBe(4951.5);
      const refs = Object.fromEntries(Object.values(r.steps).map((s) => [s.step, s.output]));
      expect(refs.small).toMatchObject({ kind: "inline", value: 7 });
      expect(refs.big).toMatchObject({ kind: "artifact", serializer: "json@1" });
      expect(refs.bytes).toMatchObject({ kind: "artifact", serializer: "bytes@1", size: 3 });
      expect(refs.floats).toMatchObject({ kind: "artifact", serializer: "v8@1" });
      expect(refs.lines).toMatchObject({ kind: "artifact", serializer: "lines@1" });
      for (const s of ["big", "bytes", "floats", "lines"]) {
        const ref = refs[s] as { digest: string };
        expect(await ws.artifacts.has(ref.digest)).toBe(true);
      }
      expect(await ws.pipelines.output(r.id, "big")).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(await ws.pipelines.output(r.id, "bytes")).toEqual(new Uint8Array([1, 2, 3]));
      const f = (await ws.pipelines.output(r.id, "floats")) as { w: Float32Array; at: Date };
      expect(f.w).toBeInstanceOf(Float32Array);
      expect([...f.w]).toEqual([0.5, 1.5]);
      expect(f.at.getTime()).toBe(0);
      expect(await ws.pipelines.output(p, r.id, "lines")).toEqual(["a", "b"]);
      // A cached artifact output is read back through its serializer too.
      const again = await ws.pipelines.run(p);
      expect(again.steps.floats!.status).toBe("cached");
      expect([...(again.outputs.floats!.w as Float32Array)]).toEqual([0.5, 1.5]);
      expect(again.steps.lines!.cacheComponents!.serializer).toBe("lines@1");
    });

    it("fans out over a list with a concurrency limit and fans the results in", async () => {
      await using ws = await open();
      let running = 0;
      let maxRunning = 0;
      const square = step({
        name: "square",
        version: "1",
        input: z.object({ x: z.number(), offset: z.number() }),
        output: z.number(),
        run: async ({ x, offset }, ctx) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          expect(ctx.index).toBeTypeOf("number");
          return x * x + offset;
        },
      });
      const total = step({
        name: "total",
        version: "1",
        input: z.object({ values: z.array(z.number()) }),
        output: z.number(),
        run: ({ values }) => values.reduce((a, b) => a + b, 0),
      });
      const list = step({
        name: "list",
        version: "1",
        input: z.object({ n: z.number() }),
        output: z.object({ xs: z.array(z.number()) }),
        run: ({ n }) => ({ xs: Array.from({ length: n }, (_, i) => i) }),
      });
      const p = pipeline("fan", { params: z.object({ n: z.number(), offset: z.number() }) })
        .step("list", list, ({ params }) => ({ n: params.n }))
        .map("square", square, {
          over: ({ list }) => list.xs,
          input: (x, { params }) => ({ x, offset: params.offset }),
          concurrency: 3,
        })
        .step("total", total, ({ square }) => ({ values: square }));
      const g = p.graph();
      expect(g.edges).toContainEqual({ from: "list", fromPath: "xs", to: "square", toPath: "[]", kind: "map" });
      expect(g.nodes[1]).toMatchObject({ kind: "map", over: "list.xs", concurrency: 3 });
      const r = await ws.pipelines.run(p, { n: 20, offset: 1 });
      expect(r.status).toBe("succeeded");
      expect(r.outputs.square).toEqual(Array.from({ length: 20 }, (_, i) => i * i + 1));
      expect(r.outputs.total).toBe(2490);
      expect(maxRunning).toBe(3);
      expect(r.steps.square!.items).toBe(20);
      const empty = await ws.pipelines.run(p, { n: 0, offset: 1 });
      expect(empty.outputs.square).toEqual([]);
      expect(empty.outputs.total).toBe(0);
    });

    it("fails a map step when an item fails, naming the item", async () => {
      await using ws = await open();
      const inv = step({
        name: "inv",
        version: "1",
        input: z.number(),
        output: z.number(),
        run: (x) => {
          if (x === 3) throw new RangeError("three is not allowed");
          return 1 / x;
        },
      });
      const src = step({
        name: "src",
        version: "1",
        input: z.object({}),
        output: z.array(z.number()),
        run: () => [1, 2, 3, 4],
      });
      const p = pipeline("fan-fail")
        .step("src", src)
        .map("inv", inv, { over: ({ src }) => src, concurrency: 1 });
      const r = await ws.pipelines.run(p);
      expect(r.status).toBe("failed");
      expect(r.steps.inv!.status).toBe("failed");
      expect(r.steps.inv!.error?.message).toBe("item 2: three is not allowed");
      expect(r.error?.message).toContain("step 'inv' failed");
    });

    it("skips a step whose condition is false, and its dependants", async () => {
      await using ws = await open();
      const score = step({
        name: "score",
        version: "1",
        input: z.object({}),
        output: z.object({ accuracy: z.number() }),
        run: (_i, ctx) => ({ accuracy: (ctx.params as { acc: number }).acc }),
      });
      const publish = step({
        name: "publish",
        version: "1",
        input: z.object({ accuracy: z.number() }),
        output: z.string(),
        run: ({ accuracy }) => `published ${accuracy}`,
      });
      const announce = step({
        name: "announce",
        version: "1",
        input: z.object({ msg: z.string() }),
        output: z.string(),
        run: ({ msg }) => msg.toUpperCase(),
      });
      const p = pipeline("gate", { params: z.object({ acc: z.number(), min: z.number() }) })
        .step("score", score)
        .step("publish", publish, ({ score }) => ({ accuracy: score.accuracy }), {
          when: ({ score, params }) => score.accuracy >= params.min,
        })
        .step("announce", announce, ({ publish }) => ({ msg: publish }));
      expect(p.graph().nodes[1]!.conditional).toBe(true);
      const skipped = collect(ws, ["pipeline.step.skipped"]);
      const low = await ws.pipelines.run(p, { acc: 0.5, min: 0.8 });
      expect(low.status).toBe("succeeded");
      expect(low.steps.publish).toMatchObject({ status: "skipped", reason: "condition is false" });
      expect(low.steps.announce).toMatchObject({ status: "skipped", reason: "upstream step 'publish' was skipped" });
      expect(skipped).toEqual(["pipeline.step.skipped:publish", "pipeline.step.skipped:announce"]);
      expect(low.outputs.announce).toBeUndefined();
      const high = await ws.pipelines.run(p, { acc: 0.9, min: 0.8 });
      expect(high.outputs.announce).toBe("PUBLISHED 0.9");
    });

    it("fails a condition that reads a step it does not depend on", async () => {
      await using ws = await open();
      const one = step({ name: "one", version: "1", input: z.object({}), output: z.number(), run: () => 1 });
      const p = pipeline("bad-when")
        .step("a", one)
        .step("b", one, undefined, { when: (v) => v.a > 0 });
      const r = await ws.pipelines.run(p);
      expect(r.steps.b!.status).toBe("failed");
      expect(r.steps.b!.error).toMatchObject({ code: "PRECONDITION" });
      const fixed = pipeline("good-when")
        .step("a", one)
        .step("b", one, undefined, { when: (v) => v.a > 0, after: ["a"] });
      expect(fixed.graph().edges).toContainEqual({ from: "a", fromPath: "", to: "b", toPath: "", kind: "control" });
      const ok = await ws.pipelines.run(fixed);
      expect(ok.status).toBe("succeeded");
      // "b" runs the same step on the same input as "a": its output comes from the cache.
      expect(ok.steps.b!.status).toBe("cached");
      expect(ok.outputs.b).toBe(1);
    });

    it("retries failing attempts with backoff and records the attempts", async () => {
      await using ws = await open();
      let tries = 0;
      const flaky = step({
        name: "flaky",
        version: "1",
        input: z.object({}),
        output: z.number(),
        retry: { retries: 3, backoffMs: 1, factor: 2 },
        run: (_i, ctx) => {
          tries++;
          if (ctx.attempt < 3) throw new Error(`try ${ctx.attempt} failed`);
          return ctx.attempt;
        },
      });
      const retrying = collect(ws, ["pipeline.step.retrying"]);
      const r = await ws.pipelines.run(pipeline("flaky").step("flaky", flaky));
      expect(r.status).toBe("succeeded");
      expect(r.outputs.flaky).toBe(3);
      expect(r.steps.flaky!.attempts).toBe(3);
      expect(tries).toBe(3);
      expect(retrying).toEqual(["pipeline.step.retrying:flaky", "pipeline.step.retrying:flaky"]);
    });

    it("stops retrying errors the policy does not retry, and stores the error with its stack", async () => {
      await using ws = await open();
      let tries = 0;
      const picky = step({
        name: "picky",
        version: "1",
        input: z.object({}),
        output: z.number(),
        retry: { retries: 5, backoffMs: 1, retryOn: (e) => !(e instanceof TypeError) },
        run: () => {
          tries++;
          throw new TypeError("not retryable");
        },
      });
      const failed = collect(ws, ["pipeline.step.failed", "pipeline.run.failed"]);
      const r = await ws.pipelines.run(pipeline("picky").step("picky", picky));
      expect(r.status).toBe("failed");
      expect(tries).toBe(1);
      expect(r.steps.picky).toMatchObject({
        status: "failed",
        attempts: 1,
        error: { name: "TypeError", message: "not retryable" },
      });
      expect(r.steps.picky!.error!.stack).toContain("TypeError: not retryable");
      expect(failed).toEqual(["pipeline.step.failed:picky:failed", "pipeline.run.failed"]);
      expect((await ws.pipelines.get(r.id)).run.error?.message).toContain("not retryable");
      expect((await ws.pipelines.explainCache(r.id, "picky")).reason).toContain("no cache key");
    });

    it("fails a step whose output does not match its schema, without retrying", async () => {
      await using ws = await open();
      let tries = 0;
      const liar = step({
        name: "liar",
        version: "1",
        input: z.object({}),
        output: z.object({ n: z.number() }),
        retry: { retries: 3, backoffMs: 1 },
        run: () => {
          tries++;
          return { n: "x" } as never;
        },
      });
      const r = await ws.pipelines.run(pipeline("liar").step("liar", liar));
      expect(r.steps.liar!.status).toBe("failed");
      expect(r.steps.liar!.error).toMatchObject({ code: "VALIDATION" });
      expect(tries).toBe(1);
    });

    it("times out a step that ignores its signal, abandons it and marks it timed out", async () => {
      await using ws = await open();
      let sawAbort = false;
      const slow = step({
        name: "slow",
        version: "1",
        input: z.object({}),
        output: z.number(),
        timeoutMs: 30,
        run: async (_i, ctx) => {
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
          });
          await new Promise((r) => setTimeout(r, 300));
          return 1;
        },
      });
      const after = step({
        name: "after",
        version: "1",
        input: z.object({ x: z.number() }),
        output: z.number(),
        run: ({ x }) => x,
      });
      const p = pipeline("slow")
        .step("slow", slow)
        .step("after", after, ({ slow }) => ({ x: slow }));
      const r = await ws.pipelines.run(p);
      expect(r.status).toBe("failed");
      expect(r.steps.slow).toMatchObject({ status: "timed_out", error: { code: "TIMEOUT" } });
      expect(r.steps.after).toBeUndefined();
      expect(sawAbort).toBe(true);
    });

    it("cancels a run: the running step's signal aborts and nothing else starts", async () => {
      await using ws = await open();
      let entered!: () => void;
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      const wait = step({
        name: "wait",
        version: "1",
        input: z.object({}),
        output: z.number(),
        cache: false,
        run: (_i, ctx) =>
          new Promise<number>((_resolve, reject) => {
            entered();
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
          }),
      });
      const next = step({
        name: "next",
        version: "1",
        input: z.object({ x: z.number() }),
        output: z.number(),
        run: ({ x }) => x,
      });
      const p = pipeline("cancel")
        .step("wait", wait)
        .step("next", next, ({ wait }) => ({ x: wait }));
      const handle = await ws.pipelines.start(p);
      await inside;
      expect(await ws.pipelines.cancel(handle.runId)).toBe(true);
      const r = await handle.result;
      expect(r.status).toBe("cancelled");
      expect(r.steps.wait!.status).toBe("cancelled");
      expect(r.steps.next).toMatchObject({ status: "cancelled", reason: "the run was cancelled" });
      expect(await ws.pipelines.cancel(handle.runId)).toBe(false);
    });

    it("resumes a failed run, running only what did not complete", async () => {
      await using ws = await open();
      const calls = counter();
      let broken = true;
      const a = step({
        name: "a",
        version: "1",
        input: z.object({}),
        output: z.number(),
        cache: false,
        run: () => {
          calls.hit("a");
          return 1;
        },
      });
      const b = step({
        name: "b",
        version: "1",
        input: z.object({ x: z.number() }),
        output: z.number(),
        cache: false,
        run: ({ x }) => {
          calls.hit("b");
          if (broken) throw new Error("disk full");
          return x + 1;
        },
      });
      const p = pipeline("resume")
        .step("a", a)
        .step("b", b, ({ a }) => ({ x: a }))
        .step("c", a);
      const r = await ws.pipelines.run(p);
      expect(r.status).toBe("failed");
      expect(r.steps.b!.status).toBe("failed");
      broken = false;
      const resumedEvents = collect(ws, ["pipeline.run.started"]);
      const done = await ws.pipelines.resume(r.id);
      expect(done.id).toBe(r.id);
      expect(done.status).toBe("succeeded");
      expect(done.outputs.b).toBe(2);
      expect(calls.get("a")).toBe(2);
      expect(calls.get("b")).toBe(2);
      expect(resumedEvents).toEqual(["pipeline.run.started"]);
      await expect(ws.pipelines.resume("missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
      const other = pipeline("other").step("a", a);
      await expect(ws.pipelines.resume(other, r.id)).rejects.toMatchObject({ code: "CONFLICT" });
    });

    it("runs unchanged on another executor, committing each step once under duplicate delivery", async () => {
      const delivered: string[] = [];
      const duplicating = duplicatingExecutor((task) => delivered.push(task.step));
      await using ws = await open({ executor: duplicating });
      const { p, calls } = trainPipeline(counter(), { tracked: true });
      const r = await ws.pipelines.run(p, { lr: 1 });
      expect(r.status).toBe("succeeded");
      expect(r.outputs.report).toBe("w=10 n=4");
      expect(delivered).toEqual(["load", "fit", "report"]);
      expect([calls.get("load"), calls.get("fit"), calls.get("report")]).toEqual([1, 1, 1]);
      // Duplicates delivered to the process running the step are dropped before opening a tracking run.
      const { run } = await ws.pipelines.get(r.id);
      const children = await ws.experiments.childRuns(run.trackingRunId!);
      expect(children.map((c) => `${c.name}:${c.status}`).sort()).toEqual([
        "fit:finished",
        "load:finished",
        "report:finished",
      ]);
    });

    it("runs each step once when a worker that does not drive the run gets every task twice at once", async () => {
      let workerRunner: StepTaskRunner | undefined;
      const toWorker: Executor = {
        name: "to-worker-twice",
        attach() {},
        async submit(task) {
          await Promise.all([workerRunner!(task), workerRunner!(task)]);
        },
        async close() {},
      };
      const ws = await open({ executor: toWorker });
      const worker = await createWorkspace({
        metadata: ws.metadata,
        artifacts: ws.artifacts,
        executor: {
          name: "worker",
          attach(r) {
            workerRunner = r;
          },
          submit: async () => {
            throw new Error("a worker does not submit");
          },
          async close() {},
        },
      });
      const { p, calls } = trainPipeline(counter(), { tracked: true });
      worker.pipelines.register(p);
      await worker.pipelines.startWorker();
      const r = await ws.pipelines.run(p, { lr: 3 });
      expect(r.status).toBe("succeeded");
      expect([calls.get("load"), calls.get("fit"), calls.get("report")]).toEqual([1, 1, 1]);
      expect(Object.values(r.steps).map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
      // The copy that lost the claim had opened its tracking run alongside the claim: ended as killed.
      const { run } = await ws.pipelines.get(r.id);
      const children = await ws.experiments.childRuns(run.trackingRunId!);
      const finished = children.filter((c) => c.status === "finished").map((c) => c.name);
      expect(finished.sort()).toEqual(["fit", "load", "report"]);
      expect(children.filter((c) => c.status !== "finished").every((c) => c.status === "killed")).toBe(true);
      for (const s of Object.values(r.steps)) expect(finished).toContain(s.step);
      await ws.close();
      await worker.close().catch(() => undefined);
    });

    it("runs every task on a worker workspace that shares only the stores", async () => {
      let workerRunner: StepTaskRunner | undefined;
      const workerSide: Executor = {
        name: "worker",
        attach(r) {
          workerRunner = r;
        },
        submit: async () => {
          throw new Error("a worker does not submit");
        },
        async close() {},
      };
      const forwarded: string[] = [];
      const toWorker: Executor = {
        name: "to-worker",
        attach() {},
        async submit(task) {
          forwarded.push(task.step);
          await workerRunner!(task);
        },
        async close() {},
      };
      const ws = await open({ executor: toWorker });
      const worker = await createWorkspace({ metadata: ws.metadata, artifacts: ws.artifacts, executor: workerSide });
      const { p, calls } = trainPipeline();
      worker.pipelines.register(p);
      await worker.pipelines.startWorker();
      worker.pipelines.inlineLimit = 10;
      const r = await ws.pipelines.run(p, { lr: 2 });
      expect(r.status).toBe("succeeded");
      expect(forwarded).toEqual(["load", "fit", "report"]);
      expect(calls.get("fit")).toBe(1);
      expect(r.outputs.report).toBe("w=20 n=4");
      expect(await ws.pipelines.output(r.id, "fit")).toEqual({ weight: 20 });
      expect(r.steps.load!.output).toMatchObject({ kind: "artifact", serializer: "json@1" });
      const again = await ws.pipelines.run(p, { lr: 2 }, { cache: false });
      expect(again.steps.fit!.status).toBe("succeeded");
      expect(calls.get("fit")).toBe(2);
      await ws.close();
      await worker.close().catch(() => undefined);
    });

    it("records lineage: step runs as executions with input and output artifacts in a run context", async () => {
      await using ws = await open();
      const { p } = trainPipeline(counter(), { tracked: true });
      const r = await ws.pipelines.run(p, { lr: 0.5 });
      const exec = await ws.lineage.get({ kind: "execution", externalId: `step_run:${r.id}/report` });
      expect(exec).toMatchObject({ type: "step_run", name: "report" });
      const out = r.steps.report!.output!;
      const art = await ws.lineage.get({ kind: "artifact", externalId: `step_output:${out.hash}` });
      const up = await ws.lineage.upstream(art.id);
      expect(up.nodes.map((n) => `${n.kind}:${n.name}:${n.hops}`)).toEqual(
        expect.arrayContaining([
          "artifact:train/report:0",
          "execution:report:1",
          "artifact:train/fit:2",
          "execution:fit:3",
          "artifact:train/load:4",
          "execution:load:5",
        ]),
      );
      const loadArt = await ws.lineage.get({
        kind: "artifact",
        externalId: `step_output:${r.steps.load!.output!.hash}`,
      });
      const down = await ws.lineage.downstream(loadArt.id, { maxHops: 2 });
      expect(down.nodes.map((n) => n.name).sort()).toEqual(["fit", "train/fit", "train/load"]);
      const ctx = await ws.lineage.get({ kind: "context", externalId: `pipeline_run:${r.id}` });
      expect(ctx.properties).toMatchObject({ pipeline: "train", params: { n: 4, lr: 0.5 } });
      expect(exec.properties).toMatchObject({ trackingRunId: r.steps.report!.trackingRunId });
      const withCtx = await ws.lineage.upstream(exec.id, { maxHops: 1, includeContexts: true });
      expect(withCtx.nodes.map((n) => n.id)).toContain(ctx.id);
    });

    it("logs a pipeline run and each executed step to tracking as parent and child runs", async () => {
      await using ws = await open();
      const measured = step({
        name: "measured",
        version: "1",
        input: z.object({}),
        output: z.number(),
        run: async (_i, ctx) => {
          await ctx.run.logParam("k", 3);
          await ctx.run.logMetric("loss", 0.25);
          return 1;
        },
      });
      const broken = step({
        name: "broken",
        version: "1",
        input: z.object({ x: z.number() }),
        output: z.number(),
        run: async (_i, ctx) => {
          await ctx.run.setTag("stage", "broken");
          throw new Error("nope");
        },
      });
      const p = pipeline("tracked", { params: z.object({ lr: z.number(), tags: z.array(z.string()) }) })
        .step("measured", measured)
        .step("broken", broken, ({ measured }) => ({ x: measured }));
      const r = await ws.pipelines.run(p, { lr: 0.1, tags: ["a"] });
      expect(r.status).toBe("failed");
      const { run } = await ws.pipelines.get(r.id);
      const parent = await ws.experiments.getRun(run.trackingRunId!);
      expect(parent).toMatchObject({
        status: "failed",
        params: { lr: "0.1", tags: '["a"]' },
        tags: { "mlcycle.pipeline": "tracked", "mlcycle.pipeline_run": r.id },
      });
      const child = await ws.experiments.getRun(r.steps.measured!.trackingRunId!);
      expect(child).toMatchObject({
        parentRunId: parent.id,
        name: "measured",
        status: "finished",
        params: { k: "3" },
        metrics: { loss: 0.25 },
      });
      const failed = await ws.experiments.getRun(r.steps.broken!.trackingRunId!);
      expect(failed).toMatchObject({ parentRunId: parent.id, status: "failed" });
      const again = await ws.pipelines.run(p, { lr: 0.1, tags: ["a"] });
      expect(again.steps.measured!.status).toBe("cached");
      expect(again.steps.measured!.trackingRunId).toBeUndefined();
    });

    it("does not run a dependant when the commit of its upstream step's outcome fails", async () => {
      await using base = await open();
      const real = base.metadata.pipelines;
      const pipelines = new Proxy(real, {
        get(t, k) {
          // The outcome is committed through commitStep where the store has it, else completeStep.
          if (k === "completeStep")
            return (...a: Parameters<typeof real.completeStep>) =>
              a[1] === "load" && a[3].status === "succeeded"
                ? Promise.reject(new Error("disk full"))
                : t.completeStep(...a);
          if (k === "commitStep" && t.commitStep)
            return (c: StepCommit) =>
              c.step === "load" && c.record.status === "succeeded"
                ? Promise.reject(new Error("disk full"))
                : t.commitStep!(c);
          const v = Reflect.get(t, k);
          return typeof v === "function" ? v.bind(t) : v;
        },
      });
      const m = base.metadata;
      const ws = await createWorkspace({
        metadata: {
          kind: m.kind,
          tracking: m.tracking,
          pipelines,
          registry: m.registry,
          lineage: m.lineage,
          features: m.features,
          close: async () => undefined,
        },
        artifacts: base.artifacts,
      });
      const { p, calls } = trainPipeline();
      const r = await ws.pipelines.run(p, { lr: 1 });
      expect(r.status).toBe("failed");
      expect(r.steps.load!.status).toBe("failed");
      expect(r.steps.load!.error?.message).toContain("disk full");
      expect(calls.get("load")).toBe(1);
      expect(calls.get("fit")).toBe(0);
      expect(calls.get("report")).toBe(0);
      expect(r.steps.fit?.status).not.toBe("succeeded");
      await ws.close();
    });

    it("records no tracking run for a step that does not use ctx.run, and a real one for a step that only reads its id", async () => {
      await using ws = await open();
      const { p } = trainPipeline();
      const r = await ws.pipelines.run(p, { lr: 1 });
      expect(r.status).toBe("succeeded");
      for (const s of Object.values(r.steps)) expect(s.trackingRunId).toBeUndefined();
      const { run } = await ws.pipelines.get(r.id);
      expect(await ws.experiments.childRuns(run.trackingRunId!)).toEqual([]);
      const exec = await ws.lineage.get({ kind: "execution", externalId: `step_run:${r.id}/fit` });
      expect(exec.properties.trackingRunId).toBeUndefined();

      const seen: string[] = [];
      const idOnly = step({
        name: "id-only",
        version: "1",
        input: z.object({}),
        output: z.string(),
        run: async (_i, ctx) => {
          const id = ctx.run.id;
          // The id names a run that can be read at once (as the registry does for runId).
          const info = await ws.experiments.getRun(id);
          seen.push(info.status);
          return id;
        },
      });
      const q = pipeline("id-only").step("a", idOnly);
      const r2 = await ws.pipelines.run(q, {});
      expect(r2.status).toBe("succeeded");
      expect(seen).toEqual(["running"]);
      expect(r2.steps.a!.trackingRunId).toBe(r2.outputs.a);
      const child = await ws.experiments.getRun(r2.outputs.a!);
      expect(child).toMatchObject({ name: "a", status: "finished" });
    });

    it("links a model a step registers to the pipeline's lineage", async () => {
      await using ws = await open();
      const { p: base } = trainPipeline();
      const register = step({
        name: "register",
        version: "1",
        input: z.object({ weight: z.number() }),
        output: z.object({ version: z.number() }),
        cache: false,
        run: async ({ weight }, ctx) => {
          const v = await ctx.workspace.registry.register("linear", {
            bytes: new TextEncoder().encode(JSON.stringify({ weight })),
            flavor: "json",
            runId: ctx.run.id,
            pipelineRunId: ctx.runId,
            step: ctx.stepName,
          });
          return { version: v.version };
        },
      });
      const p = base.step("register", register, ({ fit }) => ({ weight: fit.weight }));
      const r = await ws.pipelines.run(p, { lr: 1 });
      expect(r.status).toBe("succeeded");
      const up = await ws.lineage.upstream({ kind: "artifact", externalId: "model_version:linear/1" });
      const names = up.nodes.map((n) => `${n.kind}:${n.name}`);
      expect(names).toEqual(expect.arrayContaining(["execution:register", "execution:fit", "execution:load"]));
      const exec = await ws.lineage.get({ kind: "execution", externalId: `step_run:${r.id}/register` });
      expect(exec.type).toBe("step_run");
      expect(exec.properties).toMatchObject({ pipelineRunId: r.id, status: "succeeded" });
    });

    it("starts runs on workspace events with the skip and queue overlap policies", async () => {
      await using ws = await open();
      let release!: () => void;
      let gate = new Promise<void>((r) => {
        release = r;
      });
      const seen: string[] = [];
      const work = step({
        name: "work",
        version: "1",
        input: z.object({}),
        output: z.string(),
        cache: false,
        run: async (_i, ctx) => {
          const reason = (ctx.params as { reason: string }).reason;
          seen.push(reason);
          await gate;
          return reason;
        },
      });
      const p = pipeline("retrain", { params: z.object({ reason: z.string() }) }).step("work", work);
      const emit = (name: string, payload: unknown) => ws.events.emit(name as never, payload as never);
      const skip = ws.pipelines.onEvent(p, "monitor.alert", {
        params: (a: { kind: string }) => ({ reason: `skip:${a.kind}` }),
      });
      emit("monitor.alert", { kind: "drift" });
      emit("monitor.alert", { kind: "quality" });
      await new Promise((r) => setTimeout(r, 20));
      release();
      await skip.idle();
      expect(skip.started).toBe(1);
      expect(skip.skipped).toBe(1);
      skip.stop();
      emit("monitor.alert", { kind: "after-stop" });

      gate = new Promise<void>((r) => {
        release = r;
      });
      const queue = ws.pipelines.onEvent(p, "features.ingested", {
        overlap: "queue",
        params: (e: { view: string }) => ({ reason: `queue:${e.view}` }),
        filter: (e: { view: string }) => e.view !== "ignored",
      });
      emit("features.ingested", { view: "a" });
      emit("features.ingested", { view: "ignored" });
      emit("features.ingested", { view: "b" });
      await new Promise((r) => setTimeout(r, 20));
      expect(queue.queued).toBe(1);
      release();
      await queue.idle();
      expect(queue.started).toBe(2);
      expect(seen).toEqual(["skip:drift", "queue:a", "queue:b"]);
      const runs = await ws.pipelines.list({ pipeline: "retrain" });
      expect(runs.map((x) => x.trigger).sort()).toEqual([
        "event:features.ingested",
        "event:features.ingested",
        "event:monitor.alert",
      ]);
      expect(ws.pipelines.triggers()).toHaveLength(1);
    });

    it("starts runs on a cron schedule and stops its triggers on close", async () => {
      const ws = await open();
      let n = 0;
      const tick = step({
        name: "tick",
        version: "1",
        input: z.object({}),
        output: z.number(),
        cache: false,
        run: () => ++n,
      });
      const p = pipeline("cron").step("tick", tick);
      const t = ws.pipelines.schedule(p, { cron: "* * * * * *" });
      expect(t.nextRun()).toBeInstanceOf(Date);
      expect(t.source).toBe("cron:* * * * * *");
      const deadline = Date.now() + 5000;
      while (t.started < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await t.idle();
      expect(t.started).toBeGreaterThanOrEqual(1);
      expect(() => ws.pipelines.schedule(p, { cron: "not a cron" })).toThrow(/cron/);
      await ws.close();
      expect(ws.pipelines.triggers()).toHaveLength(0);
      expect(t.nextRun()).toBeNull();
      const count = n;
      await new Promise((r) => setTimeout(r, 1100));
      expect(n).toBe(count);
    });
  });
}

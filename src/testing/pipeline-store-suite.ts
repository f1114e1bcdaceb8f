import { describe, expect, it } from "./vitest.js";
import { newId } from "../core/ids.js";
import type { LineageStore } from "../stores/lineage-store.js";
import type {
  CacheEntry,
  PipelineRunRecord,
  PipelineStore,
  StepCommit,
  StepRunRecord,
} from "../stores/pipeline-store.js";
import type { TrackingStore } from "../stores/tracking-store.js";

/**
 * What {@link pipelineStoreSuite}'s factory returns: the pipeline store alone, or the metadata
 * ports around it (a `MetadataStore` fits) — then the `commitStep` cases also check, through the
 * tracking and lineage stores, what a step's commit stored there.
 */
export type PipelineStoreSubject =
  | PipelineStore
  | { pipelines: PipelineStore; tracking?: TrackingStore; lineage?: LineageStore };

const run = (id: string, extra: Partial<PipelineRunRecord> = {}): PipelineRunRecord => ({
  id,
  pipeline: "train",
  version: "1",
  status: "running",
  params: { lr: 0.1, nested: { a: [1, 2] } },
  trigger: "manual",
  createdAt: 1000,
  updatedAt: 1000,
  ...extra,
});

const entry = (key: string, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  key,
  baseKey: "b1",
  step: "fit",
  components: { step: "fit", version: "1", input: "i", ignoredInputs: [], params: { lr: "h" }, serializer: "auto@1" },
  output: { kind: "inline", value: { w: [1, 2] }, hash: "h1" },
  runId: "r1",
  createdAt: 1,
  ...extra,
});

/**
 * The {@link PipelineStore} conformance suite: run records, atomic claims of (run, step),
 * commits only by the claim's holder, resets for resume, and cache entries; with `commitStep`
 * (skipped when the store lacks it), a step's records committed all-or-nothing, read back through
 * the tracking and lineage stores when the factory returns them.
 *
 * @example
 * ```ts
 * pipelineStoreSuite("memory", async () => memoryStore());
 * pipelineStoreSuite("mine", async () => new MyPipelineStore()); // the pipeline store alone
 * ```
 */
export function pipelineStoreSuite(name: string, factory: () => Promise<PipelineStoreSubject>): void {
  const open = async () => {
    const subject = await factory();
    return "pipelines" in subject ? subject : { pipelines: subject };
  };
  const store = async () => (await open()).pipelines;
  describe(`PipelineStore conformance: ${name}`, () => {
    it("creates, reads, updates and lists runs; a duplicate id is a CONFLICT", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      await s.createRun(run("r2", { pipeline: "other", options: { cache: false } }));
      await expect(s.createRun(run("r1"))).rejects.toMatchObject({ code: "CONFLICT" });
      expect(await s.getRun("r1")).toEqual(run("r1"));
      expect((await s.getRun("r2"))?.options).toEqual({ cache: false });
      expect(await s.getRun("nope")).toBeUndefined();
      const error = { name: "Error", message: "boom", stack: "Error: boom\n  at x", code: "INTERNAL" };
      await s.updateRun("r1", { status: "failed", finishedAt: 2000, updatedAt: 2000, error, trackingRunId: "t1" });
      expect(await s.getRun("r1")).toMatchObject({ status: "failed", finishedAt: 2000, error, trackingRunId: "t1" });
      await expect(s.updateRun("nope", { status: "failed" })).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect((await s.listRuns()).map((r) => r.id)).toEqual(["r2", "r1"]);
      expect((await s.listRuns({ pipeline: "train" })).map((r) => r.id)).toEqual(["r1"]);
      expect((await s.listRuns({ status: "running" })).map((r) => r.id)).toEqual(["r2"]);
      expect(await s.listRuns({ limit: 1 })).toHaveLength(1);
    });

    it("lets exactly one of many concurrent claims of a step win", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.claimStep("r1", "fit", { token: `t${i}`, now: 5 })),
      );
      const won = claims.filter((c) => c !== undefined);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ runId: "r1", step: "fit", status: "running", startedAt: 5 });
      expect((await s.getStep("r1", "fit"))?.claimToken).toBe(won[0]!.claimToken);
    });

    it("claims only on a running run and only unclaimed or queued steps", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      await s.createRun(run("r2", { status: "cancelled" }));
      expect(await s.claimStep("r2", "fit", { token: "a", now: 1 })).toBeUndefined();
      expect(await s.claimStep("missing", "fit", { token: "a", now: 1 })).toBeUndefined();
      await s.putStep({ runId: "r1", step: "q", status: "queued", attempts: 0, cacheHit: false, updatedAt: 1 });
      expect(await s.claimStep("r1", "q", { token: "a", now: 2 })).toMatchObject({ status: "running" });
      expect(await s.claimStep("r1", "q", { token: "b", now: 3 })).toBeUndefined();
    });

    it("takes a claim over only from the holder it names, one winner at a time (claimStep with replaces)", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      await s.claimStep("r1", "fit", { token: "dead", now: 1 });
      expect(await s.claimStep("r1", "fit", { token: "b", now: 2, replaces: "someone-else" })).toBeUndefined();
      expect((await s.getStep("r1", "fit"))?.claimToken).toBe("dead");
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.claimStep("r1", "fit", { token: `n${i}`, now: 3, replaces: "dead" })),
      );
      const won = claims.filter((c) => c !== undefined);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ runId: "r1", step: "fit", status: "running", startedAt: 3, attempts: 0 });
      const winner = won[0]!.claimToken!;
      expect(await s.getStep("r1", "fit")).toMatchObject({ status: "running", claimToken: winner, startedAt: 3 });
      const done = { status: "succeeded" as const, attempts: 1, cacheHit: false, updatedAt: 4 };
      // The old holder's commit is refused; the new holder's goes through, once.
      expect(await s.completeStep("r1", "fit", "dead", { ...done, reason: "late" })).toBe(false);
      expect(await s.completeStep("r1", "fit", winner, done)).toBe(true);
      expect(await s.getStep("r1", "fit")).toMatchObject(done);
      // A completed step is never taken over, whatever the token named.
      expect(await s.claimStep("r1", "fit", { token: "late", now: 5, replaces: winner })).toBeUndefined();
      expect(await s.claimStep("r1", "fit", { token: "late", now: 5, replaces: "dead" })).toBeUndefined();
      // Naming a holder claims an unclaimed step as usual, and never on a run that is not running.
      expect(await s.claimStep("r1", "fresh", { token: "x", now: 6, replaces: "nobody" })).toMatchObject({
        status: "running",
        claimToken: "x",
      });
      await s.updateRun("r1", { status: "failed" });
      expect(await s.claimStep("r1", "fresh", { token: "y", now: 7, replaces: "x" })).toBeUndefined();
    });

    it("commits a step only for the holder of the claim, once", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      await s.claimStep("r1", "fit", { token: "mine", now: 10 });
      const rec: Omit<StepRunRecord, "runId" | "step" | "claimToken"> = {
        status: "succeeded",
        attempts: 2,
        startedAt: 10,
        finishedAt: 20,
        cacheHit: false,
        cacheKey: "k1",
        cacheComponents: entry("k1").components,
        output: { kind: "artifact", digest: "d".repeat(64), size: 3, serializer: "json@1", hash: "d".repeat(64) },
        trackingRunId: "tr",
        items: 3,
        logs: [{ at: 11, level: "info", message: "hello", data: { x: 1 } }],
        updatedAt: 20,
      };
      expect(await s.completeStep("r1", "fit", "theirs", rec)).toBe(false);
      expect((await s.getStep("r1", "fit"))?.status).toBe("running");
      expect(await s.completeStep("r1", "fit", "mine", rec, entry("k1"))).toBe(true);
      expect(await s.completeStep("r1", "fit", "mine", { ...rec, status: "failed" })).toBe(false);
      const got = await s.getStep("r1", "fit");
      expect(got).toMatchObject({ ...rec, runId: "r1", step: "fit" });
      expect((await s.findCache("b1")).map((e) => e.key)).toEqual(["k1"]);
      expect(await s.listSteps("r1")).toHaveLength(1);
    });

    it("keeps completed steps when putStep writes over them", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      await s.claimStep("r1", "a", { token: "t", now: 1 });
      await s.completeStep("r1", "a", "t", { status: "succeeded", attempts: 1, cacheHit: false, updatedAt: 2 });
      await s.putStep({ runId: "r1", step: "a", status: "cancelled", attempts: 0, cacheHit: false, updatedAt: 3 });
      expect((await s.getStep("r1", "a"))?.status).toBe("succeeded");
      await s.putStep({
        runId: "r1",
        step: "b",
        status: "skipped",
        reason: "why",
        attempts: 0,
        cacheHit: false,
        updatedAt: 3,
      });
      expect(await s.getStep("r1", "b")).toMatchObject({ status: "skipped", reason: "why", cacheHit: false });
    });

    it("resets what did not complete so that resume can claim it again", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      for (const [step, status] of [
        ["ok", "succeeded"],
        ["hit", "cached"],
        ["skip", "skipped"],
        ["bad", "failed"],
        ["slow", "timed_out"],
      ] as const) {
        await s.claimStep("r1", step, { token: step, now: 1 });
        await s.completeStep("r1", step, step, { status, attempts: 1, cacheHit: status === "cached", updatedAt: 2 });
      }
      await s.claimStep("r1", "crashed", { token: "dead", now: 1 });
      await s.updateRun("r1", { status: "failed", finishedAt: 5, error: { name: "Error", message: "x" } });
      const reset = await s.resetIncomplete("r1", 9);
      expect(reset.sort()).toEqual(["bad", "crashed", "slow"]);
      const r = await s.getRun("r1");
      expect(r?.status).toBe("running");
      expect(r?.finishedAt).toBeUndefined();
      expect(r?.error).toBeUndefined();
      expect((await s.listSteps("r1")).map((x) => x.step).sort()).toEqual(["hit", "ok", "skip"]);
      expect(await s.claimStep("r1", "crashed", { token: "new", now: 10 })).toBeDefined();
      expect(await s.claimStep("r1", "ok", { token: "new", now: 10 })).toBeUndefined();
      await expect(s.resetIncomplete("nope", 1)).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("gives a run one driver: a live lease refuses, an expired one is taken over (acquireRun)", async (ctx) => {
      const s = await store();
      if (!s.acquireRun || !s.renewLease) return ctx.skip();
      const a = { holder: "driver-a", expiresAt: 5000 };
      const b = { holder: "driver-b", expiresAt: 9000 };
      await s.createRun(run("r1", { lease: a }));
      expect((await s.getRun("r1"))?.lease).toEqual(a);
      // Live lease of another driver: refused, and the answer says who holds it until when.
      const refused = await s.acquireRun("r1", b, 4999);
      expect(refused.acquired).toBe(false);
      expect(refused.run?.lease).toEqual(a);
      // The holder itself may take it again; renewing extends it.
      expect((await s.acquireRun("r1", { ...a, expiresAt: 6000 }, 4000)).acquired).toBe(true);
      expect(await s.renewLease("r1", { ...a, expiresAt: 7000 })).toBe(true);
      expect((await s.getRun("r1"))?.lease).toEqual({ ...a, expiresAt: 7000 });
      expect((await s.acquireRun("r1", b, 6999)).acquired).toBe(false);
      // Expired: taken over; the old driver can no longer renew.
      const taken = await s.acquireRun("r1", b, 7000);
      expect(taken).toMatchObject({ acquired: true, run: { status: "running", lease: b, updatedAt: 7000 } });
      expect(await s.renewLease("r1", { ...a, expiresAt: 99_000 })).toBe(false);
      expect((await s.getRun("r1"))?.lease).toEqual(b);
      // Finished runs: failed and cancelled may be resumed whatever their lease; succeeded never.
      await s.updateRun("r1", { status: "failed", finishedAt: 7100, updatedAt: 7100 });
      expect(await s.acquireRun("r1", a, 7200)).toMatchObject({ acquired: true, run: { status: "running", lease: a } });
      await s.createRun(run("done", { status: "succeeded", lease: a, finishedAt: 2000 }));
      const done = await s.acquireRun("done", b, 99_999);
      expect(done.acquired).toBe(false);
      expect(done.run).toMatchObject({ status: "succeeded", lease: a });
      expect(await s.acquireRun("nope", b, 1)).toEqual({ acquired: false, run: undefined });
      expect(await s.renewLease("nope", b)).toBe(false);
      // A run created before leases existed (no lease) can be taken over.
      await s.createRun(run("old"));
      expect((await s.acquireRun("old", b, 1)).acquired).toBe(true);
    });

    it("lets exactly one of many concurrent acquireRun calls win", async (ctx) => {
      const s = await store();
      if (!s.acquireRun) return ctx.skip();
      await s.createRun(run("r1", { status: "failed", lease: { holder: "dead", expiresAt: 10 } }));
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => s.acquireRun!("r1", { holder: `d${i}`, expiresAt: 10_000 }, 100)),
      );
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const holder = winners[0]!.run.lease?.holder;
      expect((await s.getRun("r1"))?.lease?.holder).toBe(holder);
      for (const r of results.filter((x) => !x.acquired)) expect(r.run?.lease?.holder).toBe(holder);
    });

    it("stores cache entries by key and finds them by base key and by step, newest first", async () => {
      const s = await store();
      await s.putCache(entry("k1", { createdAt: 1 }));
      await s.putCache(entry("k2", { createdAt: 3, expiresAt: 100 }));
      await s.putCache(entry("k3", { createdAt: 2, baseKey: "b2" }));
      await s.putCache(entry("k4", { createdAt: 4, baseKey: "b3", step: "other" }));
      await s.putCache(entry("k1", { createdAt: 5, runId: "r9" }));
      const b1 = await s.findCache("b1");
      expect(b1.map((e) => e.key)).toEqual(["k1", "k2"]);
      expect(b1[0]).toEqual(entry("k1", { createdAt: 5, runId: "r9" }));
      expect(b1[1]?.expiresAt).toBe(100);
      expect((await s.listCache("fit")).map((e) => e.key)).toEqual(["k1", "k2", "k3"]);
      expect((await s.listCache("fit", 1)).map((e) => e.key)).toEqual(["k1"]);
      expect(await s.findCache("none")).toEqual([]);
      expect(await s.clearCache("other")).toBe(1);
      expect(await s.clearCache()).toBe(3);
      expect(await s.listCache("fit")).toEqual([]);
    });

    it("hands out copies: changing what a read returned changes nothing stored", async () => {
      const s = await store();
      await s.createRun(run("r1"));
      const got = await s.getRun("r1");
      (got!.params as { lr: number }).lr = 99;
      expect(((await s.getRun("r1"))!.params as { lr: number }).lr).toBe(0.1);
      await s.claimStep("r1", "a", { token: "t", now: 1 });
      await s.completeStep("r1", "a", "t", {
        status: "succeeded",
        attempts: 1,
        cacheHit: false,
        output: { kind: "inline", value: { xs: [1] }, hash: "h" },
        updatedAt: 2,
      });
      const step = await s.getStep("r1", "a");
      (step!.output as { value: { xs: number[] } }).value.xs.push(2);
      expect((await s.getStep("r1", "a"))!.output).toEqual({ kind: "inline", value: { xs: [1] }, hash: "h" });
    });
  });

  describe(`PipelineStore conformance: ${name}: commitStep`, () => {
    const record: StepCommit["record"] = {
      status: "succeeded",
      attempts: 1,
      startedAt: 10,
      finishedAt: 20,
      cacheHit: false,
      cacheKey: "k1",
      output: { kind: "inline", value: 1, hash: "h1" },
      updatedAt: 20,
    };
    /** A claimed step, a running tracking run (when there is a tracking store) and a commit of all of it. */
    const setup = async () => {
      const ports = await open();
      const s = ports.pipelines;
      await s.createRun(run("r1"));
      await s.claimStep("r1", "fit", { token: "mine", now: 10 });
      let trackingRunId: string | undefined;
      if (ports.tracking) {
        const experimentId = newId();
        await ports.tracking.createExperiment({
          id: experimentId,
          name: `pipelines-${experimentId}`,
          tags: {},
          lifecycle: "active",
          createdAt: 1,
          updatedAt: 1,
        });
        trackingRunId = newId();
        await ports.tracking.createRun(
          { id: trackingRunId, experimentId, name: "fit", status: "running", startTime: 10, heartbeatAt: 10 },
          {},
          {},
        );
      }
      const external = `step:${newId()}`;
      const commit: StepCommit = {
        runId: "r1",
        step: "fit",
        token: "mine",
        record: { ...record, ...(trackingRunId ? { trackingRunId } : {}) },
        cache: entry("k1"),
        ...(trackingRunId ? { trackingRun: { id: trackingRunId, patch: { status: "finished", endTime: 20 } } } : {}),
        ...(ports.lineage
          ? {
              lineage: {
                nodes: [
                  { kind: "execution", type: "step_run", name: "fit", externalId: external },
                  { kind: "artifact", type: "output", name: "fit.out", digest: "h1" },
                ],
                edges: [{ type: "event", from: 0, to: 1, direction: "output" }],
              },
            }
          : {}),
      };
      return { ...ports, s, trackingRunId, external, commit };
    };
    /** Nothing of `commit` was stored: the claim still holds, no cache entry, run still running, no lineage. */
    const expectNothingWritten = async (x: Awaited<ReturnType<typeof setup>>) => {
      expect(await x.s.getStep("r1", "fit")).toMatchObject({ status: "running", claimToken: "mine" });
      expect(await x.s.findCache("b1")).toEqual([]);
      if (x.tracking && x.trackingRunId)
        expect(await x.tracking.getRun(x.trackingRunId)).toMatchObject({ status: "running" });
      if (x.lineage) expect(await x.lineage.findByExternalId("execution", x.external)).toBeUndefined();
    };

    it("commits the outcome, cache entry, tracking-run end and lineage together", async (ctx) => {
      const x = await setup();
      if (!x.s.commitStep) return ctx.skip();
      const out = await x.s.commitStep(x.commit);
      expect(out.committed).toBe(true);
      expect(await x.s.getStep("r1", "fit")).toMatchObject({ ...x.commit.record, runId: "r1", step: "fit" });
      expect((await x.s.findCache("b1")).map((e) => e.key)).toEqual(["k1"]);
      if (x.tracking && x.trackingRunId)
        expect(await x.tracking.getRun(x.trackingRunId)).toMatchObject({ status: "finished", endTime: 20 });
      if (x.lineage) {
        expect(out.lineage.map((n) => n.name)).toEqual(["fit", "fit.out"]);
        const exec = await x.lineage.findByExternalId("execution", x.external);
        expect(exec?.id).toBe(out.lineage[0]!.id);
        expect(await x.lineage.edgesOf([exec!.id])).toMatchObject([
          { type: "event", from: out.lineage[0]!.id, to: out.lineage[1]!.id, direction: "output" },
        ]);
      } else expect(out.lineage).toEqual([]);
      // Committed once: the same token commits nothing the second time.
      expect((await x.s.commitStep({ ...x.commit, record: { ...record, status: "failed" } })).committed).toBe(false);
      expect((await x.s.getStep("r1", "fit"))?.status).toBe("succeeded");
    });

    it("writes nothing when the token no longer holds the claim", async (ctx) => {
      const x = await setup();
      if (!x.s.commitStep) return ctx.skip();
      expect(await x.s.commitStep({ ...x.commit, token: "theirs" })).toEqual({ committed: false, lineage: [] });
      await expectNothingWritten(x);
    });

    it("rolls the outcome back when a lineage edge fails, and commits on a later try", async (ctx) => {
      const x = await setup();
      if (!x.s.commitStep || !x.commit.lineage) return ctx.skip();
      const bad = {
        ...x.commit.lineage,
        edges: [...x.commit.lineage.edges, { type: "event" as const, from: 0, to: 7 }],
      };
      await expect(x.s.commitStep({ ...x.commit, lineage: bad })).rejects.toMatchObject({ code: "VALIDATION" });
      await expectNothingWritten(x);
      expect((await x.s.commitStep(x.commit)).committed).toBe(true);
    });

    it("rolls the outcome back when the tracking run to end is missing", async (ctx) => {
      const x = await setup();
      if (!x.s.commitStep || !x.commit.trackingRun) return ctx.skip();
      const missing = { ...x.commit, trackingRun: { id: newId(), patch: { status: "finished" as const } } };
      await expect(x.s.commitStep(missing)).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expectNothingWritten(x);
    });
  });
}

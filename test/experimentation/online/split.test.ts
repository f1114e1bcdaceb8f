import { describe, expect, it } from "vitest";
import type { AggregateSums, Workspace } from "../../../src/index.js";
import { caught, listen, onlineWorkspaces, setUpPrice } from "./online-fixtures.js";

async function sums(ws: Workspace, experiment: string): Promise<Record<string, AggregateSums>> {
  const rows = await ws.metadata.onlineExperiments!.getAggregates(experiment);
  return Object.fromEntries(rows.map((r) => [`${r.variant}/${r.metric}`, r.sums]));
}

const units = (n: number, prefix = "user") => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe.each(onlineWorkspaces())("fixed split on %s", (kind, open, freshDir) => {
  it("routes each unit to its variant on every call; answers and log rows carry the variant", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const started = listen(ws, "online.started");
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@champion", weight: 50 },
        { name: "treatment", ref: "price@2", weight: 50 },
      ],
      pollIntervalMs: false,
      actor: "ana",
      reason: "does doubling help",
    });
    expect(ab.name).toBe("price-ab");
    expect(ab.ref).toBe("experiment:price-ab");
    expect(ab.describe()).toMatchObject({ name: "price-ab", ref: "experiment:price-ab", model: "price", version: 1 });
    const seen = new Map<string, string>();
    for (const u of units(200)) {
      const p = await ab.predict([[3]], { unit: u });
      expect(p.variant).toBe(ab.assign(u));
      expect(p.experiment).toBe("price-ab");
      expect(p.outputs).toEqual([p.variant === "control" ? 3 : 6]);
      expect(p.version).toBe(p.variant === "control" ? 1 : 2);
      seen.set(u, p.variant as string);
    }
    for (const u of units(200)) expect((await ab.predict([[1]], { unit: u })).variant).toBe(seen.get(u));
    const counts = [...seen.values()].reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());
    expect(counts.get("control")! + counts.get("treatment")!).toBe(200);
    expect(counts.get("control")).toBeGreaterThan(70);
    expect(counts.get("treatment")).toBeGreaterThan(70);
    // Each variant is a deployment of its own, and each of its log rows carries the variant.
    expect(ws.serving.get("price-ab/control").ref).toBe("price@champion");
    await ab.flush();
    for (const variant of ["control", "treatment"]) {
      const { predictions } = await ws.serving.listPredictions({ deployment: `price-ab/${variant}`, limit: 1000 });
      expect(predictions.length).toBe(2 * counts.get(variant)!);
      expect(new Set(predictions.map((p) => p.variant))).toEqual(new Set([variant]));
    }
    expect(ab.health()).toMatchObject({ ready: true, served: 400, failed: 0 });
    expect(started).toEqual([
      expect.objectContaining({ experiment: "price-ab", kind: "split", deployment: "price-ab" }),
    ]);
    const [first] = await ws.online.history("price-ab");
    expect(first).toMatchObject({ seq: 1, action: "started", actor: "ana", reason: "does doubling help" });
    expect(ws.online.get("price-ab")).toBe(ab);
    expect((await ws.online.list()).map((e) => [e.name, e.kind, e.status])).toEqual([["price-ab", "split", "running"]]);
  });

  it("sums exposures, failures, latency and outcomes per variant in the store", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 1 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
    });
    const outcome = new Map<string, number>([
      ["control", 0],
      ["treatment", 0],
    ]);
    const calls = new Map<string, number>([
      ["control", 0],
      ["treatment", 0],
    ]);
    for (const [i, u] of units(60).entries()) {
      const p = await ab.predict([[i]], { unit: u });
      const v = p.variant as string;
      calls.set(v, calls.get(v)! + 1);
      const y = i % 3;
      outcome.set(v, outcome.get(v)! + y);
      // Half through the routed deployment, half through ws.online.
      if (i % 2 === 0) await ab.feedback(p.predictionId, { outcome: y });
      else await ws.online.feedback(p.predictionId, { outcome: y, label: [y] });
    }
    // A call that fails validation counts for its variant as a failure.
    const bad = "user-0";
    const failed = ab.assign(bad);
    expect((await caught(ab.predict([["x"]] as never, { unit: bad }))).code).toBe("VALIDATION");
    await ws.online.flush();
    const s = await sums(ws, "price-ab");
    for (const v of ["control", "treatment"]) {
      const extra = v === failed ? 1 : 0;
      expect(s[`${v}/exposures`].n).toBe(calls.get(v)! + extra);
      expect(s[`${v}/errors`]).toMatchObject({ n: calls.get(v)! + extra, sum: extra });
      expect(s[`${v}/latency_ms`].n).toBe(calls.get(v));
      expect(s[`${v}/outcome`]).toMatchObject({ n: calls.get(v), sum: outcome.get(v) });
      expect(s[`${v}/expected_exposures`].sum).toBeCloseTo(61 / 2, 9);
    }
    // The log has the outcome too.
    const { predictions } = await ws.serving.listPredictions({ deployment: "price-ab/control", withFeedback: true });
    expect(predictions.length).toBe(calls.get("control"));
  });

  it("counts one outcome per prediction and refuses feedback it cannot place", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 1 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
    });
    const other = await ws.online.split("other", {
      variants: [{ name: "only", ref: "price@1", weight: 1 }],
      pollIntervalMs: false,
    });
    const p = await ab.predict([[1]], { unit: "u" });
    await ab.feedback(p.predictionId, { outcome: 1 });
    const again = await caught(ab.feedback(p.predictionId, { outcome: 0 }));
    expect(again.code).toBe("CONFLICT");
    expect(again.message).toContain("one outcome per prediction");
    await ab.feedback(p.predictionId, { label: [1] }); // a label alone is fine
    expect((await caught(other.feedback(p.predictionId, { label: 1 }))).message).toContain(
      "served by experiment 'price-ab'",
    );
    const plain = await ws.serving.deploy("price@1", { name: "plain" });
    const q = await plain.predict([[1]]);
    expect((await caught(ws.online.feedback(q.predictionId, { outcome: 1 }))).code).toBe("PRECONDITION");
    expect((await caught(ws.online.feedback("01JD3Z6A7Q9R1T0B6C3V8X2Y4M", { outcome: 1 }))).code).toBe("NOT_FOUND");
    expect((await caught(ws.online.feedback(p.predictionId, { outcome: Number.NaN }))).code).toBe("VALIDATION");
    expect((await caught(ws.online.feedback(p.predictionId, { outcome: 1, metric: "exposures" }))).code).toBe(
      "VALIDATION",
    );
    await ws.online.flush();
    expect((await sums(ws, "price-ab"))[`${p.variant}/outcome`]).toMatchObject({ n: 1, sum: 1 });
  });

  it("moves only units of a shrinking variant when weights change, audited and followed by the router", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const changed = listen(ws, "online.weights_changed");
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 50 },
        { name: "treatment", ref: "price@2", weight: 50 },
      ],
      pollIntervalMs: false,
    });
    const before = new Map(units(5000).map((u) => [u, ab.assign(u)]));
    await ws.online.setWeights("price-ab", { control: 20, treatment: 80 }, { actor: "ana", reason: "ramp up" });
    let moved = 0;
    for (const [u, v] of before) {
      const now = ab.assign(u);
      if (now === v) continue;
      moved++;
      expect([v, now]).toEqual(["control", "treatment"]);
    }
    expect(Math.abs(moved / 5000 - 0.3)).toBeLessThan(0.03);
    expect(ab.currentWeights()).toEqual({ control: 0.2, treatment: 0.8 });
    expect(changed).toEqual([
      expect.objectContaining({ experiment: "price-ab", weights: { control: 0.2, treatment: 0.8 } }),
    ]);
    const trail = await ws.online.history("price-ab");
    expect(trail.at(-1)).toMatchObject({
      action: "weights_changed",
      actor: "ana",
      reason: "ramp up",
      details: { from: { control: 50, treatment: 50 }, to: { control: 20, treatment: 80 } },
    });
    // A weight of 0 takes a variant out of traffic.
    await ws.online.setWeights("price-ab", { control: 0 });
    expect(new Set(units(500).map((u) => ab.assign(u)))).toEqual(new Set(["treatment"]));
    expect((await caught(ws.online.setWeights("price-ab", { nope: 1 }))).code).toBe("VALIDATION");
    expect((await caught(ws.online.setWeights("price-ab", { control: -1 }))).code).toBe("VALIDATION");
  });

  it("assigns calls without a unit at random, in the configured shares", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 3 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
      deploy: { log: { enabled: false } },
    });
    let control = 0;
    for (let i = 0; i < 2000; i++) if ((await ab.predict([[1]])).variant === "control") control++;
    expect(Math.abs(control / 2000 - 0.75)).toBeLessThan(0.04);
  });

  it("records outcomes by unit or variant, and stops: every call to the control, nothing counted", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const stopped = listen(ws, "online.stopped");
    const ab = await ws.online.split("price-ab", {
      variants: [
        { name: "control", ref: "price@1", weight: 1 },
        { name: "treatment", ref: "price@2", weight: 1 },
      ],
      pollIntervalMs: false,
    });
    await ws.online.record("price-ab", { unit: "user-1", metric: "revenue", value: 10, covariate: 8 });
    await ws.online.record("price-ab", { variant: "treatment", metric: "revenue", value: 4 });
    expect((await caught(ws.online.record("price-ab", { variant: "nope", metric: "revenue", value: 1 }))).code).toBe(
      "VALIDATION",
    );
    expect((await caught(ws.online.record("price-ab", { unit: "u", metric: "errors", value: 1 }))).code).toBe(
      "VALIDATION",
    );
    await ws.online.flush();
    const s = await sums(ws, "price-ab");
    const v1 = ab.assign("user-1");
    expect(s[`${v1}/revenue`]).toMatchObject(
      v1 === "treatment" ? { n: 2, sum: 14, covariateSum: 8, productSum: 80 } : { n: 1, sum: 10, covariateSum: 8 },
    );
    await ws.online.stop("price-ab", { actor: "ana", reason: "enough" });
    expect(stopped).toEqual([expect.objectContaining({ experiment: "price-ab", reason: "enough" })]);
    for (const u of units(50)) expect((await ab.predict([[1]], { unit: u })).variant).toBe("control");
    await ws.online.flush();
    const after = await sums(ws, "price-ab");
    expect(after["control/exposures"]).toBeUndefined();
    expect((await ws.online.describe("price-ab")).status).toBe("stopped");
    expect((await ws.online.history("price-ab")).at(-1)).toMatchObject({ action: "stopped", actor: "ana" });
  });

  it("refuses bad arguments before storing anything", async () => {
    await using ws = await open();
    await setUpPrice(ws);
    const variants = [
      { name: "control", ref: "price@1", weight: 1 },
      { name: "treatment", ref: "price@2", weight: 1 },
    ];
    expect((await caught(ws.online.split("x", { variants: [{ name: "a", ref: "price@9", weight: 1 }] }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await caught(ws.online.split("x", { variants: [{ name: "a", ref: "price@1", weight: 0 }] }))).code).toBe(
      "VALIDATION",
    );
    expect(
      (await caught(ws.online.split("x", { variants: [{ name: "shadow", ref: "price@1", weight: 1 }] }))).code,
    ).toBe("VALIDATION");
    expect((await caught(ws.online.split("x", { variants, deploy: { name: "y" } as never }))).code).toBe("VALIDATION");
    expect((await caught(ws.online.split("x", { variants, pollInterval: 5 } as never))).issues[0].code).toBe(
      "unrecognized_keys",
    );
    expect(await ws.online.list()).toEqual([]);
    const x = await ws.online.split("x", { variants, pollIntervalMs: false });
    expect((await caught(ws.online.split("y", { variants, deployment: "x" }))).code).toBe("CONFLICT");
    expect((await caught(ws.online.open("x"))).message).toContain("already open in this workspace");
    await x.close();
    const dup = await caught(ws.online.split("x", { variants }));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.message).toContain('ws.online.open("x")');
    expect((await caught(() => ws.online.get("nope"))).code).toBe("NOT_FOUND");
  });

  if (kind === "sqlite")
    it("keeps each unit's variant across a restart and in a second process on the same folder", async () => {
      const dir = freshDir();
      const before = new Map<string, string>();
      {
        await using ws = await open({ dir });
        await setUpPrice(ws);
        const ab = await ws.online.split("price-ab", {
          variants: [
            { name: "control", ref: "price@1", weight: 30 },
            { name: "treatment", ref: "price@2", weight: 70 },
          ],
          pollIntervalMs: false,
        });
        for (const u of units(300)) before.set(u, (await ab.predict([[1]], { unit: u })).variant as string);
      }
      await using a = await open({ dir });
      await using b = await open({ dir });
      for (const ws of [a, b]) setUpPriceFunctions(ws);
      const ra = await a.online.open("price-ab", { pollIntervalMs: false });
      const rb = await b.online.open("price-ab", { pollIntervalMs: false });
      for (const [u, v] of before) {
        expect((await ra.predict([[1]], { unit: u })).variant).toBe(v);
        expect(rb.assign(u)).toBe(v);
      }
      // A weight change made by one process is followed by the other on its next read.
      await a.online.setWeights("price-ab", { control: 50, treatment: 50 });
      await rb.refresh();
      for (const u of units(300)) expect(rb.assign(u)).toBe(ra.assign(u));
      await a.online.flush();
      await b.online.flush();
      expect(
        (await sums(a, "price-ab"))["control/exposures"].n + (await sums(a, "price-ab"))["treatment/exposures"].n,
      ).toBe(600);
    });
});

/** The `scale` function registered again in a new process (the versions are stored already). */
function setUpPriceFunctions(ws: Workspace): void {
  ws.registry.registerFunction(
    "scale",
    (s: { factor: number }) => (rows: number[][]) => rows.map(([x]) => x * s.factor),
  );
}

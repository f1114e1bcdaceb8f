import { join } from "node:path";
import LogisticRegression from "ml-logistic-regression";
import { Matrix } from "ml-matrix";
import { RandomForestClassifier } from "ml-random-forest";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  checkGate,
  createWorkspace,
  functionModel,
  isMlcycleError,
  type MlcycleError,
  type MlcycleEvents,
  manualClock,
  openWorkspace,
  type Workspace,
} from "../../src/index.js";
import { tempDir } from "../helpers.js";
import { irisFixture } from "./iris-data.js";

const iris = irisFixture();
const rf = new RandomForestClassifier({
  nEstimators: 10,
  seed: 3,
  maxFeatures: 2,
  useSampleBagging: true,
  noOOB: true,
});
rf.train(iris.train_rows, iris.train_labels);
const lr = new LogisticRegression({ numSteps: 300, learningRate: 5e-3 });
lr.train(new Matrix(iris.train_rows), Matrix.columnVector(iris.train_labels));
const lrPredict = (m: LogisticRegression, x: number[][]) => m.predict(new Matrix(x));
const rowSchema = z.array(z.array(z.number()).length(4)).min(1);
const gate = {
  name: "beats-champion",
  thresholds: [{ metric: "accuracy_score", threshold: 0.5, minAbsoluteChange: 0 }],
};

async function caught(p: Promise<unknown> | (() => unknown)): Promise<MlcycleError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (isMlcycleError(e)) return e;
    throw e;
  }
  throw new Error("expected an MlcycleError");
}

function listen<K extends keyof MlcycleEvents>(ws: Workspace, name: K): MlcycleEvents[K][] {
  const seen: MlcycleEvents[K][] = [];
  ws.events.on(name, (e) => seen.push(e));
  return seen;
}

const dir = tempDir();
const workspaces: Array<[string, () => Promise<Workspace>]> = [
  ["memory", () => createWorkspace()],
  ["sqlite", () => openWorkspace(join(dir, `ws-${Math.random()}`))],
];

describe.each(workspaces)("ws.registry on %s", (_name, open) => {
  it("creates, finds, searches, renames, tags and describes registered models", async () => {
    await using ws = await open();
    const r = ws.registry;
    const m = await r.createModel("iris-rf", { description: "forest", tags: { team: "vision" } });
    expect(m).toMatchObject({ name: "iris-rf", description: "forest", tags: { team: "vision" }, aliases: {} });
    await r.createModel("iris-lr", { tags: { team: "tabular" } });
    await r.createModel("diabetes");
    expect((await r.searchModels({ nameLike: "IRIS%" })).map((x) => x.name)).toEqual(["iris-lr", "iris-rf"]);
    expect((await r.searchModels({ tags: { team: "tabular" } })).map((x) => x.name)).toEqual(["iris-lr"]);
    expect((await r.listModels()).map((x) => x.name)).toEqual(["diabetes", "iris-lr", "iris-rf"]);
    await r.renameModel("iris-rf", "iris-forest");
    await r.updateModel("iris-forest", { description: "random forest" });
    await r.setModelTag("iris-forest", "stage", "dev");
    await r.deleteModelTag("iris-forest", "team");
    expect(await r.getModel("iris-forest")).toMatchObject({
      id: m.id,
      description: "random forest",
      tags: { stage: "dev" },
    });
    expect((await caught(r.getModel("iris-rf"))).code).toBe("NOT_FOUND");
  });

  it("rejects duplicate and invalid names and names what was not found", async () => {
    await using ws = await open();
    const r = ws.registry;
    await r.createModel("iris");
    await r.createModel("other");
    expect((await caught(r.createModel("iris"))).code).toBe("CONFLICT");
    expect((await caught(r.renameModel("other", "iris"))).code).toBe("CONFLICT");
    for (const bad of ["", "a@b", "x".repeat(501), "semi;colon", 42])
      expect((await caught(() => r.createModel(bad as string))).code).toBe("VALIDATION");
    const nf = await caught(r.getModel("ghost"));
    expect(nf.code).toBe("NOT_FOUND");
    expect(nf.message).toContain("ghost");
    await r.register("iris", { model: functionModel("id", {}) });
    const v = await caught(r.getVersion("iris@7"));
    expect([v.code, v.message.includes("iris@7")]).toEqual(["NOT_FOUND", true]);
    const a = await caught(r.load("iris@champion"));
    expect([a.code, a.message.includes("iris@champion")]).toEqual(["NOT_FOUND", true]);
    expect((await caught(r.getVersion("01ARZ3NDEKTSV4RRFFQ69G5FAV"))).code).toBe("NOT_FOUND");
    expect((await caught(r.getVersion("iris"))).code).toBe("VALIDATION");
    expect((await caught(r.getVersion("ghost@latest"))).message).toContain("ghost");
    expect((await caught(r.setAlias("iris", "latest", 1))).code).toBe("VALIDATION");
    expect((await caught(r.setAlias("iris", "v2", 1))).code).toBe("VALIDATION");
    expect((await caught(r.setAlias("iris", "champion", 9))).code).toBe("NOT_FOUND");
    expect((await caught(r.deleteAlias("iris", "champion"))).code).toBe("NOT_FOUND");
    expect((await caught(r.register("iris", { model: 1, flavor: "pickle" }))).code).toBe("NOT_FOUND");
    expect((await caught(r.register("iris", { model: { weird: true } }))).code).toBe("VALIDATION");
    expect((await caught(r.register("iris", {} as never))).code).toBe("VALIDATION");
    expect((await caught(r.register("iris", { model: functionModel("id", {}), tags: { k: 1 as never } }))).code).toBe(
      "VALIDATION",
    );
    for (const metrics of [{ a: Number.NaN }, { a: Number.POSITIVE_INFINITY }, { a: "1" }, { "bad;key": 1 }])
      expect(
        (await caught(r.register("iris", { model: functionModel("id", {}), metrics: metrics as never }))).code,
      ).toBe("VALIDATION");
    expect((await caught(r.approve("iris@9", { actor: "x" }))).code).toBe("NOT_FOUND");
    expect((await caught(r.aliasHistory("ghost"))).code).toBe("NOT_FOUND");
    expect((await caught(r.setPolicy("ghost", "champion", { requireApproval: true }))).code).toBe("NOT_FOUND");
    expect((await caught(r.setPolicy("iris", "champion", { gate: "bad;gate" }))).code).toBe("VALIDATION");
    expect((await caught(r.setPolicy("iris", "champion", { requireApproval: "yes" as never }))).code).toBe(
      "VALIDATION",
    );
    expect((await caught(r.searchModels({ limit: 0 }))).code).toBe("VALIDATION");
    expect((await caught(r.setAlias("iris", "a@b", 1))).code).toBe("VALIDATION");
    expect((await caught(r.getVersion("iris@0"))).code).toBe("NOT_FOUND");
    expect((await caught(r.getVersion({ model: "iris", version: 1.5 }))).code).toBe("VALIDATION");
    expect((await caught(r.register("iris", { bytes: new Uint8Array([1]) }))).code).toBe("VALIDATION");
    expect(
      (await caught(r.register("iris", { model: functionModel("id", {}), bytes: new Uint8Array([1]) }))).code,
    ).toBe("VALIDATION");
    expect((await caught(r.register("nope", { model: functionModel("id", {}), createModel: false }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("registers json-flavor ml.js models with numbered versions and loads them by every kind of reference", async () => {
    await using ws = await open();
    const created = listen(ws, "model.version.created");
    const r = ws.registry;
    r.registerModelClass(RandomForestClassifier);
    r.registerModelClass(LogisticRegression, { predict: lrPredict });
    const v1 = await r.register("iris", {
      model: rf,
      signature: { inputs: rowSchema, outputs: z.array(z.number()) },
      metrics: { oob: 0.9 },
      tags: { algo: "rf" },
      modelCard: "# Iris forest\n\nFive trees.",
      featureService: "iris_features",
      actor: "ana",
    });
    const v2 = await r.register("iris", { model: lr, signature: { inputs: rowSchema } });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1).toMatchObject({
      model: "iris",
      flavor: "json",
      flavorMeta: { className: "RandomForestClassifier" },
      metrics: { oob: 0.9 },
      tags: { algo: "rf" },
      modelCard: "# Iris forest\n\nFive trees.",
      featureService: "iris_features",
      createdBy: "ana",
    });
    expect(v1.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.signature?.inputs).toMatchObject({ type: "array", items: { type: "array", minItems: 4, maxItems: 4 } });
    expect(created.map((e) => [e.model, e.version, e.flavor])).toEqual([
      ["iris", 1, "json"],
      ["iris", 2, "json"],
    ]);

    const expectedRf = rf.predict(iris.test_rows);
    for (const ref of ["iris@1", "iris@v1", "models:/iris/1", v1.id, { model: "iris", version: 1 }] as const) {
      const m = await r.load(ref);
      expect(m.version.version).toBe(1);
      expect(await m.predict(iris.test_rows)).toEqual(expectedRf);
    }
    const latest = await r.load("iris@latest");
    expect(latest.version.version).toBe(2);
    expect(await latest.predict(iris.test_rows)).toEqual(lrPredict(lr, iris.test_rows));
    expect((await r.listVersions("iris")).map((v) => v.version)).toEqual([1, 2]);
    expect((await r.getModel("iris")).latestVersion).toBe(2);

    await r.updateVersion("iris@1", { modelCard: "# v1", tags: { algo: null, reviewed: "yes" }, metrics: { f1: 0.8 } });
    expect(await r.getVersion("iris@1")).toMatchObject({
      modelCard: "# v1",
      tags: { reviewed: "yes" },
      metrics: { oob: 0.9, f1: 0.8 },
    });
  });

  it("validates inputs against the signature with zod's issues", async () => {
    await using ws = await open();
    ws.registry.registerModelClass(RandomForestClassifier);
    await ws.registry.register("iris", { model: rf, signature: { inputs: rowSchema } });
    const m = await ws.registry.load("iris@latest");
    const e = await caught(m.predict([[1, 2, 3]]));
    expect(e.code).toBe("VALIDATION");
    expect(e.issues[0]).toMatchObject({ code: "too_small", path: [0] });
    const e2 = await caught(m.predict([[1, 2, "x", 4]]));
    expect(e2.issues[0]).toMatchObject({ code: "invalid_type", path: [0, 2] });
    expect((await caught(m.predict([]))).code).toBe("VALIDATION");
    const unchecked = await ws.registry.load("iris@latest", { validate: false });
    expect(unchecked.validateInputs("anything")).toBe("anything");
  });

  it("accepts a JSON Schema signature and refuses one it could not rebuild", async () => {
    await using ws = await open();
    ws.registry.registerFunction("sum", () => (rows: number[][]) => rows.map((r) => r[0] + r[1]));
    const inputs = { type: "array", items: { type: "array", items: { type: "number" }, minItems: 2, maxItems: 2 } };
    await ws.registry.register("sum", { model: functionModel("sum", {}), signature: { inputs } });
    const m = await ws.registry.load("sum@1");
    expect(await m.predict([[1, 2]])).toEqual([3]);
    expect((await caught(m.predict([[1, "2"]]))).issues[0].path).toEqual([0, 1]);
    const bad = await caught(
      ws.registry.register("sum", { model: functionModel("sum", {}), signature: { inputs: { type: "nonsense" } } }),
    );
    expect(bad.code).toBe("VALIDATION");
    expect((await ws.registry.listVersions("sum")).length).toBe(1);
  });

  it("needs the class of a json model, and the factory of a function model, in the loading process", async () => {
    await using ws = await open();
    await ws.registry.register("iris", { model: rf });
    const e = await caught(ws.registry.load("iris@1"));
    expect(e.code).toBe("PRECONDITION");
    expect(e.message).toContain("RandomForestClassifier");
    const m = await ws.registry.load("iris@1", { modelClass: RandomForestClassifier });
    expect(await m.predict(iris.test_rows.slice(0, 3))).toEqual(rf.predict(iris.test_rows.slice(0, 3)));

    await ws.registry.register("lin", { model: functionModel("linear", { w: [2, 3], b: 1 }) });
    expect((await caught(ws.registry.load("lin@1"))).message).toContain("registerFunction");
  });

  it("stores function-flavor state and rebuilds the predictor from its factory", async () => {
    await using ws = await open();
    ws.registry.registerFunction(
      "linear",
      (s: { w: number[]; b: number }) => (rows: number[][]) =>
        rows.map((r) => r.reduce((a, x, i) => a + x * s.w[i], s.b)),
    );
    const v = await ws.registry.register("price", {
      model: functionModel("linear", { w: [2, 3], b: 1 }),
      signature: { inputs: z.array(z.array(z.number()).length(2)) },
    });
    expect(v.flavor).toBe("function");
    expect(v.flavorMeta).toMatchObject({ factory: "linear" });
    expect(v.flavorMeta.codeSha256).toMatch(/^[0-9a-f]{64}$/);
    const m = await ws.registry.load("price@1");
    expect(
      await m.predict([
        [1, 1],
        [0, 2],
      ]),
    ).toEqual([6, 7]);
    expect((await caught(m.predict([[1]]))).code).toBe("VALIDATION");
  });

  it("supports a custom flavor through the documented interface", async () => {
    await using ws = await open();
    ws.registry.registerFlavor({
      name: "threshold",
      detect: (m) => typeof m === "object" && m !== null && "cut" in m,
      save: (m: { cut: number }) => ({ bytes: new TextEncoder().encode(String(m.cut)), meta: { unit: "score" } }),
      load: (bytes, meta) => {
        const cut = Number(new TextDecoder().decode(bytes));
        return { predict: (xs: number[]) => xs.map((x) => (x >= cut ? meta.unit : "low")) };
      },
    });
    const v = await ws.registry.register("spam", { model: { cut: 0.7 } });
    expect(v.flavor).toBe("threshold");
    expect(await (await ws.registry.load("spam@1")).predict([0.5, 0.9])).toEqual(["low", "score"]);
    expect((await caught(() => ws.registry.registerFlavor({ name: "x" } as never))).code).toBe("VALIDATION");
  });

  it("moves aliases atomically with an audit trail, and rolls back one move at a time", async () => {
    const clock = manualClock(1_000);
    await using ws =
      _name === "memory"
        ? await createWorkspace({ clock })
        : await openWorkspace(join(dir, `c-${Math.random()}`), { clock });
    const moved = listen(ws, "model.alias.moved");
    const r = ws.registry;
    for (let i = 0; i < 3; i++) await r.register("iris", { model: functionModel("id", { i }) });
    await r.setAlias("iris", "champion", 1, { actor: "ana", reason: "first" });
    clock.advance(10);
    await r.setAlias("iris", "champion", 2, { actor: "bo", reason: "better" });
    clock.advance(10);
    await r.promote("iris", "champion", "iris@3", { actor: "cy", reason: "best" });
    await r.setAlias("iris", "challenger", 2, { actor: "cy" });
    expect(await r.aliases("iris")).toEqual({ champion: 3, challenger: 2 });
    expect((await r.getVersion("iris@champion")).version).toBe(3);
    expect((await r.getVersion("iris@2")).aliases).toEqual(["challenger"]);
    const same = await r.setAlias("iris", "champion", 3, { actor: "dee" });
    expect(same).toMatchObject({ from: 2, to: 3, actor: "cy" });

    const back = await r.rollback("iris", "champion", { actor: "oncall", reason: "errors up" });
    expect(back).toMatchObject({ action: "rollback", from: 3, to: 2, actor: "oncall", reason: "errors up" });
    expect((await r.rollback("iris", "champion")).to).toBe(1);
    const none = await caught(r.rollback("iris", "champion"));
    expect(none.code).toBe("PRECONDITION");
    expect((await r.getVersion("iris@champion")).version).toBe(1);

    const history = await r.aliasHistory("iris", "champion");
    expect(history.map((h) => [h.action, h.from, h.to, h.actor])).toEqual([
      ["rollback", 2, 1, expect.any(String)],
      ["rollback", 3, 2, "oncall"],
      ["set", 2, 3, "cy"],
      ["set", 1, 2, "bo"],
      ["set", undefined, 1, "ana"],
    ]);
    expect(history[3]).toMatchObject({ reason: "better", at: 1_010 });

    const del = await r.deleteAlias("iris", "challenger", { actor: "cy", reason: "done" });
    expect(del).toMatchObject({ action: "delete", from: 2 });
    expect(await r.aliases("iris")).toEqual({ champion: 1 });
    expect(moved.map((m) => [m.alias, m.action, m.from, m.to])).toEqual([
      ["champion", "set", undefined, 1],
      ["champion", "set", 1, 2],
      ["champion", "set", 2, 3],
      ["challenger", "set", undefined, 2],
      ["champion", "rollback", 3, 2],
      ["champion", "rollback", 2, 1],
      ["challenger", "delete", 2, undefined],
    ]);
    // Renaming keeps versions, aliases and history.
    await r.renameModel("iris", "iris-v2");
    expect((await r.getVersion("iris-v2@champion")).version).toBe(1);
    expect(await r.aliasHistory("iris-v2", "champion")).toHaveLength(5);
  });

  it("refuses moves that lack a required approval or passing gate, naming what is missing", async () => {
    await using ws = await open();
    const approvals = listen(ws, "model.approval.given");
    const r = ws.registry;
    await r.register("iris", { model: functionModel("id", {}) });
    await r.register("iris", { model: functionModel("id", { v: 2 }) });
    await r.setAlias("iris", "champion", 1, { actor: "ana" });
    await r.setPolicy("iris", "champion", { requireApproval: true, gate });
    expect(await r.getPolicy("iris", "champion")).toMatchObject({ requireApproval: true, gate: "beats-champion" });

    const e1 = await caught(r.setAlias("iris", "champion", 2, { actor: "bo" }));
    expect(e1.code).toBe("PRECONDITION");
    expect(e1.message).toMatch(/approval/);
    expect(e1.message).toMatch(/beats-champion/);
    expect(e1.details.missing).toEqual(["approval", "gate:beats-champion"]);

    await r.approve("iris@2", { actor: "lead", comment: "card reviewed" });
    expect(approvals).toMatchObject([{ model: "iris", version: 2, actor: "lead", comment: "card reviewed" }]);
    expect((await r.approvals("iris@2")).map((a) => a.actor)).toEqual(["lead"]);
    const e2 = await caught(r.setAlias("iris", "champion", 2));
    expect(e2.details.missing).toEqual(["gate:beats-champion"]);

    await r.recordEvaluation("iris@2", { gateResult: checkGate(gate, { accuracy_score: 0.4 }) });
    const e3 = await caught(r.setAlias("iris", "champion", 2));
    expect(e3.message).toContain("latest failed");
    // A passing result for another gate does not count.
    await r.recordEvaluation("iris@2", {
      gateResult: checkGate({ ...gate, name: "other" }, { accuracy_score: 0.9 }),
    });
    expect((await caught(r.setAlias("iris", "champion", 2))).code).toBe("PRECONDITION");
    // Nor does a passing result of a laxer gate under the same name: the policy pins the definition.
    const lax = { name: gate.name, thresholds: [{ metric: "accuracy_score", threshold: 0.1 }] };
    await r.recordEvaluation("iris@2", { gateResult: checkGate(lax, { accuracy_score: 0.2 }) });
    expect((await caught(r.setAlias("iris", "champion", 2))).code).toBe("PRECONDITION");
    await r.recordEvaluation("iris@2", {
      gateResult: checkGate(gate, { accuracy_score: 0.9 }, { accuracy_score: 0.8 }),
    });
    await r.setAlias("iris", "champion", 2, { actor: "bo", reason: "approved and gated" });
    expect((await r.getVersion("iris@champion")).version).toBe(2);
    // Rollback is the emergency lever: not re-checked against the policy.
    expect((await r.rollback("iris", "champion")).to).toBe(1);

    await r.removePolicy("iris", "champion");
    expect(await r.getPolicy("iris", "champion")).toBeUndefined();
    expect((await caught(r.recordEvaluation("iris@2", {}))).code).toBe("VALIDATION");
  });

  it("pins the gate definition when the policy is given a Gate, and only its name when given a name", async () => {
    await using ws = await open();
    const r = ws.registry;
    await r.register("m", { model: functionModel("id", {}) });
    const lax = { name: gate.name, thresholds: [{ metric: "accuracy_score", threshold: 0.1 }] };
    await r.recordEvaluation("m@1", { gateResult: checkGate(lax, { accuracy_score: 0.2 }) });
    await r.setPolicy("m", "champion", { gate });
    expect((await r.getPolicy("m", "champion"))?.gateDigest).toMatch(/^[0-9a-f]{64}$/);
    const e = await caught(r.setAlias("m", "champion", 1));
    expect(e.message).toContain("another definition");
    await r.setPolicy("m", "champion", { gate: gate.name });
    expect((await r.setAlias("m", "champion", 1)).to).toBe(1);
    expect((await caught(r.setPolicy("m", "champion", { gate: { name: "g", thresholds: [] } }))).code).toBe(
      "VALIDATION",
    );
  });

  it("evaluates a candidate against the champion on the same data and stores the gate result", async () => {
    await using ws = await open();
    const r = ws.registry;
    r.registerModelClass(RandomForestClassifier);
    r.registerModelClass(LogisticRegression, { predict: lrPredict });
    await r.register("iris", { model: lr, signature: { inputs: rowSchema } });
    await r.setAlias("iris", "champion", 1);
    await r.register("iris", { model: rf, signature: { inputs: rowSchema } });
    await r.setPolicy("iris", "champion", { gate: gate.name });

    const res = await r.evaluate("iris@2", {
      data: { inputs: iris.test_rows, yTrue: iris.test_labels },
      task: "classification",
      gate,
      baseline: "champion",
    });
    const acc = (pred: number[]) => pred.filter((p, i) => p === iris.test_labels[i]).length / pred.length;
    expect(res.evaluation.metrics.accuracy_score).toBeCloseTo(acc(rf.predict(iris.test_rows)), 12);
    expect(res.baselineEvaluation?.metrics.accuracy_score).toBeCloseTo(acc(lrPredict(lr, iris.test_rows)), 12);
    expect(res.baseline?.version).toBe(1);
    expect(res.gateResult.baseline).toEqual(res.baselineEvaluation?.metrics);
    const stored = await r.evaluations("iris@2");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ gate: "beats-champion", passed: res.gateResult.passed });
    expect(stored[0].result).toMatchObject({ baseline: { version: 1 }, metrics: res.evaluation.metrics });
    if (res.gateResult.passed) {
      await r.setAlias("iris", "champion", 2, { reason: "passed beats-champion" });
      expect((await r.getVersion("iris@champion")).version).toBe(2);
    } else {
      expect((await caught(r.setAlias("iris", "champion", 2))).code).toBe("PRECONDITION");
    }
    // A gate the candidate cannot pass is stored as failed and blocks the move.
    await r.register("iris", { model: lr });
    const fail = await r.evaluate("iris@3", {
      data: { inputs: iris.test_rows, yTrue: iris.test_labels },
      task: "classification",
      gate: { name: "beats-champion", thresholds: [{ metric: "accuracy_score", threshold: 1.01 }] },
    });
    expect(fail.gateResult.passed).toBe(false);
    const noChampion = { data: { inputs: iris.test_rows, yTrue: iris.test_labels }, task: "classification" as const };
    const floor = { name: "floor", thresholds: [{ metric: "accuracy_score", threshold: 0.5 }] };
    expect((await caught(r.evaluate("iris@3", { ...noChampion, gate: floor, baseline: "nobody" }))).code).toBe(
      "NOT_FOUND",
    );
    const first = await r.evaluate("iris@3", {
      ...noChampion,
      gate: floor,
      baseline: "nobody",
      ifBaselineMissing: "skip",
    });
    expect(first.baseline).toBeUndefined();
    expect(first.gateResult.passed).toBe(true);
    expect((await caught(r.setAlias("iris", "champion", 3))).code).toBe("PRECONDITION");
  });

  it("deletes versions that no alias points at, without reusing their numbers", async () => {
    await using ws = await open();
    const deleted = listen(ws, "model.version.deleted");
    const r = ws.registry;
    for (let i = 0; i < 3; i++) await r.register("iris", { model: functionModel("id", { i }) });
    await r.setAlias("iris", "champion", 3);
    const refused = await caught(r.deleteVersion("iris@3"));
    expect(refused.code).toBe("PRECONDITION");
    expect(refused.message).toContain("champion");
    await r.setAlias("iris", "champion", 2);
    const v3 = await r.getVersion("iris@3");
    const gone = await r.deleteVersion("iris@3", { actor: "ana", reason: "leaked labels" });
    expect(gone.deletedAt).toBeTypeOf("number");
    expect(gone.tags).toMatchObject({ "mlcycle.deleted_by": "ana", "mlcycle.delete_reason": "leaked labels" });
    expect(deleted).toMatchObject([{ model: "iris", version: 3, actor: "ana", reason: "leaked labels" }]);
    for (const ref of ["iris@3", v3.id]) {
      const e = await caught(r.load(ref));
      expect([e.code, e.message.includes("deleted")]).toEqual(["NOT_FOUND", true]);
    }
    expect((await caught(r.setAlias("iris", "challenger", 3))).code).toBe("NOT_FOUND");
    expect((await caught(r.deleteVersion("iris@3"))).code).toBe("NOT_FOUND");
    expect((await r.getVersion("iris@latest")).version).toBe(2);
    expect((await r.getModel("iris")).latestVersion).toBe(2);
    expect((await r.listVersions("iris")).map((v) => v.version)).toEqual([1, 2]);
    expect((await r.listVersions("iris", { includeDeleted: true })).map((v) => v.version)).toEqual([1, 2, 3]);
    expect((await r.register("iris", { model: functionModel("id", { i: 4 }) })).version).toBe(4);
    // Rolling back onto a deleted version is refused, naming it.
    await r.setAlias("iris", "challenger", 1);
    await r.setAlias("iris", "challenger", 2);
    await r.setAlias("iris", "champion", 4);
    await r.deleteVersion("iris@1");
    const rb = await caught(r.rollback("iris", "challenger"));
    expect([rb.code, rb.message.includes("iris@1")]).toEqual(["NOT_FOUND", true]);
  });

  it("records each version in lineage as the output of its run and pipeline step", async () => {
    await using ws = await open();
    await ws.registry.register("iris", {
      model: functionModel("id", {}),
      pipelineRunId: "prun1",
      step: "train",
    });
    const up = await ws.lineage.upstream({ kind: "artifact", externalId: "model_version:iris/1" });
    expect(up.root).toMatchObject({ type: "model_version", name: "iris/1" });
    expect(up.nodes.map((n) => [n.externalId, n.hops])).toContainEqual(["step_run:prun1/train", 1]);
  });
});

describe("the signature stored as JSON Schema", () => {
  it("validates inputs of a version loaded by another workspace on the same folder", async () => {
    const folder = join(dir, "reopen");
    {
      await using ws = await openWorkspace(folder);
      ws.registry.registerModelClass(RandomForestClassifier);
      await ws.registry.register("iris", {
        model: rf,
        signature: { inputs: z.array(z.array(z.number()).length(4)).min(1) },
      });
    }
    await using ws2 = await openWorkspace(folder);
    ws2.registry.registerModelClass(RandomForestClassifier);
    const m = await ws2.registry.load("iris@1");
    expect(await m.predict(iris.test_rows.slice(0, 2))).toEqual(rf.predict(iris.test_rows.slice(0, 2)));
    const e = await caught(m.predict([[1, 2, "3", 4]]));
    expect(e.code).toBe("VALIDATION");
    expect(e.issues[0]).toMatchObject({ code: "invalid_type", path: [0, 2] });
    expect((await caught(m.predict([[1, 2, 3]]))).issues[0].path).toEqual([0]);
  });
});

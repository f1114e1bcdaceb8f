import { describe, expect, it } from "./vitest.js";
import { isMlcycleError, type MlcycleError } from "../core/errors.js";
import type {
  AggregateSums,
  NewOnlineExperiment,
  OnlineExperimentEventRecord,
  OnlineExperimentRecord,
  OnlineExperimentStore,
  VariantAggregateRecord,
} from "../stores/online-experiment-store.js";

type NewEvent = Omit<OnlineExperimentEventRecord, "seq" | "experiment">;

/** A well-formed new experiment named `name` (a 50/50 split created at 1,000). */
function experiment(name: string, extra: Partial<NewOnlineExperiment> = {}): NewOnlineExperiment {
  return {
    id: `id-${name}`,
    name,
    deployment: "churn",
    kind: "split",
    status: "running",
    salt: `salt-${name}`,
    variants: [
      { name: "control", ref: "churn@champion", weight: 50 },
      { name: "treatment", ref: "churn@4", weight: 50 },
    ],
    config: {},
    state: {},
    createdAt: 1_000,
    ...extra,
  };
}

/** The record a store gives back for a new experiment as it was given. */
function created(e: NewOnlineExperiment): OnlineExperimentRecord {
  return { ...e, revision: 1, updatedAt: e.createdAt };
}

/** A well-formed trail entry. */
function event(action: string, extra: Partial<NewEvent> = {}): NewEvent {
  return { action, actor: "alice", reason: `reason of ${action}`, details: {}, at: 2_000, ...extra };
}

/** Sums with `n` and Σy given, the other members derived from them (or given). */
function sums(n: number, sum: number, extra: Partial<AggregateSums> = {}): AggregateSums {
  return {
    n,
    sum,
    sumSquares: sum * 2,
    covariateSum: sum / 2,
    covariateSumSquares: sum * 4,
    productSum: 0 - sum,
    ...extra,
  };
}

const delta = (variant: string, metric: string, s: AggregateSums): VariantAggregateRecord => ({
  variant,
  metric,
  sums: s,
});

/** The error `promise` rejects with (fails the test when it resolves or rejects with something else). */
async function failure(promise: Promise<unknown>): Promise<MlcycleError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (!isMlcycleError(outcome)) throw new Error(`expected an MlcycleError, got ${String(outcome)}`);
  return outcome;
}

const pathOf = (e: MlcycleError): string => (e.issues[0]?.path ?? []).map(String).join(".");

/** Strings compared by their UTF-8 bytes: code point order, the order every store lists names in. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** The stored experiment `name` (fails the test when there is none). */
async function stored(s: OnlineExperimentStore, name: string): Promise<OnlineExperimentRecord> {
  const e = await s.getExperiment(name);
  if (e === undefined) throw new Error(`online experiment ${name} is not stored`);
  return e;
}

/**
 * The {@link OnlineExperimentStore} conformance suite: experiments read back as given (every
 * member; JSON values as their JSON text gives them, `-0` as `0`, a `Date` as its ISO string), taken
 * names and malformed input refused with nothing written, lists filtered and ordered (time, then id
 * and name by code point), compare-and-set updates that apply their patch and append their trail
 * entry or, from a stale revision, write nothing, `NOT_FOUND` for an unknown experiment, aggregate
 * sums added across calls and within a batch, refused whole when one delta is bad, deletes that
 * take the trail and the sums along, and records that are the caller's own copies. `factory`
 * returns a fresh, empty store.
 *
 * @example
 * ```ts
 * onlineExperimentStoreSuite("memory", async () => new MemoryOnlineExperimentStore());
 * ```
 */
export function onlineExperimentStoreSuite(name: string, factory: () => Promise<OnlineExperimentStore>): void {
  describe(`OnlineExperimentStore conformance: ${name}`, () => {
    it("reads back an experiment with every member, by name and in a list", async () => {
      const s = await factory();
      const full = experiment("canary-7", {
        id: "01J00000000000000000000EXP",
        deployment: "fraud",
        kind: "canary",
        status: "running",
        salt: "s€lt 🧂",
        variants: [
          { name: "stable", ref: "fraud@champion", weight: 95 },
          { name: "canary", ref: "fraud@7", weight: 5 },
          { name: "idle", ref: "fraud@6", weight: 0 },
        ],
        config: {
          steps: [5, 25, 50, 100],
          bakeMs: 600_000,
          rules: [{ metric: "error_rate", max: 0.02, window: { ms: 60_000 } }],
          note: null,
          enabled: true,
        },
        state: { step: 1, stepStartedAt: 1_720_000_000_123, weights: { stable: 0.95, canary: 0.05 } },
        createdAt: 1_720_000_000_000,
      });
      const got = await s.createExperiment(full);
      expect(got).toStrictEqual(created(full));
      expect(await s.getExperiment("canary-7")).toStrictEqual(created(full));
      expect(await s.listExperiments()).toStrictEqual([created(full)]);
      expect(await s.listEvents("canary-7")).toEqual([]);
      expect(await s.getAggregates("canary-7")).toEqual([]);
      expect(await s.getExperiment("other")).toBeUndefined();
      for (const [i, kind] of (["split", "shadow", "bandit"] as const).entries()) {
        const e = experiment(`k-${kind}`, { kind, status: "stopped", salt: "", createdAt: 1_720_000_000_001 + i });
        expect(await s.createExperiment(e)).toStrictEqual(created(e));
      }
      expect((await s.listExperiments()).map((e) => e.kind)).toEqual(["canary", "split", "shadow", "bandit"]);
    });

    it("refuses a taken name with CONFLICT and keeps the stored experiment", async () => {
      const s = await factory();
      const first = experiment("ab", { config: { keep: 1 } });
      await s.createExperiment(first);
      await s.addAggregates("ab", [delta("control", "conversion", sums(3, 1))]);
      const e = await failure(
        s.createExperiment(experiment("ab", { id: "other", deployment: "other", config: { keep: 2 }, createdAt: 5 })),
      );
      expect(e.code).toBe("CONFLICT");
      expect(e.message).toContain("ab");
      expect(e.details).toMatchObject({ experiment: "ab" });
      expect(await s.getExperiment("ab")).toStrictEqual(created(first));
      expect(await s.listExperiments()).toHaveLength(1);
      expect(await s.listExperiments({ deployment: "other" })).toEqual([]);
      expect(await s.getAggregates("ab")).toStrictEqual([delta("control", "conversion", sums(3, 1))]);
    });

    it("refuses a malformed experiment with VALIDATION naming its path, and stores nothing", async () => {
      const s = await factory();
      const v = (name: string, ref: string, weight: number) => ({ name, ref, weight });
      const cases: Array<[NewOnlineExperiment, string]> = [
        [experiment("x", { variants: [v("a", "m@1", 1), v("b", "m@2", 1), v("a", "m@3", 1)] }), "variants.2.name"],
        [experiment("x", { variants: [v("a", "m@1", -1)] }), "variants.0.weight"],
        [experiment("x", { variants: [v("a", "m@1", 1), v("b", "m@2", Number.NaN)] }), "variants.1.weight"],
        [experiment("x", { variants: [v("a", "m@1", Number.POSITIVE_INFINITY)] }), "variants.0.weight"],
        [experiment("x", { variants: [v("a", "", 1)] }), "variants.0.ref"],
        [experiment("x", { variants: [{ name: "a", weight: 1 } as never] }), "variants.0.ref"],
        [experiment("x", { variants: [] }), "variants"],
        [experiment("x", { variants: "a,b" as never }), "variants"],
        [experiment("x", { kind: "ab" as never }), "kind"],
        [experiment("x", { status: "paused" as never }), "status"],
        [experiment("x", { config: { limit: Number.NaN } }), "config.limit"],
        [experiment("x", { config: { deep: [1, { n: 10n }] } }), "config.deep.1.n"],
        [experiment("x", { config: [1, 2] as never }), "config"],
        [experiment("x", { config: new Date(0) as never }), "config"],
        [experiment("x", { config: { toJSON: () => "text" } as never }), "config"],
        [experiment("x", { state: null as never }), "state"],
        [experiment("x", { state: { f: () => 1 } }), "state.f"],
        [experiment("x", { createdAt: 1.5 }), "createdAt"],
        [experiment("x", { createdAt: -1 }), "createdAt"],
        [experiment("x", { createdAt: 2 ** 53 }), "createdAt"],
        [experiment("x", { deployment: "" }), "deployment"],
        [experiment("x", { id: 7 as never }), "id"],
        [experiment("x", { salt: 3 as never }), "salt"],
        [experiment("bad\nname", { id: "fine" }), "name"],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.createExperiment(bad));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.getExperiment("x")).toBeUndefined();
      expect(await s.listExperiments()).toEqual([]);
      expect((await failure(s.getExperiment(""))).code).toBe("VALIDATION");
      expect((await failure(s.deleteExperiment(42 as never))).code).toBe("VALIDATION");
    });

    it("lists experiments by creation time, then id and name by code point, filtered by deployment and status", async () => {
      const s = await factory();
      // Ids and names U+FF21 (fullwidth A) and U+1D400 (bold A): code point order differs from UTF-16's.
      const specs: Array<[string, string, number, string, NewOnlineExperiment["status"]]> = [
        ["e1", "z", 300, "churn", "running"],
        ["e2", "Ａ", 100, "fraud", "running"],
        ["e3", "𝐀", 100, "churn", "stopped"],
        ["e4", "a", 100, "churn", "running"],
        ["e5", "same", 200, "fraud", "completed"],
        ["é6", "same", 200, "churn", "rolled_back"],
        ["Ａ7", "same", 200, "churn", "running"],
        ["𝐀8", "same", 200, "fraud", "running"],
        ["e9", "中", 50, "fraud", "stopped"],
      ];
      const all = specs.map(([n, id, createdAt, deployment, status]) =>
        experiment(n, { id, createdAt, deployment, status }),
      );
      for (const i of [4, 0, 8, 2, 6, 1, 7, 3, 5]) await s.createExperiment(all[i] as NewOnlineExperiment);
      const order = (xs: NewOnlineExperiment[]) =>
        [...xs]
          .sort((a, b) => a.createdAt - b.createdAt || byBytes(a.id, b.id) || byBytes(a.name, b.name))
          .map((e) => e.name);
      const listed = await s.listExperiments();
      expect(listed.map((e) => e.name)).toEqual(order(all));
      expect(listed.map((e) => e.name)).toEqual(["e9", "e4", "e2", "e3", "e5", "é6", "Ａ7", "𝐀8", "e1"]);
      expect(listed).toStrictEqual(
        order(all).map((n) => created(all.find((e) => e.name === n) as NewOnlineExperiment)),
      );
      const filters = [
        { deployment: "churn" },
        { status: "running" as const },
        { deployment: "fraud", status: "running" as const },
        { deployment: "churn", status: "completed" as const },
        { deployment: "nowhere" },
        {},
      ];
      for (const f of filters) {
        const expected = all.filter(
          (e) =>
            (f.deployment === undefined || e.deployment === f.deployment) &&
            (f.status === undefined || e.status === f.status),
        );
        expect(
          (await s.listExperiments(f)).map((e) => e.name),
          JSON.stringify(f),
        ).toEqual(order(expected));
      }
      // A status changed by an update moves the experiment between filters.
      await s.updateExperiment("e1", 1, { status: "stopped", updatedAt: 400 });
      expect((await s.listExperiments({ status: "stopped" })).map((e) => e.name)).toEqual(["e9", "e3", "e1"]);
      expect(pathOf(await failure(s.listExperiments({ status: "paused" as never })))).toBe("status");
      expect(pathOf(await failure(s.listExperiments({ deployment: "" })))).toBe("deployment");
    });

    it("applies an update's patch, bumps the revision and appends its trail entry with the next seq", async () => {
      const s = await factory();
      const e = experiment("ramp", { kind: "canary", config: { steps: [5, 50, 100] }, state: { step: 0 } });
      await s.createExperiment(e);
      const ramped = await s.updateExperiment(
        "ramp",
        1,
        {
          state: { step: 1, since: 3_000 },
          variants: [
            { name: "control", ref: "churn@champion", weight: 50 },
            { name: "treatment", ref: "churn@4", weight: 50 },
          ],
          updatedAt: 3_000,
        },
        event("ramp_step", { details: { from: 0, to: 1 }, at: 3_000 }),
      );
      const after1 = { ...created(e), state: { step: 1, since: 3_000 }, revision: 2, updatedAt: 3_000 };
      expect(ramped).toStrictEqual(after1);
      expect(await s.getExperiment("ramp")).toStrictEqual(after1);
      // Without an event: the patch only. Members left out keep their value.
      const stopped = await s.updateExperiment("ramp", 2, { status: "stopped", updatedAt: 4_000 });
      const after2 = { ...after1, status: "stopped" as const, revision: 3, updatedAt: 4_000 };
      expect(stopped).toStrictEqual(after2);
      const appended = await s.appendEvent("ramp", event("note", { actor: "bob", details: { ok: true }, at: 4_500 }));
      expect(appended).toStrictEqual({
        ...event("note", { actor: "bob", details: { ok: true }, at: 4_500 }),
        seq: 2,
        experiment: "ramp",
      });
      // An append leaves the experiment as it was, revision included.
      expect(await s.getExperiment("ramp")).toStrictEqual(after2);
      const reweighted = await s.updateExperiment(
        "ramp",
        3,
        {
          status: "running",
          variants: [
            { name: "control", ref: "churn@champion", weight: 10 },
            { name: "treatment", ref: "churn@5", weight: 90 },
          ],
          config: { steps: [100] },
          state: {},
          updatedAt: 5_000,
        },
        event("weights_changed", { reason: "", at: 5_000 }),
      );
      expect(reweighted).toStrictEqual({
        ...after2,
        status: "running",
        variants: [
          { name: "control", ref: "churn@champion", weight: 10 },
          { name: "treatment", ref: "churn@5", weight: 90 },
        ],
        config: { steps: [100] },
        state: {},
        revision: 4,
        updatedAt: 5_000,
      });
      expect(await s.listEvents("ramp")).toStrictEqual([
        { ...event("ramp_step", { details: { from: 0, to: 1 }, at: 3_000 }), seq: 1, experiment: "ramp" },
        { ...event("note", { actor: "bob", details: { ok: true }, at: 4_500 }), seq: 2, experiment: "ramp" },
        { ...event("weights_changed", { reason: "", at: 5_000 }), seq: 3, experiment: "ramp" },
      ]);
    });

    it("refuses a stale revision with CONFLICT naming the stored one, writing neither the patch nor the event", async () => {
      const s = await factory();
      await s.createExperiment(experiment("cas"));
      await s.updateExperiment("cas", 1, { state: { by: "first" }, updatedAt: 10 }, event("first"));
      const before = await stored(s, "cas");
      for (const expected of [1, 3, 99]) {
        const e = await failure(
          s.updateExperiment(
            "cas",
            expected,
            { status: "completed", state: { by: "late" }, updatedAt: 20 },
            event("late"),
          ),
        );
        expect(e.code).toBe("CONFLICT");
        expect(e.details).toMatchObject({ experiment: "cas", expected, revision: 2 });
      }
      expect(await s.getExperiment("cas")).toStrictEqual(before);
      expect((await s.listEvents("cas")).map((x) => x.action)).toEqual(["first"]);
      // Two writers that read revision 2: exactly one wins.
      const raced = await Promise.allSettled([
        s.updateExperiment("cas", 2, { state: { by: "a" }, updatedAt: 30 }, event("a")),
        s.updateExperiment("cas", 2, { state: { by: "b" }, updatedAt: 30 }, event("b")),
      ]);
      const won = raced.filter((r) => r.status === "fulfilled");
      const lost = raced.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const loss = lost[0]?.reason as MlcycleError | undefined;
      expect(loss?.code).toBe("CONFLICT");
      expect(loss?.details).toMatchObject({ revision: 3 });
      const winner = ((await stored(s, "cas")).state as { by: string }).by;
      expect((await s.listEvents("cas")).map((x) => [x.seq, x.action])).toEqual([
        [1, "first"],
        [2, winner],
      ]);
    });

    it("refuses a malformed update with VALIDATION naming its path, and changes nothing", async () => {
      const s = await factory();
      await s.createExperiment(experiment("u"));
      const ok = { updatedAt: 10 };
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => s.updateExperiment("u", 0, ok), "expectedRevision"],
        [() => s.updateExperiment("u", 1.5, ok), "expectedRevision"],
        [() => s.updateExperiment("u", 1, { updatedAt: -5 }), "patch.updatedAt"],
        [() => s.updateExperiment("u", 1, { status: "done" as never, updatedAt: 10 }), "patch.status"],
        [
          () => s.updateExperiment("u", 1, { variants: [{ name: "a", ref: "m@1", weight: -0.5 }], updatedAt: 10 }),
          "patch.variants.0.weight",
        ],
        [() => s.updateExperiment("u", 1, { config: { x: Number.NaN }, updatedAt: 10 }), "patch.config.x"],
        [() => s.updateExperiment("u", 1, { state: [] as never, updatedAt: 10 }), "patch.state"],
        [() => s.updateExperiment("u", 1, ok, event("")), "event.action"],
        [
          () => s.updateExperiment("u", 1, ok, event("x", { details: { d: Number.POSITIVE_INFINITY } })),
          "event.details.d",
        ],
        [() => s.updateExperiment("u", 1, ok, event("x", { at: 1.5 })), "event.at"],
        [() => s.updateExperiment("u", 1, ok, event("x", { actor: 5 as never })), "event.actor"],
        [() => s.appendEvent("u", event("x", { details: null as never })), "event.details"],
        [() => s.updateExperiment("", 1, ok), "name"],
      ];
      for (const [call, path] of cases) {
        const e = await failure(call());
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(await s.getExperiment("u")).toStrictEqual(created(experiment("u")));
      expect(await s.listEvents("u")).toEqual([]);
    });

    it("answers NOT_FOUND for an unknown experiment, and undefined or false where the port says so", async () => {
      const s = await factory();
      await s.createExperiment(experiment("known"));
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["updateExperiment", () => s.updateExperiment("missing", 1, { updatedAt: 1 }, event("x"))],
        ["appendEvent", () => s.appendEvent("missing", event("x"))],
        ["listEvents", () => s.listEvents("missing")],
        ["addAggregates", () => s.addAggregates("missing", [delta("a", "m", sums(1, 1))])],
        ["addAggregates (no deltas)", () => s.addAggregates("missing", [])],
        ["getAggregates", () => s.getAggregates("missing")],
      ];
      for (const [what, call] of calls) {
        const e = await failure(call());
        expect(e.code, what).toBe("NOT_FOUND");
        expect(e.message, what).toContain("missing");
      }
      expect(await s.getExperiment("missing")).toBeUndefined();
      expect(await s.deleteExperiment("missing")).toBe(false);
      // Nothing was written for the unknown name, and the known one is untouched.
      expect(await s.listExperiments()).toStrictEqual([created(experiment("known"))]);
      expect(await s.listEvents("known")).toEqual([]);
      expect(await s.getAggregates("known")).toEqual([]);
      await s.addAggregates("known", []);
      expect(await s.getAggregates("known")).toEqual([]);
    });

    it("adds aggregates across calls and within one batch, rows starting at zero, listed by variant then metric", async () => {
      const s = await factory();
      await s.createExperiment(experiment("agg"));
      await s.addAggregates("agg", [
        delta("treatment", "conversion", sums(10, 4)),
        delta("control", "conversion", sums(12, 3)),
        delta("control", "conversion", sums(8, 2.5)),
        delta("control", "revenue", sums(1, 0.125, { covariateSum: 7 })),
      ]);
      await s.addAggregates("agg", [
        delta("treatment", "conversion", sums(5, 1.75)),
        delta("Ａ", "z", sums(1, 1)),
        delta("𝐀", "a", sums(2, 2)),
        delta("control", "Ａ", sums(0, 0)),
        delta("control", "𝐀", sums(3, -1.5)),
      ]);
      const expected = [
        delta("control", "conversion", sums(20, 5.5)),
        delta("control", "revenue", sums(1, 0.125, { covariateSum: 7 })),
        delta("control", "Ａ", sums(0, 0)),
        delta("control", "𝐀", sums(3, -1.5)),
        delta("treatment", "conversion", sums(15, 5.75)),
        delta("Ａ", "z", sums(1, 1)),
        delta("𝐀", "a", sums(2, 2)),
      ];
      expect(
        expected.map((d) => `${d.variant}/${d.metric}`),
        "the expected rows are in code point order",
      ).toEqual(
        [...expected]
          .sort((a, b) => byBytes(a.variant, b.variant) || byBytes(a.metric, b.metric))
          .map((d) => `${d.variant}/${d.metric}`),
      );
      expect(await s.getAggregates("agg")).toStrictEqual(expected);
      // Sums that are not exact in binary add as JavaScript adds them, one call after another.
      await s.createExperiment(experiment("tenths"));
      const tenth = sums(1, 0.1, { sumSquares: 0.01, covariateSum: 0.3, covariateSumSquares: 0.7, productSum: 1e-17 });
      for (let i = 0; i < 3; i++) await s.addAggregates("tenths", [delta("v", "m", tenth)]);
      const [row] = await s.getAggregates("tenths");
      expect(row?.sums).toStrictEqual({
        n: 3,
        sum: 0.1 + 0.1 + 0.1,
        sumSquares: 0.01 + 0.01 + 0.01,
        covariateSum: 0.3 + 0.3 + 0.3,
        covariateSumSquares: 0.7 + 0.7 + 0.7,
        productSum: 1e-17 + 1e-17 + 1e-17,
      });
      // Many keys in one batch; another experiment's sums are its own.
      const many = Array.from({ length: 300 }, (_, i) =>
        delta(`v${String(i % 30).padStart(2, "0")}`, `m${String(i).padStart(3, "0")}`, sums(i, i)),
      );
      await s.addAggregates("tenths", many);
      await s.addAggregates("tenths", many);
      const got = await s.getAggregates("tenths");
      expect(got).toHaveLength(301);
      expect(got.find((d) => d.metric === "m123")?.sums).toStrictEqual(sums(246, 246));
      expect(await s.getAggregates("agg")).toStrictEqual(expected);
    });

    it("refuses a batch with one bad delta with VALIDATION naming its path, and adds none of it", async () => {
      const s = await factory();
      await s.createExperiment(experiment("agg"));
      await s.addAggregates("agg", [delta("control", "m", sums(1, 1))]);
      const good = delta("control", "m", sums(5, 5));
      const cases: Array<[VariantAggregateRecord, string]> = [
        [delta("control", "m", sums(1.5, 1)), "deltas.1.sums.n"],
        [delta("control", "m", sums(-1, 1)), "deltas.1.sums.n"],
        [delta("control", "m", sums(2 ** 53, 1)), "deltas.1.sums.n"],
        [delta("control", "m", sums(1, Number.NaN)), "deltas.1.sums.sum"],
        [delta("control", "m", sums(1, 1, { productSum: Number.NEGATIVE_INFINITY })), "deltas.1.sums.productSum"],
        [delta("control", "m", { n: 1, sum: 1 } as never), "deltas.1.sums.sumSquares"],
        [delta("control", "m", null as never), "deltas.1.sums"],
        [delta("", "m", sums(1, 1)), "deltas.1.variant"],
        [delta("control", "bad\tmetric", sums(1, 1)), "deltas.1.metric"],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.addAggregates("agg", [good, bad, good]));
        expect(e.code, path).toBe("VALIDATION");
        expect(pathOf(e), path).toBe(path);
      }
      expect(pathOf(await failure(s.addAggregates("agg", {} as never)))).toBe("deltas");
      expect(await s.getAggregates("agg")).toStrictEqual([delta("control", "m", sums(1, 1))]);
    });

    it("deletes an experiment with its trail and sums, false the second time; the name can be used again", async () => {
      const s = await factory();
      await s.createExperiment(experiment("gone"));
      await s.createExperiment(experiment("stays", { createdAt: 2_000 }));
      await s.updateExperiment("gone", 1, { status: "stopped", updatedAt: 5 }, event("stopped"));
      await s.appendEvent("gone", event("note"));
      await s.addAggregates("gone", [delta("control", "m", sums(4, 4))]);
      await s.appendEvent("stays", event("kept"));
      await s.addAggregates("stays", [delta("control", "m", sums(1, 1))]);
      expect(await s.deleteExperiment("gone")).toBe(true);
      expect(await s.getExperiment("gone")).toBeUndefined();
      expect((await s.listExperiments()).map((e) => e.name)).toEqual(["stays"]);
      expect((await failure(s.listEvents("gone"))).code).toBe("NOT_FOUND");
      expect((await failure(s.getAggregates("gone"))).code).toBe("NOT_FOUND");
      expect(await s.deleteExperiment("gone")).toBe(false);
      // A new experiment of the same name starts afresh: revision 1, no trail, no sums.
      const again = experiment("gone", { kind: "bandit", createdAt: 3_000 });
      expect(await s.createExperiment(again)).toStrictEqual(created(again));
      expect(await s.listEvents("gone")).toEqual([]);
      expect(await s.getAggregates("gone")).toEqual([]);
      expect((await s.appendEvent("gone", event("started"))).seq).toBe(1);
      await s.addAggregates("gone", [delta("control", "m", sums(1, 1))]);
      expect(await s.getAggregates("gone")).toStrictEqual([delta("control", "m", sums(1, 1))]);
      // The other experiment kept its own.
      expect((await s.listEvents("stays")).map((e) => e.action)).toEqual(["kept"]);
      expect(await s.getAggregates("stays")).toStrictEqual([delta("control", "m", sums(1, 1))]);
    });

    it("reads JSON values back as their JSON text gives them: nested, unicode, -0, dates, undefined members", async () => {
      const s = await factory();
      const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
      const config = {
        nested: { a: [{ b: [[1, [2, [3, { c: null }]]]] }], empty: {}, none: [] },
        text: "naïve café — 中文 — 🚀👩‍👩‍👧 — \u2028\u0000\"\\'\t",
        "clé 🔑": true,
        numbers: [0.1, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 - 1, -2.5e-300],
        zero: -0,
        when,
        gone: undefined,
      };
      const e = experiment("json", {
        config,
        state: { weights: [-0, 0.5], "": "empty key", "10": 1, "2": 2 },
        variants: [
          { name: "control", ref: "m@1", weight: -0 },
          { name: "treatment", ref: "m@2", weight: 1 },
        ],
        createdAt: -0,
      });
      const back = await s.createExperiment(e);
      const read = await stored(s, "json");
      expect(read).toStrictEqual(back);
      expect(read.config).toStrictEqual({
        nested: config.nested,
        text: config.text,
        "clé 🔑": true,
        numbers: config.numbers,
        zero: 0,
        when: "2024-01-02T03:04:05.006Z",
      });
      expect(Object.keys(read.config)).not.toContain("gone");
      expect(Object.is(read.config.zero, 0)).toBe(true);
      expect(Object.is((read.state.weights as number[])[0], 0)).toBe(true);
      expect(Object.is(read.variants[0]?.weight, 0)).toBe(true);
      expect(Object.is(read.createdAt, 0)).toBe(true);
      expect(JSON.stringify(read.state)).toBe('{"2":2,"10":1,"weights":[0,0.5],"":"empty key"}');
      const updated = await s.updateExperiment(
        "json",
        1,
        { state: { at: when, z: -0 }, updatedAt: 7 },
        event("changed", { details: { at: when, n: -0, u: undefined } }),
      );
      expect(updated.state).toStrictEqual({ at: "2024-01-02T03:04:05.006Z", z: 0 });
      expect(await stored(s, "json")).toStrictEqual(updated);
      const [logged] = await s.listEvents("json");
      expect(logged?.details).toStrictEqual({ at: "2024-01-02T03:04:05.006Z", n: 0 });
      expect(Object.is(logged?.details.n, 0)).toBe(true);
      await s.addAggregates("json", [delta("control", "m", sums(0, -0, { productSum: -0 }))]);
      const [row] = await s.getAggregates("json");
      for (const v of Object.values(row?.sums ?? {})) expect(Object.is(v, 0)).toBe(true);
      expect(await s.listExperiments()).toStrictEqual([updated]);
    });

    it("keeps its own copy: changing a given or returned record changes nothing stored", async () => {
      const s = await factory();
      const given = experiment("own", { config: { steps: [1, 2] }, state: { step: 0 } });
      const back = await s.createExperiment(given);
      (given.config.steps as number[]).push(3);
      given.variants[0]!.weight = 99;
      given.variants.push({ name: "extra", ref: "m@9", weight: 1 });
      (back.config.steps as number[]).push(4);
      back.variants[1]!.ref = "changed@1";
      const expected = created(experiment("own", { config: { steps: [1, 2] }, state: { step: 0 } }));
      expect(await s.getExperiment("own")).toStrictEqual(expected);
      const read = await stored(s, "own");
      (read.state as { step: number }).step = 5;
      read.variants.pop();
      const [listed] = await s.listExperiments();
      (listed?.config.steps as number[]).length = 0;
      expect(await s.getExperiment("own")).toStrictEqual(expected);
      const patch = { state: { step: 1, seen: ["a"] }, updatedAt: 10 };
      const note = event("step", { details: { list: [1] } });
      const updated = await s.updateExperiment("own", 1, patch, note);
      patch.state.seen.push("b");
      (note.details.list as number[]).push(2);
      (updated.state.seen as string[]).push("c");
      const ev = await s.appendEvent("own", event("note", { details: { k: { v: 1 } } }));
      (ev.details.k as { v: number }).v = 2;
      const [first] = await s.listEvents("own");
      (first?.details.list as number[] | undefined)?.push(3);
      expect((await stored(s, "own")).state).toStrictEqual({ step: 1, seen: ["a"] });
      expect((await s.listEvents("own")).map((e) => e.details)).toStrictEqual([{ list: [1] }, { k: { v: 1 } }]);
      const d = delta("control", "m", sums(1, 1));
      await s.addAggregates("own", [d]);
      d.sums.n = 100;
      const [agg] = await s.getAggregates("own");
      if (agg) agg.sums.sum = 100;
      expect(await s.getAggregates("own")).toStrictEqual([delta("control", "m", sums(1, 1))]);
    });
  });
}

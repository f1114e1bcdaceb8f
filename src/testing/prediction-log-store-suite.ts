import { describe, expect, it } from "./vitest.js";
import { isMlcycleError, type MlcycleError } from "../core/errors.js";
import type {
  FeedbackRecord,
  LoggedPrediction,
  PredictionLogStore,
  PredictionQuery,
  PredictionRecord,
} from "../stores/prediction-log-store.js";

/** A well-formed prediction record numbered `i` (id `p-000i`, answered at `1_000 + i`). */
function record(i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    id: `p-${String(i).padStart(6, "0")}`,
    deployment: "churn",
    model: "churn-model",
    version: 1,
    versionId: "v-1",
    rows: 1,
    payload: "full",
    latencyMs: 2.5,
    at: 1_000 + i,
    ...extra,
  };
}

/** The order every store returns predictions in: time, then the ids' UTF-8 bytes (code points). */
function byTimeThenIdBytes(a: { at: number; id: string }, b: { at: number; id: string }): number {
  return a.at - b.at || Buffer.compare(Buffer.from(a.id, "utf8"), Buffer.from(b.id, "utf8"));
}

/** Every prediction matching `query`, page after page (`limit` per page). */
async function listAll(s: PredictionLogStore, query: PredictionQuery = {}): Promise<LoggedPrediction[]> {
  const out: LoggedPrediction[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages > 100_000) throw new Error("listPredictions never stopped giving a next page token");
    const page = await s.listPredictions({ ...query, ...(pageToken !== undefined ? { pageToken } : {}) });
    out.push(...page.predictions);
    if (page.nextPageToken === undefined) return out;
    pageToken = page.nextPageToken;
  }
}

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

/** The stored prediction `id` (fails the test when there is none). */
async function stored(s: PredictionLogStore, id: string): Promise<LoggedPrediction> {
  const p = await s.getPrediction(id);
  if (p === undefined) throw new Error(`prediction ${id} is not stored`);
  return p;
}

const pathOf = (e: MlcycleError): string => (e.issues[0]?.path ?? []).map(String).join(".");

/** A deterministic shuffle (xorshift), so an ordering bug shows on every run. */
function shuffled<T>(xs: readonly T[], seed = 7): T[] {
  const out = [...xs];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = Math.abs(x) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The {@link PredictionLogStore} conformance suite: records read back as given (every optional
 * member, and none of the absent ones), retried batches written once, batches all or none, every
 * filter and their combination, keyset pages over thousands of rows sharing timestamps (time then
 * id, ids by code point), bad tokens and limits, feedback merged per prediction and refused whole
 * for an unknown id, retention by time and deployment with the feedback, and JSON values read
 * back as their JSON text gives them (`-0` as `0`, a `Date` as its ISO string). `factory` returns
 * a fresh, empty store.
 *
 * @example
 * ```ts
 * predictionLogStoreSuite("memory", async () => new MemoryPredictionLogStore());
 * ```
 */
export function predictionLogStoreSuite(name: string, factory: () => Promise<PredictionLogStore>): void {
  describe(`PredictionLogStore conformance: ${name}`, () => {
    it("reads back a record with every optional member, by id and in a list", async () => {
      const s = await factory();
      const full = record(1, {
        deployment: "fraud",
        model: "fraud-gbm",
        version: 7,
        versionId: "01J0000000000000000000VER7",
        variant: "treatment",
        models: [
          { model: "fraud-pre", version: 2, versionId: "v-pre-2", step: "pre" },
          { model: "fraud-gbm", version: 7, versionId: "01J0000000000000000000VER7", step: "score" },
        ],
        rows: 3,
        inputs: { amount: [10.5, 20, 30.25], country: ["FR", "DE", "JP"] },
        outputs: [0.1, 0.9, 0.5],
        payload: "full",
        latencyMs: 12.75,
        at: 1_720_000_000_123,
      });
      await s.putPredictions([full]);
      expect(await s.getPrediction(full.id)).toStrictEqual(full);
      expect((await s.listPredictions()).predictions).toStrictEqual([full]);
      expect(await s.getPrediction("p-missing")).toBeUndefined();
    });

    it("leaves absent optional members absent (not undefined, not null)", async () => {
      const s = await factory();
      const bare = record(1, { payload: "sampled_out", models: [{ model: "m", version: 1, versionId: "v-1" }] });
      const withNull = record(2, { inputs: null, outputs: null });
      const withUndefined = record(3, { variant: undefined, inputs: undefined });
      await s.putPredictions([bare, withNull, withUndefined]);
      const got = await s.getPrediction(bare.id);
      expect(got).toStrictEqual(bare);
      for (const k of ["variant", "inputs", "outputs", "feedback"]) expect(Object.keys(got ?? {})).not.toContain(k);
      expect(Object.keys(got?.models?.[0] ?? {})).toEqual(["model", "version", "versionId"]);
      // `null` is a JSON value given: it is kept, and is not an absent member.
      const nulls = await s.getPrediction(withNull.id);
      expect(nulls?.inputs).toBeNull();
      expect(nulls?.outputs).toBeNull();
      expect(Object.keys(nulls ?? {})).toContain("inputs");
      const undef = await s.getPrediction(withUndefined.id);
      expect(Object.keys(undef ?? {})).not.toContain("variant");
      expect(Object.keys(undef ?? {})).not.toContain("inputs");
    });

    it("writes a retried batch once and never changes a stored record", async () => {
      const s = await factory();
      const batch = [record(1), record(2), record(3)];
      await s.putPredictions(batch);
      await s.putPredictions(batch);
      // The same ids with other values, beside a new one: only the new one is written.
      await s.putPredictions([
        record(2, { latencyMs: 99, outputs: [1] }),
        record(4),
        record(1, { deployment: "other" }),
      ]);
      // An id twice in one batch: its first record is the one kept.
      await s.putPredictions([record(5, { rows: 5 }), record(5, { rows: 6 })]);
      const all = await listAll(s);
      expect(all.map((p) => p.id)).toEqual([1, 2, 3, 4, 5].map((i) => record(i).id));
      expect(await s.getPrediction(record(2).id)).toStrictEqual(record(2));
      expect(await s.getPrediction(record(1).id)).toStrictEqual(record(1));
      expect((await s.getPrediction(record(5).id))?.rows).toBe(5);
      expect((await s.listPredictions({ deployment: "other" })).predictions).toEqual([]);
      await s.putPredictions([]);
      expect(await listAll(s)).toHaveLength(5);
    });

    it("refuses a batch with one malformed record with VALIDATION naming its path, and stores none of it", async () => {
      const s = await factory();
      const cases: Array<[PredictionRecord, string]> = [
        [record(3, { latencyMs: -1 }), "predictions.2.latencyMs"],
        [record(3, { at: 1.5 }), "predictions.2.at"],
        [record(3, { version: 0 }), "predictions.2.version"],
        [record(3, { payload: "partial" as never }), "predictions.2.payload"],
        [record(3, { deployment: "" }), "predictions.2.deployment"],
        [record(3, { inputs: { a: [1, Number.NaN] } }), "predictions.2.inputs.a.1"],
        [
          record(3, { models: [{ model: "m", version: 1, versionId: "v" }, { model: "m" } as never] }),
          "predictions.2.models.1.version",
        ],
      ];
      for (const [bad, path] of cases) {
        const e = await failure(s.putPredictions([record(1), record(2), bad, record(4)]));
        expect(e.code).toBe("VALIDATION");
        expect(pathOf(e)).toBe(path);
      }
      expect((await failure(s.putPredictions({} as never))).code).toBe("VALIDATION");
      expect(await s.getPrediction(record(1).id)).toBeUndefined();
      expect((await s.listPredictions()).predictions).toEqual([]);
    });

    it("filters by deployment, model, version, variant, time and feedback, alone and combined", async () => {
      const s = await factory();
      const records: PredictionRecord[] = [];
      for (let i = 0; i < 120; i++) {
        const variant = i % 5 === 0 ? undefined : i % 5 < 3 ? "control" : "treatment";
        records.push(
          record(i, {
            deployment: i % 2 ? "churn" : "fraud",
            model: i % 4 < 2 ? "m-a" : "m-b",
            version: 1 + (i % 3),
            ...(variant !== undefined ? { variant } : {}),
            at: 10_000 + i * 10,
          }),
        );
      }
      await s.putPredictions(shuffled(records));
      const withFeedback = new Set(records.filter((_, i) => i % 3 === 0 || i % 7 === 0).map((r) => r.id));
      await s.putFeedback([...withFeedback].map((predictionId) => ({ predictionId, outcome: 1, at: 50_000 })));
      const matches = (q: PredictionQuery) => (r: PredictionRecord) =>
        (q.deployment === undefined || r.deployment === q.deployment) &&
        (q.model === undefined || r.model === q.model) &&
        (q.version === undefined || r.version === q.version) &&
        (q.variant === undefined || r.variant === q.variant) &&
        (q.from === undefined || r.at >= q.from) &&
        (q.to === undefined || r.at < q.to) &&
        (q.withFeedback === undefined || withFeedback.has(r.id) === q.withFeedback);
      const queries: PredictionQuery[] = [
        { deployment: "churn" },
        { model: "m-b" },
        { version: 2 },
        { variant: "treatment" },
        { from: 10_300 },
        { to: 10_300 },
        { from: 10_300, to: 10_600 },
        { withFeedback: true },
        { withFeedback: false },
        { deployment: "fraud", variant: "control", withFeedback: true },
        { model: "m-a", version: 3, from: 10_100, to: 11_000 },
        { deployment: "churn", model: "m-b", version: 2, variant: "treatment", from: 10_050, to: 11_150 },
        { deployment: "churn", model: "m-a", withFeedback: false, from: 10_200 },
        { deployment: "nowhere" },
      ];
      for (const q of queries) {
        const expected = records.filter(matches(q)).sort(byTimeThenIdBytes);
        if (q.deployment !== "nowhere") expect(expected.length, JSON.stringify(q)).toBeGreaterThan(0);
        expect(expected.length, JSON.stringify(q)).toBeLessThan(records.length);
        const got = await listAll(s, { ...q, limit: 7 });
        expect(
          got.map((p) => p.id),
          JSON.stringify(q),
        ).toEqual(expected.map((r) => r.id));
        for (const p of got) expect(p.feedback !== undefined, p.id).toBe(withFeedback.has(p.id));
      }
    });

    it("pages over 2,600 predictions sharing timestamps: each once, by time then id", async () => {
      const s = await factory();
      const records: PredictionRecord[] = [];
      for (let i = 0; i < 2_600; i++) {
        // Ids out of step with insertion and time; eight timestamps shared by 325 rows each.
        const id = `${((i * 7_919) % 10_007).toString(36).padStart(4, "0")}-${i}`;
        records.push(record(i, { id, at: 5_000 + (i % 8) * 1_000, deployment: i % 3 ? "a" : "b" }));
      }
      const mixed = shuffled(records, 11);
      await s.putPredictions(mixed.slice(0, 1_000));
      await s.putPredictions(mixed.slice(1_000, 1_900));
      await s.putPredictions(mixed.slice(1_900));
      const expected = [...records].sort(byTimeThenIdBytes).map((r) => r.id);
      for (const limit of [97, 325, 1_000]) {
        const got = (await listAll(s, { limit })).map((p) => p.id);
        expect(new Set(got).size).toBe(got.length);
        expect(got).toEqual(expected);
      }
      const first = await s.listPredictions({ limit: 10 });
      expect(first.predictions).toHaveLength(10);
      expect(first.nextPageToken).toBeTypeOf("string");
      const all = await s.listPredictions({ limit: 2_600 });
      expect(all.predictions).toHaveLength(2_600);
      expect(all.nextPageToken).toBeUndefined();
      const inB = (await listAll(s, { deployment: "b", limit: 50 })).map((p) => p.id);
      expect(inB).toEqual(
        [...records]
          .filter((r) => r.deployment === "b")
          .sort(byTimeThenIdBytes)
          .map((r) => r.id),
      );
      expect((await s.listPredictions()).predictions).toHaveLength(1_000);
    });

    it("orders ids by code point (UTF-8 bytes), not by UTF-16 units", async () => {
      const s = await factory();
      // U+FF21 (fullwidth A) sorts after U+1D400 (mathematical bold A) in UTF-16 units only.
      const ids = ["a", "z", "é", "Ａ", "𝐀", "ab", "A", "中"];
      await s.putPredictions(ids.map((id, i) => record(i, { id, at: 7 })));
      const expected = ids.map((id) => ({ id, at: 7 })).sort(byTimeThenIdBytes);
      expect((await listAll(s, { limit: 3 })).map((p) => p.id)).toEqual(expected.map((r) => r.id));
    });

    it("refuses a bad page token, a bad limit and a bad filter with VALIDATION", async () => {
      const s = await factory();
      await s.putPredictions([record(1), record(2)]);
      const garbage = [
        "not a token",
        "",
        Buffer.from("[1]").toString("base64url"),
        Buffer.from('["x","y"]').toString("base64url"),
        Buffer.from('[-5,"p"]').toString("base64url"),
        42 as never,
      ];
      for (const pageToken of garbage) {
        const e = await failure(s.listPredictions({ pageToken }));
        expect(e.code).toBe("VALIDATION");
        expect(pathOf(e)).toBe("pageToken");
      }
      for (const limit of [0, -1, 10_001, 1.5, Number.NaN]) {
        const e = await failure(s.listPredictions({ limit }));
        expect(e.code).toBe("VALIDATION");
        expect(pathOf(e)).toBe("limit");
      }
      expect(pathOf(await failure(s.listPredictions({ version: 0 })))).toBe("version");
      expect(pathOf(await failure(s.listPredictions({ from: -1 })))).toBe("from");
      expect(pathOf(await failure(s.listPredictions({ withFeedback: "yes" as never })))).toBe("withFeedback");
      expect((await s.listPredictions({ limit: 10_000 })).predictions).toHaveLength(2);
      // A token from a page of this store continues it.
      const page = await s.listPredictions({ limit: 1 });
      const rest = await s.listPredictions({ limit: 1, pageToken: page.nextPageToken as string });
      expect(rest.predictions.map((p) => p.id)).toEqual([record(2).id]);
    });

    it("merges feedback: a label then an outcome, the newest time, one batch in order", async () => {
      const s = await factory();
      await s.putPredictions([record(1), record(2), record(3)]);
      const id = record(1).id;
      await s.putFeedback([{ predictionId: id, label: { churned: true }, at: 5_000 }]);
      expect((await s.getPrediction(id))?.feedback).toStrictEqual({
        predictionId: id,
        at: 5_000,
        label: { churned: true },
      });
      await s.putFeedback([{ predictionId: id, outcome: 42.5, at: 6_000 }]);
      expect((await s.getPrediction(id))?.feedback).toStrictEqual({
        predictionId: id,
        at: 6_000,
        label: { churned: true },
        outcome: 42.5,
      });
      // A later label replaces the label and keeps the outcome; an older time keeps the newest.
      await s.putFeedback([{ predictionId: id, label: "stayed", at: 5_500 }]);
      expect((await s.getPrediction(id))?.feedback).toStrictEqual({
        predictionId: id,
        at: 6_000,
        label: "stayed",
        outcome: 42.5,
      });
      // Several records for one prediction in one batch merge in their order.
      const other = record(2).id;
      await s.putFeedback([
        { predictionId: other, outcome: 1, at: 7_000 },
        { predictionId: other, label: [1, 2], at: 7_100 },
        { predictionId: other, outcome: 0, at: 7_050 },
      ]);
      expect((await s.getPrediction(other))?.feedback).toStrictEqual({
        predictionId: other,
        at: 7_100,
        label: [1, 2],
        outcome: 0,
      });
      expect((await s.getPrediction(record(3).id))?.feedback).toBeUndefined();
      const listed = (await s.listPredictions({ withFeedback: true })).predictions;
      expect(listed.map((p) => p.feedback)).toStrictEqual([
        (await s.getPrediction(id))?.feedback,
        (await s.getPrediction(other))?.feedback,
      ]);
      const e = await failure(s.putFeedback([{ predictionId: id, at: 1 } as FeedbackRecord]));
      expect(e.code).toBe("VALIDATION");
      expect(pathOf(e)).toBe("feedback.0");
      expect(pathOf(await failure(s.putFeedback([{ predictionId: id, outcome: Number.NaN, at: 1 }])))).toBe(
        "feedback.0.outcome",
      );
    });

    it("refuses feedback on an unknown prediction with NOT_FOUND and writes none of that batch", async () => {
      const s = await factory();
      await s.putPredictions([record(1), record(2)]);
      await s.putFeedback([{ predictionId: record(2).id, outcome: 3, at: 10 }]);
      const e = await failure(
        s.putFeedback([
          { predictionId: record(1).id, label: "yes", at: 20 },
          { predictionId: record(2).id, outcome: 4, at: 20 },
          { predictionId: "p-unknown", label: "no", at: 20 },
        ]),
      );
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toContain("p-unknown");
      expect((await s.getPrediction(record(1).id))?.feedback).toBeUndefined();
      expect((await s.getPrediction(record(2).id))?.feedback).toStrictEqual({
        predictionId: record(2).id,
        at: 10,
        outcome: 3,
      });
      expect((await s.listPredictions({ withFeedback: true })).predictions.map((p) => p.id)).toEqual([record(2).id]);
    });

    it("removes predictions before a time, of all deployments or one, with their feedback, and counts them", async () => {
      const s = await factory();
      const records = Array.from({ length: 30 }, (_, i) =>
        record(i, { deployment: i % 2 ? "a" : "b", at: 100 + i * 10 }),
      );
      await s.putPredictions(records);
      await s.putFeedback(records.map((r) => ({ predictionId: r.id, outcome: r.at, at: 1_000 })));
      // Deployment `a`, before 200: i = 1, 3, 5, 7, 9.
      expect(await s.deletePredictionsBefore(200, { deployment: "a" })).toBe(5);
      let left = await listAll(s);
      expect(left.map((p) => p.id)).toEqual(
        records.filter((r) => !(r.deployment === "a" && r.at < 200)).map((r) => r.id),
      );
      expect(await s.getPrediction(record(1).id)).toBeUndefined();
      expect(await s.getPrediction(record(0).id)).toBeDefined();
      // Every deployment, before 250: the 10 of `b` below 200 and i = 10…14.
      expect(await s.deletePredictionsBefore(250)).toBe(10);
      left = await listAll(s);
      expect(left.map((p) => p.id)).toEqual(records.filter((r) => r.at >= 250).map((r) => r.id));
      expect(left.every((p) => p.feedback?.outcome === p.at)).toBe(true);
      expect(await listAll(s, { withFeedback: true })).toHaveLength(15);
      expect(await s.deletePredictionsBefore(250)).toBe(0);
      expect(await s.deletePredictionsBefore(10_000, { deployment: "nowhere" })).toBe(0);
      // The feedback went with its prediction: the same id logged again has none.
      await s.putPredictions([record(1, { deployment: "a", at: 110 }), record(12, { at: 220 })]);
      expect((await s.getPrediction(record(1).id))?.feedback).toBeUndefined();
      expect((await s.getPrediction(record(12).id))?.feedback).toBeUndefined();
      expect(await listAll(s, { withFeedback: true })).toHaveLength(15);
      expect((await failure(s.deletePredictionsBefore(-1))).code).toBe("VALIDATION");
      expect((await failure(s.deletePredictionsBefore(1, { deployment: "" }))).code).toBe("VALIDATION");
    });

    it("reads JSON values back as their JSON text gives them: nested, unicode, large, -0, dates", async () => {
      const s = await factory();
      const big = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? i / 7 : -i - 1));
      const inputs = {
        nested: { a: [{ b: [[1, [2, [3, { c: null }]]]] }], empty: {}, none: [] },
        text: "naïve café — 中文 — 🚀👩‍👩‍👧 — \u2028\u0000\"\\'\t",
        "clé 🔑": true,
        numbers: [0.1, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53 - 1, -2.5e-300, 123456789.12345679],
        big,
      };
      const withLossy = {
        zero: -0,
        zeros: [-0, 0],
        when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
        gone: undefined,
        kept: "x",
      };
      await s.putPredictions([
        record(1, { inputs, outputs: withLossy, latencyMs: -0, rows: -0 }),
        record(2, { inputs: "just a string", outputs: 3.25 }),
        record(3, { inputs: [true, false, null], outputs: { "": "empty key", "10": 1, "2": 2, z: 0 } }),
      ]);
      await s.putFeedback([{ predictionId: record(1).id, label: { y: [-0, "ü"] }, outcome: -0, at: 9 }]);
      const one = await stored(s, record(1).id);
      expect(one.inputs).toStrictEqual(inputs);
      expect(one.outputs).toStrictEqual({
        zero: 0,
        zeros: [0, 0],
        when: "2024-01-02T03:04:05.006Z",
        kept: "x",
      });
      expect(Object.is((one.outputs as { zero: number }).zero, 0)).toBe(true);
      expect(Object.is((one.outputs as { zeros: number[] }).zeros[0], 0)).toBe(true);
      expect(Object.keys(one.outputs ?? {})).not.toContain("gone");
      expect(Object.is(one.latencyMs, 0)).toBe(true);
      expect(Object.is(one.rows, 0)).toBe(true);
      expect(one.feedback).toStrictEqual({ predictionId: record(1).id, at: 9, label: { y: [0, "ü"] }, outcome: 0 });
      expect(Object.is(one.feedback?.outcome, 0)).toBe(true);
      expect(Object.is((one.feedback as { label: { y: number[] } }).label.y[0], 0)).toBe(true);
      expect((await s.getPrediction(record(2).id))?.inputs).toBe("just a string");
      expect((await s.getPrediction(record(2).id))?.outputs).toBe(3.25);
      const three = await s.getPrediction(record(3).id);
      expect(three?.inputs).toStrictEqual([true, false, null]);
      expect(three?.outputs).toStrictEqual({ "": "empty key", "10": 1, "2": 2, z: 0 });
      expect(JSON.stringify(three?.outputs)).toBe('{"2":2,"10":1,"":"empty key","z":0}');
      // The listed record is the same as the one read by id.
      expect((await s.listPredictions({ limit: 1 })).predictions[0]).toStrictEqual(one);
    });

    it("keeps its own copy: changing a given or returned record changes nothing stored", async () => {
      const s = await factory();
      const given = record(1, { inputs: { xs: [1, 2] }, models: [{ model: "m", version: 1, versionId: "v" }] });
      await s.putPredictions([given]);
      (given.inputs as { xs: number[] }).xs.push(3);
      given.models?.push({ model: "n", version: 2, versionId: "w" });
      const read = await stored(s, given.id);
      expect(read.inputs).toStrictEqual({ xs: [1, 2] });
      expect(read.models).toHaveLength(1);
      (read.inputs as { xs: number[] }).xs.push(4);
      expect((await s.getPrediction(given.id))?.inputs).toStrictEqual({ xs: [1, 2] });
    });
  });
}

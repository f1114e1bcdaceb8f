import { describe, expect, it } from "./vitest.js";
import type { FilterNode, RunOrder, RunQuery, RunRecord, TrackingStore } from "../stores/tracking-store.js";
import { parseRunFilter, parseRunOrder } from "../stores/run-filter-parser.js";
import { experiment, run, T0 } from "./tracking-suite-fixtures.js";

/**
 * The run search cases of {@link trackingStoreSuite} (filter semantics, order, NaN and missing
 * values last, paging, lifecycle), registered as its `search` group.
 */
export function trackingSearchSuiteCases(factory: () => Promise<TrackingStore>): void {
  describe("search", () => {
    const setup = async () => {
      const s = await factory();
      const e = await experiment(s, "search-a");
      const other = await experiment(s, "search-b");
      const ids: Record<string, string> = {};
      const add = async (
        name: string,
        startTime: number,
        params: Record<string, string>,
        tags: Record<string, string>,
        metrics: Record<string, number>,
        extra: Partial<RunRecord> = {},
      ) => {
        ids[name] = await run(s, extra.experimentId ?? e, { name, startTime, params, tags, ...extra });
        await s.logMetrics(
          Object.entries(metrics).map(([key, value]) => ({ runId: ids[name], key, value, step: 0, timestamp: T0 })),
        );
      };
      await add("r1", T0 + 1, { model: "rf", n: "10" }, { team: "ml-core" }, { acc: 0.91, loss: 0.2 });
      await add("r2", T0 + 2, { model: "lr", n: "9" }, { team: "ML-ops" }, { acc: 0.8, loss: Number.NaN });
      await add("r3", T0 + 3, { model: "rf", n: "100" }, { team: "data" }, { acc: Number.NaN });
      await add("r4", T0 + 4, { model: "gb" }, { team: "ml%lab" }, {}, { status: "finished", endTime: T0 + 10 });
      await add(
        "r5",
        T0 + 5,
        { model: "rf'; DROP TABLE tracking_runs; --" },
        {},
        { acc: 0.95 },
        {
          experimentId: other,
          heartbeatAt: T0 - 1000,
        },
      );
      await s.logInput(ids.r1, { name: "iris", digest: "d-iris-1", context: "train", createdAt: T0 });
      await s.logInput(ids.r1, { name: "iris-test", digest: "d-iris-t", context: "eval", createdAt: T0 });
      await s.logInput(ids.r2, { name: "iris", digest: "d-iris-2", createdAt: T0 });
      return { s, e, other, ids };
    };

    const names = async (
      s: TrackingStore,
      ids: Record<string, string>,
      q: Partial<RunQuery> & { f?: string; o?: string[] },
    ) => {
      const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
      const filter = parseRunFilter(q.f);
      const rows = await s.searchRuns({
        experimentIds: q.experimentIds ?? [],
        ...(filter ? { filter } : {}),
        orderBy: q.o ? parseRunOrder(q.o) : ((q.orderBy ?? []) as RunOrder[]),
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
        crashedBefore: q.crashedBefore ?? T0,
        ...(q.lifecycle ? { lifecycle: q.lifecycle } : {}),
      });
      return rows.map((r) => byId[r.id]);
    };

    it("filters by metrics numerically on the latest value, NaN matching only !=", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { f: "metrics.acc > 0.85" })).toEqual(["r5", "r1"]);
      expect(await names(s, ids, { f: "metrics.acc <= 0.91" })).toEqual(["r2", "r1"]);
      expect(await names(s, ids, { f: "metrics.acc != 0.8" })).toEqual(["r5", "r3", "r1"]);
      expect(await names(s, ids, { f: "metrics.acc = 0.8" })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "metrics.acc IN (0.8, 0.95)" })).toEqual(["r5", "r2"]);
      expect(await names(s, ids, { f: "metrics.acc NOT IN (0.8, 0.95)" })).toEqual(["r3", "r1"]);
      expect(await names(s, ids, { f: "metrics.loss < 1" })).toEqual(["r1"]);
      expect(await names(s, ids, { f: "metrics.acc = NaN" })).toEqual(["r3"]);
      expect(await names(s, ids, { f: "metrics.nothing > -1" })).toEqual([]);
    });

    it("compares params and tags as strings, with case-sensitive LIKE, ILIKE, IN and escapes", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { f: "params.n > '5'" })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "params.n = '10'" })).toEqual(["r1"]);
      expect(await names(s, ids, { f: "params.model != 'rf'" })).toEqual(["r5", "r4", "r2"]);
      expect(await names(s, ids, { f: "tags.team LIKE 'ml%'" })).toEqual(["r4", "r1"]);
      expect(await names(s, ids, { f: "tags.team ILIKE 'ml%'" })).toEqual(["r4", "r2", "r1"]);
      expect(await names(s, ids, { f: "tags.team NOT LIKE 'ml%'" })).toEqual(["r3", "r2"]);
      expect(await names(s, ids, { f: "tags.team LIKE 'ml\\%%'" })).toEqual(["r4"]);
      expect(await names(s, ids, { f: "tags.team LIKE 'dat_'" })).toEqual(["r3"]);
      expect(await names(s, ids, { f: "params.model IN ('lr', 'gb')" })).toEqual(["r4", "r2"]);
      expect(await names(s, ids, { f: "params.model NOT IN ('lr', 'gb')" })).toEqual(["r5", "r3", "r1"]);
      expect(await names(s, ids, { f: "params.model = 'rf''; DROP TABLE tracking_runs; --'" })).toEqual(["r5"]);
      expect(await names(s, ids, { f: "params.model LIKE '%[*]?%'" })).toEqual([]);
    });

    it("combines with AND, OR and parentheses, and filters attributes and experiments", async () => {
      const { s, e, ids } = await setup();
      expect(
        await names(s, ids, { f: "metrics.acc > 0.85 and (params.model = 'rf' or tags.team LIKE 'ml%')" }),
      ).toEqual(["r1"]);
      expect(
        await names(s, ids, { f: "(params.model = 'gb' or metrics.acc < 0.85) and tags.team ILIKE 'ML%'" }),
      ).toEqual(["r4", "r2"]);
      expect(await names(s, ids, { f: "attributes.status = 'finished'" })).toEqual(["r4"]);
      expect(await names(s, ids, { f: "attributes.status = 'crashed'" })).toEqual(["r5"]);
      expect(await names(s, ids, { f: "attributes.status = 'running'" })).toEqual(["r3", "r2", "r1"]);
      expect(await names(s, ids, { f: "attributes.start_time >= " + String(T0 + 3) })).toEqual(["r5", "r4", "r3"]);
      expect(await names(s, ids, { f: "attributes.end_time > 0" })).toEqual(["r4"]);
      expect(await names(s, ids, { f: "attributes.run_name LIKE 'r_'", experimentIds: [e] })).toHaveLength(4);
      expect(await names(s, ids, { f: `attributes.run_id = '${ids.r2}'` })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "attributes.parent_run_id != 'x'" })).toEqual([]);
    });

    it("filters by dataset inputs: a run matches when any of its inputs does", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { f: "datasets.name = 'iris'" })).toEqual(["r2", "r1"]);
      expect(await names(s, ids, { f: "datasets.name = 'iris-test'" })).toEqual(["r1"]);
      expect(await names(s, ids, { f: "datasets.name != 'iris'" })).toEqual(["r1"]);
      expect(await names(s, ids, { f: "datasets.context = 'eval'" })).toEqual(["r1"]);
      expect(await names(s, ids, { f: "datasets.context = ''" })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "datasets.digest LIKE 'd-iris-_'" })).toEqual(["r2", "r1"]);
      expect(await names(s, ids, { f: "datasets.digest IN ('d-iris-2', 'zzz')" })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "datasets.name ILIKE 'IRIS%' and metrics.acc > 0.85" })).toEqual(["r1"]);
    });

    it("orders by metrics, params and attributes with NaN then missing last, and pages", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { o: ["metrics.acc DESC"] })).toEqual(["r5", "r1", "r2", "r3", "r4"]);
      expect(await names(s, ids, { o: ["metrics.acc ASC"] })).toEqual(["r2", "r1", "r5", "r3", "r4"]);
      expect(await names(s, ids, { o: ["params.model", "attributes.start_time"] })).toEqual([
        "r4",
        "r2",
        "r1",
        "r3",
        "r5",
      ]);
      expect(await names(s, ids, { o: ["attributes.end_time DESC"] })).toEqual(["r4", "r5", "r3", "r2", "r1"]);
      expect(await names(s, ids, {})).toEqual(["r5", "r4", "r3", "r2", "r1"]);
      expect(await names(s, ids, { o: ["metrics.acc DESC"], limit: 2, offset: 1 })).toEqual(["r1", "r2"]);
      expect(await names(s, ids, { o: ["metrics.acc DESC"], limit: 2, offset: 4 })).toEqual(["r4"]);
    });

    it("matches statuses in any case, as MLflow's 'FINISHED' spelling", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { f: "attributes.status = 'FINISHED'" })).toEqual(["r4"]);
      expect(await names(s, ids, { f: "attributes.status = 'Crashed'" })).toEqual(["r5"]);
      expect(await names(s, ids, { f: "attributes.status != 'RUNNING'" })).toEqual(["r5", "r4"]);
      expect(await names(s, ids, { f: "attributes.status IN ('FINISHED', 'CRASHED')" })).toEqual(["r5", "r4"]);
      expect(await names(s, ids, { f: "attributes.status NOT IN ('RUNNING')" })).toEqual(["r5", "r4"]);
      expect(await names(s, ids, { f: "attributes.status LIKE 'FIN%'" })).toEqual(["r4"]);
    });

    it("reads IS NULL as 'the run lacks the field' (a NaN metric is present) and IS NOT NULL as its negation", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { f: "metrics.loss IS NULL" })).toEqual(["r5", "r4", "r3"]);
      expect(await names(s, ids, { f: "metrics.loss is not null" })).toEqual(["r2", "r1"]);
      expect(await names(s, ids, { f: "metrics.acc IS NOT NULL and metrics.acc != 0.8" })).toEqual(["r5", "r3", "r1"]);
      expect(await names(s, ids, { f: "params.n IS NULL" })).toEqual(["r5", "r4"]);
      expect(await names(s, ids, { f: "tags.team IS NULL" })).toEqual(["r5"]);
      expect(await names(s, ids, { f: "tags.team IS NOT NULL and metrics.acc IS NULL" })).toEqual(["r4"]);
      expect(await names(s, ids, { f: "params.nothing IS NULL" })).toHaveLength(5);
      expect(await names(s, ids, { f: "params.nothing IS NOT NULL" })).toEqual([]);
      expect(await names(s, ids, { f: "attributes.end_time IS NULL" })).toEqual(["r5", "r3", "r2", "r1"]);
      expect(await names(s, ids, { f: "attributes.end_time IS NOT NULL" })).toEqual(["r4"]);
      expect(await names(s, ids, { f: "attributes.parent_run_id IS NULL" })).toHaveLength(5);
      expect(await names(s, ids, { f: "attributes.run_name IS NULL" })).toEqual([]);
      expect(await names(s, ids, { f: "metrics.loss IS NULL or params.model = 'lr'" })).toEqual([
        "r5",
        "r4",
        "r3",
        "r2",
      ]);
    });

    it("accepts MLflow's attribute spellings: created, start_time, run_name, `Run name`, run_id", async () => {
      const { s, ids } = await setup();
      expect(await names(s, ids, { f: `attributes.created >= ${T0 + 3}` })).toEqual(["r5", "r4", "r3"]);
      expect(await names(s, ids, { f: `attributes.Created < ${T0 + 2}` })).toEqual(["r1"]);
      expect(await names(s, ids, { f: `attributes.start_time = ${T0 + 2}` })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "attributes.`Run name` = 'r2'" })).toEqual(["r2"]);
      expect(await names(s, ids, { f: "attributes.run_name IN ('r1', 'r3')" })).toEqual(["r3", "r1"]);
      expect(await names(s, ids, { f: `attributes.run_id IN ('${ids.r1}', '${ids.r4}')` })).toEqual(["r4", "r1"]);
      expect(await names(s, ids, { o: ["attributes.created ASC"] })).toEqual(["r1", "r2", "r3", "r4", "r5"]);
      expect(await names(s, ids, { o: ["attributes.run_name DESC"] })).toEqual(["r5", "r4", "r3", "r2", "r1"]);
    });

    it("filters and orders by backtick-quoted keys holding dots and spaces", async () => {
      const s = await factory();
      const e = await experiment(s);
      const a = await run(s, e, { name: "a", params: { "a.b": "x", "lr rate": "0.1" }, tags: { "team name": "ml" } });
      const b = await run(s, e, { name: "b", startTime: T0 + 1, params: { "a.b": "y" } });
      await s.logMetrics([
        { runId: a, key: "val loss", value: 0.3, step: 0, timestamp: T0 },
        { runId: b, key: "val loss", value: 0.5, step: 0, timestamp: T0 },
        { runId: b, key: "val.acc", value: 0.9, step: 0, timestamp: T0 },
      ]);
      const search = async (f?: string, o?: string[]) => {
        const filter = parseRunFilter(f);
        const rows = await s.searchRuns({
          experimentIds: [e],
          ...(filter ? { filter } : {}),
          orderBy: parseRunOrder(o),
          limit: 10,
          offset: 0,
          crashedBefore: T0,
        });
        return rows.map((r) => r.name);
      };
      expect(await search("metrics.`val loss` < 0.4")).toEqual(["a"]);
      expect(await search("metrics.`val.acc` > 0.5")).toEqual(["b"]);
      expect(await search("metrics.`val.acc` IS NULL")).toEqual(["a"]);
      expect(await search("params.`a.b` = 'y'")).toEqual(["b"]);
      expect(await search("params.\"a.b\" IN ('x', 'y')")).toEqual(["b", "a"]);
      expect(await search("params.`lr rate` = '0.1' and tags.`team name` IS NOT NULL")).toEqual(["a"]);
      expect(await search(undefined, ["metrics.`val loss` DESC"])).toEqual(["b", "a"]);
      expect(await search(undefined, ["params.`a.b`"])).toEqual(["a", "b"]);
    });

    it("breaks ties by run id ascending after the order terms, so pages over equal keys are deterministic", async () => {
      const s = await factory();
      const e = await experiment(s);
      const acc = new Map<string, number | undefined>();
      for (let i = 0; i < 23; i++) {
        // Equal start times everywhere; three groups of equal metric values, one group lacking it.
        const id = await run(s, e, { name: `t${i}` });
        const value = i % 4 === 3 ? undefined : [0.5, 0.7, 0.5][i % 4];
        acc.set(id, value);
        if (value !== undefined) await s.logMetrics([{ runId: id, key: "acc", value, step: 0, timestamp: T0 }]);
      }
      const byId = [...acc.keys()].sort();
      const pages = async (orderBy: RunOrder[], size: number) => {
        const all: string[] = [];
        for (let offset = 0; ; offset += size) {
          const rows = await s.searchRuns({ experimentIds: [e], orderBy, limit: size, offset, crashedBefore: T0 });
          all.push(...rows.map((r) => r.id));
          if (rows.length < size) return all;
        }
      };
      expect(await pages([], 5)).toEqual(byId);
      expect(await pages(parseRunOrder("attributes.start_time DESC"), 4)).toEqual(byId);
      expect(await pages(parseRunOrder("attributes.start_time ASC"), 7)).toEqual(byId);
      const group = (v: number | undefined) => byId.filter((id) => acc.get(id) === v);
      expect(await pages(parseRunOrder("metrics.acc DESC"), 3)).toEqual([
        ...group(0.7),
        ...group(0.5),
        ...group(undefined),
      ]);
      expect(await pages(parseRunOrder("metrics.acc ASC"), 6)).toEqual([
        ...group(0.5),
        ...group(0.7),
        ...group(undefined),
      ]);
      // Runs all lacking the key are one tie.
      expect(await pages(parseRunOrder("params.absent DESC"), 5)).toEqual(byId);
    });

    it("hides deleted runs unless their lifecycle is asked for", async () => {
      const { s, ids } = await setup();
      await s.updateRun(ids.r2, { lifecycle: "deleted" });
      expect((await s.getRun(ids.r2))?.lifecycle).toBe("deleted");
      expect((await s.getRun(ids.r1))?.lifecycle).toBeUndefined();
      expect(await names(s, ids, {})).toEqual(["r5", "r4", "r3", "r1"]);
      expect(await names(s, ids, { lifecycle: "deleted" })).toEqual(["r2"]);
      expect(await names(s, ids, { lifecycle: "all", f: "params.model = 'lr'" })).toEqual(["r2"]);
      await s.updateRun(ids.r2, { lifecycle: "active" });
      expect((await s.getRun(ids.r2))?.lifecycle).toBeUndefined();
      expect(await names(s, ids, {})).toHaveLength(5);
    });

    it("answers a filter of 49 IN lists of 1,000 values, within every parser limit (regression: 'too many SQL variables' on SQLite)", async () => {
      const s = await factory();
      const e = await experiment(s);
      const ids: Record<string, string> = {};
      const add = async (name: string, i: number, m: number | undefined, p: string | undefined) => {
        ids[name] = await run(s, e, { name, startTime: T0 + i, params: p === undefined ? {} : { p } });
        if (m !== undefined) await s.logMetrics([{ runId: ids[name], key: "m", value: m, step: 0, timestamp: T0 }]);
      };
      await add("a", 1, 5, "x");
      await add("b", 2, 50_000, "v23999");
      await add("c", 3, -1, "zz");
      await add("d", 4, Number.POSITIVE_INFINITY, undefined);
      await add("e", 5, undefined, undefined);
      // The parsed form (the filter text of 49,000 values would pass the parser's length limit):
      // list k holds k*1000 … k*1000+999, the first with +Infinity in place of 999.
      const numbers = (k: number) =>
        Array.from({ length: 1000 }, (_, i) => (k === 0 && i === 999 ? Number.POSITIVE_INFINITY : k * 1000 + i));
      const strings = (k: number) => Array.from({ length: 1000 }, (_, i) => `v${k * 1000 + i}`);
      const inList = (kind: "metric" | "param", key: string, values: Array<string | number>, negated: boolean) =>
        ({ type: "in", field: { kind, key }, values, negated }) as const;
      const search = async (filter: FilterNode) => {
        const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
        const rows = await s.searchRuns({
          experimentIds: [e],
          filter,
          orderBy: [],
          limit: 10,
          offset: 0,
          crashedBefore: T0,
        });
        return rows.map((r) => byId[r.id]);
      };
      const anyOf: FilterNode = {
        type: "or",
        children: [
          ...Array.from({ length: 25 }, (_, k) => inList("metric", "m", numbers(k), false)),
          ...Array.from({ length: 24 }, (_, k) => inList("param", "p", strings(k), false)),
        ],
      };
      expect(await search(anyOf)).toEqual(["d", "b", "a"]);
      const noneOf: FilterNode = {
        type: "and",
        children: Array.from({ length: 49 }, (_, k) => inList("metric", "m", numbers(k), true)),
      };
      expect(await search(noneOf)).toEqual(["c", "b"]);
      const noString: FilterNode = {
        type: "and",
        children: Array.from({ length: 49 }, (_, k) => inList("param", "p", strings(k), true)),
      };
      expect(await search(noString)).toEqual(["c", "a"]);
    });

    it("returns params, tags and latest metrics with each run", async () => {
      const { s, ids } = await setup();
      const [r1] = await s.searchRuns({
        experimentIds: [],
        filter: parseRunFilter(`attributes.run_id = '${ids.r1}'`)!,
        orderBy: [],
        limit: 10,
        offset: 0,
        crashedBefore: T0,
      });
      expect(r1).toMatchObject({ params: { model: "rf", n: "10" }, tags: { team: "ml-core" } });
      expect(r1.metrics).toEqual({ acc: 0.91, loss: 0.2 });
    });
  });
}

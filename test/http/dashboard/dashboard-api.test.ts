// The dashboard's JSON API over the workspace the demo builds: what each route answers, filter errors
// with their position, pagination, authentication, and writes (off by default; same-origin; audited).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardHandler } from "../../../src/http/index.js";
import { openWorkspace, type Workspace } from "../../../src/index.js";
import { demoWorkspace } from "./demo-workspace.js";

const ORIGIN = "http://dash.test";

describe("dashboard API over the demo's workspace", { timeout: 120_000 }, () => {
  let ws: Workspace;
  let handler: (request: Request) => Promise<Response>;
  const get = async (path: string) => {
    const res = await handler(new Request(`${ORIGIN}/mlcycle${path}`));
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    ws = await openWorkspace(await demoWorkspace());
    handler = createDashboardHandler(ws, { auth: false, basePath: "/mlcycle" });
  }, 120_000);
  afterAll(async () => ws?.close());

  it("serves the page and its bundle under the base path", async () => {
    const page = await handler(new Request(`${ORIGIN}/mlcycle/`));
    expect(page.status).toBe(200);
    const html = await page.text();
    // The page finds its bundle and the API from its own address, wherever it is mounted.
    expect(html).toContain('import(base + "/assets/app.js")');
    expect(html).toContain('<div id="app"></div>');
    const script = await handler(new Request(`${ORIGIN}/mlcycle/assets/app.js`));
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect((await script.text()).length).toBeGreaterThan(10_000);
    const css = await handler(new Request(`${ORIGIN}/mlcycle/assets/app.css`));
    expect(await css.text()).toContain(".uplot");
  });

  it("lists experiments and searches runs with the filter language, order and pages", async () => {
    const experiments = await get("/api/experiments");
    expect(experiments.body.items.map((e: any) => e.name)).toEqual(["churn-train"]);
    const all = await get("/api/runs");
    expect(all.body.runs.length).toBe(6);
    expect(all.body.runs[0].experimentName).toBe("churn-train");
    const good = await get(`/api/runs?filter=${encodeURIComponent("metrics.accuracy_score > 0.9")}`);
    expect(good.body.runs.map((r: any) => r.name)).toEqual(["publish"]);
    expect(good.body.runs[0].metrics.accuracy_score).toBeGreaterThan(0.9);
    const ordered = await get(
      `/api/runs?filter=${encodeURIComponent("metrics.accuracy_score > 0")}&orderBy=${encodeURIComponent("metrics.accuracy_score ASC")}`,
    );
    const scores = ordered.body.runs.map((r: any) => r.metrics.accuracy_score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => a - b));
    const first = await get("/api/runs?limit=4");
    expect(first.body.runs).toHaveLength(4);
    const second = await get(`/api/runs?limit=4&pageToken=${encodeURIComponent(first.body.nextPageToken)}`);
    expect(second.body.runs).toHaveLength(2);
    expect(second.body.nextPageToken).toBeUndefined();
  });

  it("answers a filter that does not parse with 400 and the position where it went wrong", async () => {
    const filter = "metrics.accuracy_score >> 1";
    const bad = await get(`/api/runs?filter=${encodeURIComponent(filter)}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "VALIDATION", source: filter, position: 24 });
    expect(filter.slice(bad.body.error.position)).toBe("> 1");
  });

  it("gives a run's details, its metric history downsampled, and runs compared side by side", async () => {
    const runs = (await get(`/api/runs?filter=${encodeURIComponent("attributes.run_name = 'publish'")}`)).body.runs;
    expect(runs).toHaveLength(2);
    const detail = await get(`/api/runs/${runs[0].id}`);
    expect(detail.body.run.name).toBe("publish");
    expect(detail.body.experiment.name).toBe("churn-train");
    expect(Array.isArray(detail.body.artifacts)).toBe(true);
    const history = await get(`/api/runs/${runs[0].id}/metrics/accuracy_score?maxPoints=10`);
    expect(history.body.points.length).toBeGreaterThan(0);
    expect(history.body.points.at(-1).value).toBe(runs[0].metrics.accuracy_score);
    const cmp = await get(`/api/compare?runs=${runs.map((r: any) => r.id).join(",")}`);
    const accuracy = cmp.body.metrics.find((m: any) => m.key === "accuracy_score");
    expect(accuracy.values).toEqual(runs.map((r: any) => r.metrics.accuracy_score));
    expect(accuracy.differs).toBe(true);
    expect((await get("/api/runs/NOPE")).status).toBe(404);
  });

  it("gives pipeline runs with statuses, the step graph from lineage, and why a step hit or missed the cache", async () => {
    const runs = await get("/api/pipelines/runs");
    expect(runs.body.items.map((i: any) => [i.run.trigger, i.run.status])).toEqual([
      ["event:monitor.alert", "succeeded"],
      ["manual", "succeeded"],
    ]);
    const id = runs.body.items[0].run.id;
    const detail = await get(`/api/pipelines/runs/${id}`);
    expect(detail.body.steps.map((s: any) => s.step).sort()).toEqual(["data", "publish", "train"]);
    expect(detail.body.graph.source).toBe("lineage");
    const edges = detail.body.graph.edges.map((e: any) => `${e.from}->${e.to}`).sort();
    expect(edges).toEqual(["data->publish", "data->train", "train->publish"]);
    const why = await get(`/api/pipelines/runs/${id}/steps/train/cache`);
    expect(why.body).toMatchObject({ step: "train", hit: false });
    expect(typeof why.body.reason).toBe("string");
  });

  it("gives models, versions, aliases, the audit trail naming the alert, evaluations and lineage of a version", async () => {
    const models = await get("/api/models");
    expect(models.body.items.map((m: any) => [m.name, m.aliases])).toEqual([["churn", { champion: 2 }]]);
    const model = await get("/api/models/churn");
    expect(model.body.versions.map((v: any) => v.version)).toEqual([1, 2]);
    const [move] = model.body.audit;
    expect(move).toMatchObject({ alias: "champion", from: 1, to: 2, actor: "churn-train" });
    expect(move.reason).toContain("monitor alert");
    const version = await get("/api/models/churn/versions/2");
    expect(version.body.version.version).toBe(2);
    expect(version.body.evaluations.length).toBeGreaterThan(0);
    expect(version.body.evaluations.some((e: any) => e.passed === true)).toBe(true);
    const types = new Set(version.body.lineage.nodes.map((n: any) => n.type));
    expect(types).toContain("step_run");
    expect(types).toContain("feature_view");
    expect((await get("/api/models/churn/versions/zero")).status).toBe(400);
  });

  it("gives entities, views with their online freshness, and a view's statistics", async () => {
    const f = await get("/api/features");
    expect(f.body.entities.map((e: any) => e.name)).toEqual(["customer"]);
    const [view] = f.body.views;
    expect(view.name).toBe("customer_activity");
    expect(view.materialization.until).toBeTypeOf("number");
    expect(view.lagMs).toBe(f.body.now - view.materialization.until);
    const stats = await get("/api/features/views/customer_activity");
    expect(Object.keys(stats.body.statistics.features).sort()).toEqual(["sessions_7d", "spend_30d"]);
    // 600 customers in each of the demo's five snapshots (days 0, 14, 28, 42, and the one ingested when prices change).
    expect(stats.body.statistics.rows).toBe(3000);
  });

  it("gives deployments with their traffic by version, and monitors with drift per column over time and alerts", async () => {
    const d = await get("/api/deployments");
    expect(d.body.deployments).toEqual([
      expect.objectContaining({ name: "churn", predictions: 400, traffic: { "churn@1": 300, "churn@2": 100 } }),
    ]);
    const m = await get("/api/monitors/churn");
    expect(m.body.windows.map((w: any) => w.figures.dataset_drift)).toEqual([0, 0, 0, 0, 1, 1, 0, 0]);
    expect(Object.keys(m.body.windows[0].figures)).toContain("drift.sessions_7d");
    const alerts = await get("/api/alerts?monitor=churn");
    expect(alerts.body.items.map((a: any) => a.rule).sort()).toEqual(["accuracy", "drift"]);
    expect((await get("/api/alerts?status=maybe")).status).toBe(400);
  });

  it("is read-only by default: a write route answers 405 and nothing moves", async () => {
    const res = await handler(
      new Request(`${ORIGIN}/mlcycle/api/models/churn/aliases/champion/rollback`, {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": "application/json" },
        body: "{}",
      }),
    );
    expect(res.status).toBe(405);
    expect(((await res.json()) as any).error.message).toContain("read-only");
    expect(await ws.registry.aliases("churn")).toEqual({ champion: 2 });
    expect((await get("/api/info")).body).toEqual({ writes: false, title: "mlcycle" });
  });
});

describe("dashboard writes and authentication", { timeout: 120_000 }, () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await openWorkspace(await demoWorkspace());
  }, 120_000);
  afterAll(async () => ws?.close());

  it("needs the token on the API (the page itself is open)", async () => {
    const handler = createDashboardHandler(ws, { auth: { token: "s3cret" } });
    expect((await handler(new Request(`${ORIGIN}/`))).status).toBe(200);
    expect((await handler(new Request(`${ORIGIN}/api/models`))).status).toBe(401);
    const ok = await handler(new Request(`${ORIGIN}/api/models`, { headers: { authorization: "Bearer s3cret" } }));
    expect(ok.status).toBe(200);
  });

  it("with writes on: refuses another origin, then rolls back and promotes with the actor in the audit trail", async () => {
    const handler = createDashboardHandler(ws, {
      auth: { token: "s3cret" },
      writes: true,
      actor: (request) => `web:${request.headers.get("x-user") ?? "anonymous"}`,
    });
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      handler(
        new Request(`${ORIGIN}${path}`, {
          method: "POST",
          headers: { authorization: "Bearer s3cret", "content-type": "application/json", ...headers },
          body: JSON.stringify(body),
        }),
      );
    const foreign = await post("/api/models/churn/aliases/champion/rollback", {}, { origin: "http://evil.test" });
    expect(foreign.status).toBe(403);
    const noOrigin = await post("/api/models/churn/aliases/champion/rollback", {}, {});
    expect(noOrigin.status).toBe(403);
    expect(await ws.registry.aliases("churn")).toEqual({ champion: 2 });

    const back = await post(
      "/api/models/churn/aliases/champion/rollback",
      { reason: "checking v1" },
      { origin: ORIGIN, "x-user": "ana" },
    );
    expect(back.status).toBe(200);
    expect(await ws.registry.aliases("churn")).toEqual({ champion: 1 });
    const again = await post("/api/models/churn/aliases/champion", { version: 2 }, { origin: ORIGIN, "x-user": "ana" });
    expect(again.status, await again.clone().text()).toBe(200);
    const [last, previous] = await ws.registry.aliasHistory("churn", "champion");
    expect(last).toMatchObject({ to: 2, actor: "web:ana", reason: "promoted from the dashboard" });
    expect(previous).toMatchObject({ action: "rollback", from: 2, to: 1, actor: "web:ana", reason: "checking v1" });

    const bad = await post("/api/models/churn/aliases/champion", { version: "two" }, { origin: ORIGIN });
    expect(bad.status).toBe(400);
    const form = await handler(
      new Request(`${ORIGIN}/api/models/churn/aliases/champion/rollback`, {
        method: "POST",
        headers: {
          authorization: "Bearer s3cret",
          origin: ORIGIN,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "a=1",
      }),
    );
    expect(form.status).toBe(415);
  });

  it("refuses bad options with VALIDATION", () => {
    expect(() => createDashboardHandler(ws, {} as never)).toThrow(/auth/);
    expect(() => createDashboardHandler(ws, { auth: false, basePath: "x" })).toThrow(/basePath/);
  });
});

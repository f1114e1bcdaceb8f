// GET /metrics on the serving handler: the workspace's monitor figures in the Prometheus text format,
// authenticated as the other routes unless the option gives the route an authentication of its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpHandler, type HttpErrorBody, serveHttp } from "../../src/http/index.js";
import {
  type Deployment,
  functionModel,
  isMlcycleError,
  type Monitor,
  PROMETHEUS_CONTENT_TYPE,
  prometheusExporter,
  type Workspace,
} from "../../src/index.js";
import { deploy } from "./deploy.js";
import { httpWorkspaces } from "./models.js";

const TOKEN = "serving-token";
const SCRAPE = "scrape-token";
const MINUTE = 60_000;
const T0 = Date.UTC(2025, 2, 1);
const req = (path: string, init: { method?: string; token?: string } = {}) =>
  new Request(`http://model.test${path}`, {
    method: init.method ?? "GET",
    headers: init.token ? { authorization: `Bearer ${init.token}` } : {},
  });

describe.each(httpWorkspaces())("GET /metrics on %s", (_name, open) => {
  let ws: Workspace;
  let d: Deployment;
  let monitor: Monitor;
  const exporter = prometheusExporter();
  beforeAll(async () => {
    ws = await open();
    ws.registry.registerFunction("double", () => (rows: number[][]) => rows.map(([x]) => 2 * x));
    await ws.registry.register("double", {
      model: functionModel("double", {}),
      signature: { inputs: z.array(z.tuple([z.number()])).min(1) },
    });
    d = await deploy(ws, "double@1");
    ws.monitors.addExporter(exporter);
    monitor = await ws.monitors.open(`watch-${d.name.replace(/[^a-zA-Z0-9-]/g, "-")}`, {
      features: ["x"],
      predictions: ["y"],
      window: { ms: MINUTE },
      checkIntervalMs: false,
    });
    await monitor.setReference({ rows: Array.from({ length: 50 }, (_, i) => ({ x: i, y: 2 * i })) });
    monitor.observe(
      Array.from({ length: 40 }, (_, i) => ({ x: i + 30, y: 2 * i + 60 })),
      { at: T0 + 1_000 },
    );
    await monitor.check(); // the window, in 2025, has ended
  });
  afterAll(async () => {
    await d.close();
    await ws.close();
  });

  it("serves the monitor figures with the handler's token; 401 without it; HEAD gives the headers only", async () => {
    const handler = createHttpHandler(d, { auth: { token: TOKEN }, metrics: ws.monitors.metricsHandler() });
    const res = await handler(req("/metrics", { token: TOKEN }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = await res.text();
    expect(text).toBe(await ws.monitors.prometheus());
    expect(text).toMatch(new RegExp(`^mlcycle_monitor_rows\\{monitor="${monitor.name}"\\} 40$`, "m"));
    expect(text).toMatch(/^# TYPE mlcycle_monitor_drift_share gauge$/m);

    const denied = await handler(req("/metrics"));
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe('Bearer realm="mlcycle"');
    expect(((await denied.json()) as HttpErrorBody).error.code).toBe("UNAUTHENTICATED");

    const head = await handler(req("/metrics", { method: "HEAD", token: TOKEN }));
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(await head.text()).toBe("");
  });

  it("another method: 405 with Allow once authenticated, 401 before", async () => {
    const handler = createHttpHandler(d, { auth: { token: TOKEN }, metrics: ws.monitors.metricsHandler() });
    const post = await handler(req("/metrics", { method: "POST", token: TOKEN }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(((await post.json()) as HttpErrorBody).error.code).toBe("METHOD_NOT_ALLOWED");
    expect((await handler(req("/metrics", { method: "POST" }))).status).toBe(401);
  });

  it("{ handler, auth: false } leaves /metrics open and every other route closed", async () => {
    const handler = createHttpHandler(d, {
      auth: { token: TOKEN },
      metrics: { handler: ws.monitors.metricsHandler(), auth: false },
    });
    const res = await handler(req("/metrics"));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`monitor="${monitor.name}"`);
    expect((await handler(req("/metadata"))).status).toBe(401);
    expect((await handler(req("/nowhere"))).status).toBe(401);
  });

  it("{ handler, auth: { token } }: the scraper's token opens /metrics only, the serving token not /metrics", async () => {
    const handler = createHttpHandler(d, {
      auth: { token: TOKEN },
      metrics: { handler: ws.monitors.metricsHandler(), auth: { token: SCRAPE } },
    });
    expect((await handler(req("/metrics", { token: SCRAPE }))).status).toBe(200);
    expect((await handler(req("/metrics", { token: TOKEN }))).status).toBe(401);
    expect((await handler(req("/metadata", { token: SCRAPE }))).status).toBe(401);
    expect((await handler(req("/metadata", { token: TOKEN }))).status).toBe(200);
  });

  it("a handler serving without authentication serves /metrics without it too", async () => {
    const handler = createHttpHandler(d, { auth: false, metrics: ws.monitors.metricsHandler() });
    expect((await handler(req("/metrics"))).status).toBe(200);
  });

  it("without the option there is no /metrics route (404 once authenticated)", async () => {
    const handler = createHttpHandler(d, { auth: { token: TOKEN } });
    const res = await handler(req("/metrics", { token: TOKEN }));
    expect(res.status).toBe(404);
    expect((await handler(req("/metrics"))).status).toBe(401);
  });

  it("an exporter's fetch mounts as well: the windows this process closed", async () => {
    const handler = createHttpHandler(d, { auth: false, metrics: exporter.fetch });
    const text = await (await handler(req("/metrics"))).text();
    expect(text).toBe(exporter.text());
    expect(text).toMatch(new RegExp(`^mlcycle_monitor_rows\\{monitor="${monitor.name}"\\} 40$`, "m"));
  });

  it("under basePath the route is basePath/metrics", async () => {
    const handler = createHttpHandler(d, {
      auth: false,
      basePath: "/models/double",
      metrics: ws.monitors.metricsHandler(),
    });
    expect((await handler(req("/models/double/metrics"))).status).toBe(200);
    expect((await handler(req("/metrics"))).status).toBe(404);
  });

  it("a scrape over a socket, as Prometheus does it", async () => {
    const handler = createHttpHandler(d, { auth: { token: TOKEN }, metrics: ws.monitors.metricsHandler() });
    await using server = await serveHttp(handler, { port: 0 });
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`mlcycle_monitor_window{monitor="${monitor.name}"} ${T0 / MINUTE}`);
  });

  it.each<[string, unknown, RegExp]>([
    [
      "a number",
      42,
      /metrics: must be a handler \(Request\) => Response, such as ws.monitors.metricsHandler\(\), or \{ handler, auth\? \}/,
    ],
    ["an object without a handler", { auth: false }, /metrics: must be a handler/],
    [
      "an empty scrape token",
      { handler: () => new Response(""), auth: { token: "" } },
      /metrics.auth.token: must be a non-empty string/,
    ],
    ["auth: true", { handler: () => new Response(""), auth: true }, /metrics.auth: must be an object or false/],
  ])("metrics as %s is a VALIDATION error", (_what, metrics, message) => {
    let caught: unknown;
    try {
      createHttpHandler(d, { auth: { token: TOKEN }, metrics } as never);
    } catch (e) {
      caught = e;
    }
    expect(isMlcycleError(caught, "VALIDATION")).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

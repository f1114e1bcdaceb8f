import type { Hono } from "hono";
import { type ApiContext, intQuery, json, pageOf } from "./api-context.js";

/**
 * Experiments and runs: `GET /api/experiments`, `/api/runs` (the filter language, order, cursor
 * pages), `/api/runs/:id`, `/api/runs/:id/metrics/:key` (downsampled history), `/api/compare`.
 */
export function trackingRoutes(app: Hono, { ws }: ApiContext): void {
  app.get("/api/experiments", async (c) => {
    const lifecycle = c.req.query("lifecycle") === "all" ? "all" : "active";
    return json(pageOf(c, await ws.experiments.list({ lifecycle })));
  });

  app.get("/api/runs", async (c) => {
    const experiments = c.req.queries("experiment");
    const filter = c.req.query("filter");
    const orderBy = c.req.queries("orderBy");
    const pageToken = c.req.query("pageToken");
    const page = await ws.experiments.searchRuns({
      ...(experiments?.length ? { experiments } : {}),
      ...(filter?.trim() ? { filter } : {}),
      ...(orderBy?.length ? { orderBy } : {}),
      ...(pageToken ? { pageToken } : {}),
      maxResults: intQuery(c, "limit", 100, 1, 1000),
    });
    const names = new Map((await ws.experiments.list({ lifecycle: "all" })).map((e) => [e.id, e.name]));
    return json({
      runs: page.runs.map((r) => ({ ...r, experimentName: names.get(r.experimentId) })),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    });
  });

  app.get("/api/runs/:id", async (c) => {
    const run = await ws.experiments.getRun(c.req.param("id"));
    const [experiment, artifacts, inputs, children] = await Promise.all([
      ws.experiments.get(run.experimentId),
      ws.experiments.listArtifacts(run.id),
      ws.experiments.listInputs(run.id),
      ws.experiments.childRuns(run.id),
    ]);
    return json({ run, experiment, artifacts, inputs, children });
  });

  app.get("/api/runs/:id/metrics/:key", async (c) => {
    const maxPoints = intQuery(c, "maxPoints", 500, 2, 10_000);
    const points = await ws.experiments.metricHistory(c.req.param("id"), c.req.param("key"), { maxPoints });
    return json({ key: c.req.param("key"), points });
  });

  app.get("/api/compare", async (c) => {
    const ids = (c.req.query("runs") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    return json(await ws.experiments.compareRuns(ids));
  });
}

import type { Hono } from "hono";
import { invalid, type PipelineRunStatus } from "../../index.js";
import { type ApiContext, intQuery, json } from "./api-context.js";
import { stepGraph } from "./step-graph.js";

const STATUSES = new Set(["pending", "running", "succeeded", "failed", "cancelled"]);

/**
 * Pipeline runs: `GET /api/pipelines/runs` (newest first, with their steps' statuses),
 * `/api/pipelines/runs/:id` (steps with timings, cache hits and why, logs, and the graph),
 * `/api/pipelines/runs/:id/steps/:step/cache` (why the step hit or missed the cache).
 */
export function pipelineRoutes(app: Hono, { ws }: ApiContext): void {
  app.get("/api/pipelines/runs", async (c) => {
    const pipeline = c.req.query("pipeline");
    const status = c.req.query("status");
    if (status !== undefined && !STATUSES.has(status))
      throw invalid(["query", "status"], `must be one of ${[...STATUSES].join(", ")}`);
    const runs = await ws.pipelines.list({
      ...(pipeline ? { pipeline } : {}),
      ...(status ? { status: status as PipelineRunStatus } : {}),
      limit: intQuery(c, "limit", 100, 1, 10_000),
    });
    const out = [];
    for (const run of runs) {
      const { steps } = await ws.pipelines.get(run.id);
      out.push({ run, steps: steps.map(({ logs: _logs, cacheComponents: _c, ...s }) => s) });
    }
    return json({ items: out });
  });

  app.get("/api/pipelines/runs/:id", async (c) => {
    const { run, steps } = await ws.pipelines.get(c.req.param("id"));
    return json({ run, steps, graph: await stepGraph(ws, run, steps) });
  });

  app.get("/api/pipelines/runs/:id/steps/:step/cache", async (c) =>
    json(await ws.pipelines.explainCache(c.req.param("id"), c.req.param("step"))),
  );
}

import type { Hono } from "hono";
import { invalid } from "../../index.js";
import { type ApiContext, intQuery, json } from "./api-context.js";

/**
 * Monitors: `GET /api/monitors`, `/api/monitors/:name` (config, references, windows with every figure
 * — drift per column, data quality, performance — for charts over time), `/api/alerts`.
 */
export function monitorRoutes(app: Hono, { ws }: ApiContext): void {
  app.get("/api/monitors", async () => json({ items: await ws.monitors.list() }));

  app.get("/api/monitors/:name", async (c) => {
    const name = c.req.param("name");
    const status = await ws.monitors.status(name);
    const windows = await ws.monitors.windows(name, {
      order: "desc",
      limit: intQuery(c, "windows", 500, 1, 10_000),
    });
    // Oldest first for charts; the full reports stay out (GET /api/monitors/:name/windows/:window).
    const series = windows.reverse().map(({ report: _report, ...w }) => w);
    return json({ status, windows: series });
  });

  app.get("/api/monitors/:name/windows/:window", async (c) => {
    const n = Number(c.req.param("window"));
    if (!Number.isInteger(n) || n < 0) throw invalid(["window"], "must be a window index (an integer ≥ 0)");
    const [w] = await ws.monitors.windows(c.req.param("name"), { from: n, to: n + 1 });
    if (!w) return json({ error: { code: "NOT_FOUND", message: `no window ${n}` } }, 404);
    return json(w);
  });

  app.get("/api/alerts", async (c) => {
    const monitor = c.req.query("monitor");
    const status = c.req.query("status");
    if (status !== undefined && status !== "open" && status !== "resolved")
      throw invalid(["query", "status"], "must be open or resolved");
    return json({
      items: await ws.monitors.alerts({
        ...(monitor ? { monitor } : {}),
        ...(status ? { status } : {}),
        limit: intQuery(c, "limit", 200, 1, 10_000),
      }),
    });
  });
}

import type { Hono } from "hono";
import { type ApiContext, json } from "./api-context.js";

/**
 * The feature store: `GET /api/features` (entities, views with how fresh their online values are,
 * services) and `/api/features/views/:name` (the view with its column statistics).
 */
export function featureRoutes(app: Hono, { ws }: ApiContext): void {
  app.get("/api/features", async () => {
    const [entities, views, services] = await Promise.all([
      ws.features.listEntities(),
      ws.features.listFeatureViews(),
      ws.features.listFeatureServices(),
    ]);
    const now = ws.clock.now();
    const withFreshness = await Promise.all(
      views.map(async (view) => {
        const state = await ws.features.materializationState(view.name);
        // How far behind the online values are: time since the end of the last materialisation.
        const lagMs = state?.until !== undefined ? Math.max(0, now - state.until) : undefined;
        return { ...view, materialization: state ?? null, ...(lagMs !== undefined ? { lagMs } : {}) };
      }),
    );
    return json({ entities, views: withFreshness, services, now });
  });

  app.get("/api/features/views/:name", async (c) => {
    const name = c.req.param("name");
    const view = await ws.features.getFeatureView(name);
    const statistics = await ws.features.statistics(name);
    return json({ view, statistics, materialization: (await ws.features.materializationState(name)) ?? null });
  });
}

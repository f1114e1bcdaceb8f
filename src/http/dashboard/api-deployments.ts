import type { Hono } from "hono";
import { type ApiContext, intQuery, json } from "./api-context.js";

/**
 * Deployments and online experiments: `GET /api/deployments` (each deployment named by the
 * prediction log's monitors, online experiments or live in this process, with its recent traffic by
 * version and variant), `/api/online/:name` (an online experiment: traffic split, canary state,
 * history, and its analysis when `metric` is given).
 */
export function deploymentRoutes(app: Hono, { ws }: ApiContext): void {
  app.get("/api/deployments", async (c) => {
    const sample = intQuery(c, "sample", 1000, 1, 10_000);
    const [experiments, monitors] = await Promise.all([ws.online.list(), ws.monitors.list()]);
    const live = new Map(ws.serving.list().map((d) => [d.describe().name, d.describe()]));
    const names = new Set<string>([...live.keys()]);
    for (const e of experiments) names.add(e.deployment);
    for (const m of monitors) if (m.deployment) names.add(m.deployment);
    const deployments = [];
    for (const name of [...names].sort()) {
      // An online experiment's variants are deployments of their own (`<experiment>/<variant>`), which
      // log its predictions: the traffic of the experiment's deployment is theirs too.
      const attached = experiments.filter((e) => e.deployment === name);
      const sources = [name, ...attached.flatMap((e) => e.variants.map((v) => `${e.name}/${v.name}`))];
      const pages = await Promise.all(
        sources.map((deployment) => ws.serving.listPredictions({ deployment, limit: sample })),
      );
      const traffic: Record<string, number> = {};
      let predictions = 0;
      for (const page of pages)
        for (const p of page.predictions) {
          const key = `${p.model}@${p.version}${p.variant ? ` (${p.variant})` : ""}`;
          traffic[key] = (traffic[key] ?? 0) + 1;
          predictions++;
        }
      deployments.push({
        name,
        live: live.get(name) ?? null,
        predictions,
        more: pages.some((page) => page.nextPageToken !== undefined),
        traffic,
        experiments: attached.map((e) => e.name),
        monitors: monitors.filter((m) => m.deployment === name).map((m) => m.name),
      });
    }
    return json({ deployments, experiments });
  });

  app.get("/api/online/:name", async (c) => {
    const name = c.req.param("name");
    const [experiment, history] = await Promise.all([ws.online.describe(name), ws.online.history(name)]);
    const metric = c.req.query("metric");
    const type = c.req.query("type") === "proportion" ? "proportion" : "mean";
    const analysis = metric ? await ws.online.analyze(name, { metric, type }) : null;
    return json({ experiment, history, analysis });
  });
}

import type { Hono } from "hono";
import { invalid, lineageIds } from "../../index.js";
import { type ApiContext, intQuery, json, pageOf } from "./api-context.js";

/** A version number from the path; `VALIDATION` when it is not a positive integer. */
function versionParam(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalid(["version"], `must be a positive integer (got '${raw}')`);
  return n;
}

/**
 * The registry: `GET /api/models`, `/api/models/:name` (versions, aliases, the audit trail of alias
 * moves), `/api/models/:name/versions/:version` (model card, evaluations and gates, approvals, and
 * the lineage it came from).
 */
export function registryRoutes(app: Hono, { ws }: ApiContext): void {
  app.get("/api/models", async (c) => json(pageOf(c, await ws.registry.listModels({ limit: 10_000 }))));

  app.get("/api/models/:name", async (c) => {
    const name = c.req.param("name");
    const model = await ws.registry.getModel(name);
    const [versions, audit] = await Promise.all([
      ws.registry.listVersions(name),
      ws.registry.aliasHistory(name, undefined, { limit: intQuery(c, "auditLimit", 200, 1, 10_000) }),
    ]);
    return json({ model, versions, audit });
  });

  app.get("/api/models/:name/versions/:version", async (c) => {
    const name = c.req.param("name");
    const number = versionParam(c.req.param("version"));
    const ref = { model: name, version: number };
    const version = await ws.registry.getVersion(ref);
    const [evaluations, approvals] = await Promise.all([ws.registry.evaluations(ref), ws.registry.approvals(ref)]);
    const node = await ws.lineage.find({ kind: "artifact", externalId: lineageIds.modelVersion(name, number) });
    const lineage = node
      ? await ws.lineage.upstream(node.id, { maxHops: intQuery(c, "hops", 6, 1, 20) })
      : { root: undefined, nodes: [], edges: [] };
    return json({ version, evaluations, approvals, lineage });
  });
}

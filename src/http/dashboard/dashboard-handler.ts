import { Hono } from "hono";
import { fromZodError, invalid, isMlcycleError, type Workspace } from "../../index.js";
import { authenticator, type HttpAuth } from "../auth.js";
import { errorResponse, toErrorResponse } from "../http-errors.js";
import { z } from "zod";
import { json } from "./api-context.js";
import { deploymentRoutes } from "./api-deployments.js";
import { featureRoutes } from "./api-features.js";
import { monitorRoutes } from "./api-monitors.js";
import { pipelineRoutes } from "./api-pipelines.js";
import { registryRoutes } from "./api-registry.js";
import { trackingRoutes } from "./api-tracking.js";
import { writeRoutes } from "./api-writes.js";
import { dashboardAssets, indexHtml } from "./dashboard-assets.js";

/** Options of {@link createDashboardHandler}. */
export interface DashboardOptions {
  /**
   * Required, as for serving: `{ token }`, `{ verify }` or `false`. It guards the API (`/api/…`); the
   * page and its script are open (they hold no data) and ask for the token when the API answers 401.
   */
  auth: HttpAuth | false;
  /** A path prefix the dashboard is served under (e.g. `/mlcycle`; default none). */
  basePath?: string;
  /**
   * Serve the write routes (promote and roll back an alias, resume a pipeline run). Default false:
   * read-only. Writes are accepted from the dashboard's own origin only and recorded with their actor.
   */
  writes?: boolean;
  /** Who made a write, for the audit trail (default: `dashboard`). */
  actor?: (request: Request) => string | Promise<string>;
  /** Origins besides the handler's own that may write (the host's public origin behind a proxy). */
  allowedOrigins?: string[];
  /** The page title (default `mlcycle`). */
  title?: string;
  /** Told about every error answered with a 5xx status; default `console.error`. */
  onError?: (error: unknown, request: Request) => void;
}

const optionsSchema = z.object({
  basePath: z
    .string()
    .regex(/^\/[^?#]*$/, "must start with / and hold no query or fragment")
    .optional(),
  writes: z.boolean().optional(),
  actor: z.custom<(r: Request) => string>((v) => typeof v === "function", "must be a function").optional(),
  allowedOrigins: z.array(z.string().url()).optional(),
  title: z.string().optional(),
  onError: z.custom<(e: unknown) => void>((v) => typeof v === "function", "must be a function").optional(),
});

/** A filter or order-by error answered with where it went wrong, so the page can point at it. */
function withPosition(error: unknown): Response | undefined {
  if (!isMlcycleError(error, "VALIDATION")) return undefined;
  const { position, source } = error.details;
  if (typeof position !== "number" || typeof source !== "string") return undefined;
  return json({ error: { code: "VALIDATION", message: error.message, issues: error.issues, position, source } }, 400);
}

/**
 * The dashboard: a web UI and the JSON REST API it reads, as one fetch-standard handler
 * (`(Request) => Promise<Response>`) that mounts in a host service at a base path, as serving's
 * handler does, or runs on its own with `mlcycle ui`. Read-only unless `writes: true`.
 *
 * | route | what |
 * | --- | --- |
 * | `GET /` | the web UI (experiments, pipelines, registry, features, deployments, monitors) |
 * | `GET /api/info` | `{ writes, title }`: whether the write routes are on |
 * | `GET /api/experiments`, `/api/runs?filter=…`, `/api/runs/:id`, `/api/runs/:id/metrics/:key`, `/api/compare?runs=a,b` | tracking |
 * | `GET /api/pipelines/runs`, `/api/pipelines/runs/:id`, `/api/pipelines/runs/:id/steps/:step/cache` | pipelines |
 * | `GET /api/models`, `/api/models/:name`, `/api/models/:name/versions/:version` | registry |
 * | `GET /api/features`, `/api/features/views/:name` | feature store |
 * | `GET /api/deployments`, `/api/online/:name` | deployments and online experiments |
 * | `GET /api/monitors`, `/api/monitors/:name`, `/api/alerts` | monitoring |
 *
 * Errors are `{ error: { code, message, issues?, position?, source? } }` (a filter that does not
 * parse: 400 with the `position` in `source` where it went wrong).
 *
 * @example
 * ```ts
 * const dashboard = createDashboardHandler(ws, { auth: false, basePath: "/mlcycle" });
 * const res = await dashboard(new Request("http://localhost/mlcycle/api/experiments"));
 * ```
 */
export function createDashboardHandler(
  ws: Workspace,
  options: DashboardOptions,
): (request: Request) => Promise<Response> {
  if (!ws || typeof ws !== "object" || !ws.experiments || !ws.registry)
    throw invalid(["workspace"], "must be a workspace (openWorkspace() or createWorkspace())");
  if (!options || typeof options !== "object")
    throw invalid(["options"], "are required, with auth: { auth: { token } }, or { auth: false } for none");
  const checked = optionsSchema.safeParse(options);
  if (!checked.success) throw fromZodError(checked.error, "dashboard options");
  const authenticate = authenticator(options.auth);
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const report = options.onError ?? ((error: unknown) => console.error("mlcycle dashboard: unexpected error", error));
  const title = options.title ?? "mlcycle";

  // Not strict: `/base` and `/base/` are one page, as a person types either.
  const app = new Hono({ strict: false });
  app.onError((error, c) => withPosition(error) ?? toErrorResponse(error, (e) => report(e, c.req.raw)));
  app.notFound((c) => errorResponse(404, "NOT_FOUND", `no route ${c.req.method} ${new URL(c.req.url).pathname}`));

  const page = () =>
    new Response(indexHtml(title), {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
    });
  app.get("/", page);
  app.get(
    "/assets/app.js",
    () => new Response(dashboardAssets().script, { headers: { "content-type": "text/javascript; charset=utf-8" } }),
  );
  app.get(
    "/assets/app.css",
    () => new Response(dashboardAssets().style, { headers: { "content-type": "text/css; charset=utf-8" } }),
  );

  if (authenticate)
    app.use("/api/*", async (c, next) => {
      await authenticate(c.req.raw);
      await next();
    });
  const context = { ws };
  // What the page needs to know of the handler: whether it may offer writes.
  app.get("/api/info", () => json({ writes: options.writes === true, title }));
  if (options.writes)
    writeRoutes(app, { ws, actor: options.actor ?? (() => "dashboard"), origins: options.allowedOrigins ?? [] });
  trackingRoutes(app, context);
  pipelineRoutes(app, context);
  registryRoutes(app, context);
  featureRoutes(app, context);
  deploymentRoutes(app, context);
  monitorRoutes(app, context);
  app.all("/api/*", (c) =>
    errorResponse(
      c.req.method === "GET" ? 404 : 405,
      c.req.method === "GET" ? "NOT_FOUND" : "METHOD_NOT_ALLOWED",
      c.req.method === "GET"
        ? `no route ${new URL(c.req.url).pathname}`
        : options.writes
          ? `${c.req.method} is not a route here`
          : "the dashboard is read-only: create it with writes: true (mlcycle ui --writes) to promote, roll back or resume",
    ),
  );

  const root = base === "" ? app : new Hono({ strict: false }).route(base, app);
  return async (request: Request) => root.fetch(request);
}

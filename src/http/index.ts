/**
 * `mlcycle/http`: serve a deployment over HTTP — a fetch-standard handler speaking MLflow's scoring
 * protocol (`createHttpHandler`), a `node:http` server with graceful shutdown (`serveHttp`), and an
 * adapter for Express, Fastify and `node:http` (`toNodeHandler`); and the dashboard — a web UI over a
 * JSON REST API of the workspace (`createDashboardHandler`), mounted the same way.
 *
 * @example
 * ```ts
 * import { createHttpHandler, serveHttp } from "mlcycle/http";
 * const deployment = await ws.serving.deploy("iris@champion");
 * const server = await serveHttp(createHttpHandler(deployment, { auth: { token } }), { port: 5000 });
 * ```
 *
 * @packageDocumentation
 */
export type { HttpAuth } from "./auth.js";
export { createDashboardHandler, type DashboardOptions } from "./dashboard/dashboard-handler.js";
export type { HttpErrorBody, HttpErrorCode } from "./http-errors.js";
export {
  createHttpHandler,
  type FeedbackRequest,
  type FetchHandler,
  type HttpHandlerOptions,
  type HttpMetricsRoute,
  UNIT_HEADER,
} from "./http-handler.js";
export { toNodeHandler, type NodeRequestListener } from "./node-handler.js";
export { packageVersion } from "./package-version.js";
export { DEFAULT_MAX_BODY_BYTES } from "./read-body.js";
export { type Closable, type HttpServer, type ServeHttpOptions, serveHttp } from "./serve-http.js";

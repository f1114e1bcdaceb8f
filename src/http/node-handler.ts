import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { FetchHandler } from "./http-handler.js";

/** A `node:http` request listener, as Express middleware and `http.createServer` take. */
export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Adapts a fetch-standard handler to a `node:http` request listener (through `@hono/node-server`),
 * for `http.createServer(toNodeHandler(handler))`, `app.use("/model", toNodeHandler(handler))` in
 * Express, or a hijacked Fastify reply. The handler sees the path relative to where it is mounted
 * (Express strips the mount path from `req.url`). Node's global `Request` and `Response` are left
 * as they are.
 */
export function toNodeHandler(handler: FetchHandler): NodeRequestListener {
  const listener = getRequestListener((request) => handler(request), { overrideGlobalObjects: false });
  return (request, response) => listener(request, response);
}

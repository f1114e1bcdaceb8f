import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { FetchHandler } from "./http-handler.js";

/** A `node:http` request listener, as Express middleware and `http.createServer` take. */
export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Adapts a fetch-standard handler to a `node:http` request listener (through `@hono/node-server`),
 * for `http.createServer(toNodeHandler(handler))`, `app.use("/model", toNodeHandler(handler))` in
 * Express, or a hijacked Fastify reply. The handler sees the path relative to where it is mounted
 * (Express strips the mount path from `req.url`). Node's global `Request` and `Response` are left
 * as they are.
 *
 * A response with a body of known size (JSON, CSV, text) is read whole and written with its length
 * in one go; a streamed one (`text/event-stream`, or no length and chunked) is piped as it comes.
 */
export function toNodeHandler(handler: FetchHandler): NodeRequestListener {
  const listener = getRequestListener(
    async (request, env) => {
      const response = await handler(request);
      if (isStreamed(response)) return response;
      await writeWhole(response, (env as HttpBindings).outgoing);
      return RESPONSE_ALREADY_SENT;
    },
    { overrideGlobalObjects: false },
  );
  return (request, response) => listener(request, response);
}

function isStreamed(response: Response): boolean {
  const type = response.headers.get("content-type") ?? "";
  return type.startsWith("text/event-stream") || response.headers.get("transfer-encoding") === "chunked";
}

/**
 * Writes a response read whole. Reading it with `arrayBuffer()` takes the body in one step: a
 * standard `Response` read through its stream chunk by chunk can wait a timer turn for the end of
 * the stream, which costs every small response a millisecond or more under load.
 */
async function writeWhole(response: Response, outgoing: ServerResponse): Promise<void> {
  const body = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  if (body !== undefined) headers["content-length"] = String(body.byteLength);
  outgoing.writeHead(response.status, headers);
  outgoing.end(body);
}

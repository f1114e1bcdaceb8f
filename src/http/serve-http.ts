import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { fromZodError, invalid, MlcycleError } from "../index.js";
import { errorBody } from "./http-errors.js";
import type { FetchHandler } from "./http-handler.js";
import { toNodeHandler } from "./node-handler.js";

/** Something closed after the server has drained (a deployment, a workspace). */
export interface Closable {
  close(): unknown;
}

/** Options of {@link serveHttp}. */
export interface ServeHttpOptions {
  /** Port to listen on (default 5000, as `mlflow models serve`); 0 picks a free one, reported in the result. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`: this machine only; `0.0.0.0` for every interface). */
  host?: string;
  /**
   * Refuse (413) a request whose declared `Content-Length` is over this many bytes before the handler
   * sees it (default: no limit here — the handler of `createHttpHandler` applies its own while reading).
   */
  maxBodyBytes?: number;
  /**
   * On SIGTERM or SIGINT, close gracefully (default false): stop accepting, let requests in flight
   * finish, close `closeAfterDrain`. The listeners are removed at the first signal, so a second
   * Ctrl-C ends the process at once.
   */
  signals?: boolean;
  /** Longest wait for requests in flight when closing, in ms (default 10,000); then connections are cut. */
  drainTimeoutMs?: number;
  /** Closed in order once the server has drained (e.g. `[deployment, ws]`). */
  closeAfterDrain?: Closable[];
}

/** A running server of {@link serveHttp}. */
export interface HttpServer extends AsyncDisposable {
  /** `http://host:port`. */
  readonly url: string;
  /** The port listened on (the one picked when 0 was asked). */
  readonly port: number;
  readonly host: string;
  /** The underlying `node:http` server. */
  readonly server: Server;
  /** Requests being answered now. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets requests in flight finish (at most `drainTimeoutMs`), then
   * closes `closeAfterDrain`. Safe to call twice; resolves when all is done.
   */
  close(): Promise<void>;
}

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  signals: z.boolean().optional(),
  drainTimeoutMs: z.number().int().min(0).optional(),
  closeAfterDrain: z
    .array(z.custom<Closable>((v) => typeof (v as Closable | null)?.close === "function", "must have close()"))
    .optional(),
});

function sendTooLarge(response: ServerResponse, limit: number) {
  const body = errorBody("PAYLOAD_TOO_LARGE", `the request body is larger than the limit of ${limit} bytes`);
  response.writeHead(413, { "content-type": "application/json", connection: "close" });
  response.end(body);
}

/**
 * Serves a fetch-standard handler on `node:http` (requests adapted by `@hono/node-server`). Resolves
 * once listening, with the URL and port (port 0 → a free port). `close()` — or SIGTERM/SIGINT with
 * `signals: true` — shuts down gracefully: no new connections, requests in flight finish (bounded by
 * `drainTimeoutMs`), idle keep-alive connections are closed, then `closeAfterDrain` is closed in order.
 *
 * @example
 * ```ts
 * const server = await serveHttp(handler, { port: 0, closeAfterDrain: [deployment] });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 * ```
 */
export async function serveHttp(handler: FetchHandler, options: ServeHttpOptions = {}): Promise<HttpServer> {
  if (typeof handler !== "function") throw invalid(["handler"], "must be a function (Request) => Promise<Response>");
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw fromZodError(parsed.error, "serveHttp options");
  const host = options.host ?? "127.0.0.1";
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const listener = toNodeHandler(handler);
  const open = new Set<ServerResponse>();
  let closing = false;
  let drained: (() => void) | undefined;

  const server = createServer((request, response) => {
    const declared = Number(request.headers["content-length"]);
    if (options.maxBodyBytes !== undefined && declared > options.maxBodyBytes) {
      sendTooLarge(response, options.maxBodyBytes);
      return;
    }
    open.add(response);
    // While draining, each answer closes its connection so that clients reconnect elsewhere.
    if (closing) response.setHeader("connection", "close");
    response.on("close", () => {
      open.delete(response);
      if (closing) {
        server.closeIdleConnections();
        if (open.size === 0) drained?.();
      }
    });
    void listener(request, response);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(
        new MlcycleError(
          "UNAVAILABLE",
          `cannot listen on ${host}:${options.port ?? 5000}: ${error.code ?? error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options.port ?? 5000, host);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" || host.includes(":") ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  const onSignal = () => {
    removeSignals();
    void result.close();
  };
  const removeSignals = () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
  if (options.signals) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }

  const result: HttpServer = {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    host,
    server,
    get inFlight() {
      return open.size;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        removeSignals();
        for (const response of open) if (!response.headersSent) response.setHeader("connection", "close");
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (open.size > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => (drained = resolve)),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await stopped;
        let failure: unknown;
        for (const c of options.closeAfterDrain ?? []) {
          try {
            await c.close();
          } catch (error) {
            failure ??= error;
          }
        }
        if (failure !== undefined) throw failure;
      })();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return result;
}

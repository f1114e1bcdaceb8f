import { type Context, Hono } from "hono";
import { z } from "zod";
import { type Deployment, fromZodError, invalid, isMlcycleError } from "../index.js";
import { type Authenticator, authenticator, type HttpAuth } from "./auth.js";
import { parseCsv } from "./csv.js";
import { errorResponse, HttpError, toErrorResponse } from "./http-errors.js";
import { type InputShape, inputShape } from "./input-shape.js";
import { packageVersion } from "./package-version.js";
import { DEFAULT_MAX_BODY_BYTES, readBodyText } from "./read-body.js";
import { readCsvRequest, readJsonRequest, type ScoringRequest } from "./scoring-input.js";

/** The request header naming the unit (user, session…) an online experiment assigns the call by. */
export const UNIT_HEADER = "x-unit-id";

/**
 * A fetch-standard request handler (`Request` → `Response`), as `createHttpHandler` returns and as
 * `hono`'s `app.fetch`, Bun and Deno take and give.
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /**
   * Required: `{ token }` (bearer token, compared in constant time), `{ verify }` (your own async
   * check), or `false` to serve without authentication. `GET /ping` and `GET /health` are always open
   * (load balancers and Kubernetes probes cannot send tokens); every other route needs it.
   */
  auth: HttpAuth | false;
  /** Largest request body in bytes (default 10 MiB); a larger one is refused with 413 while it streams. */
  maxBodyBytes?: number;
  /** A path prefix the routes are served under (e.g. `/models/churn`; default none). */
  basePath?: string;
  /**
   * Told about every error answered with a 5xx status (the response itself says only
   * `internal error`); default: `console.error`.
   */
  onError?: (error: unknown, request: Request) => void;
  /**
   * Serves `GET /metrics` (and `HEAD`) from a handler of monitor figures in the Prometheus text
   * format — `ws.monitors.metricsHandler()` (every monitor's latest stored window, whichever process
   * closed it) or a `prometheusExporter()`'s `fetch` (the windows this process closed). The route
   * needs the handler's authentication, as every route but the probes does: a Prometheus scrape sends
   * a bearer token (`authorization: { credentials_file: … }` in its scrape config). Give
   * `{ handler, auth }` for an authentication of its own: another token for the scraper, or `false`
   * to leave the route open. Default: no `/metrics` route.
   */
  metrics?: FetchHandler | HttpMetricsRoute;
}

/** The `/metrics` route with an authentication of its own ({@link HttpHandlerOptions.metrics}). */
export interface HttpMetricsRoute {
  /** Answers the scrape: `ws.monitors.metricsHandler()` or `prometheusExporter().fetch`. */
  handler: FetchHandler;
  /** `{ token }`, `{ verify }`, or `false` for an open route; default: the handler's `auth`. */
  auth?: HttpAuth | false;
}

/** The body of `POST /feedback`. */
export interface FeedbackRequest {
  predictionId: string;
  label?: unknown;
  outcome?: number;
}

const feedbackSchema = z
  .object({
    predictionId: z.string().min(1),
    label: z.unknown().optional(),
    outcome: z.number().finite().optional(),
  })
  .refine((f) => f.label !== undefined || f.outcome !== undefined, {
    message: "give a label, an outcome, or both",
    path: ["label"],
  });

const optionsSchema = z.object({
  maxBodyBytes: z.number().int().positive().optional(),
  basePath: z
    .string()
    .regex(/^\/[^?#]*$/, "must start with / and hold no query or fragment")
    .optional(),
  onError: z
    .custom<(error: unknown, request: Request) => void>((v) => typeof v === "function", "must be a function")
    .optional(),
  metrics: z
    .custom<FetchHandler | HttpMetricsRoute>(
      (v) =>
        typeof v === "function" ||
        (typeof v === "object" && v !== null && typeof (v as { handler?: unknown }).handler === "function"),
      "must be a handler (Request) => Response, such as ws.monitors.metricsHandler(), or { handler, auth? }",
    )
    .optional(),
});

/** The check of the `/metrics` route's own `auth`, its mistakes reported under `metrics.auth`. */
function metricsAuthenticator(auth: unknown): Authenticator | undefined {
  try {
    return authenticator(auth);
  } catch (error) {
    const issue = isMlcycleError(error, "VALIDATION") ? error.issues[0] : undefined;
    if (issue) throw invalid(["metrics", ...issue.path], issue.message);
    throw error;
  }
}

/** A `Content-Type` taken apart: the media type, lowercased, and its parameters. */
function contentType(request: Request): { mime: string; params: Record<string, string> } {
  const header = request.headers.get("content-type") ?? "";
  const [mime, ...rest] = header.split(";").map((p) => p.trim());
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq > 0)
      params[p.slice(0, eq).trim().toLowerCase()] = p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, "");
  }
  return { mime: (mime ?? "").toLowerCase(), params };
}

/** Refuses (415) a content type outside `accepted`, a charset other than UTF-8, or another parameter. */
function checkContentType(request: Request, accepted: readonly string[]): string {
  const { mime, params } = contentType(request);
  const what = mime ? `'${mime}'` : "no Content-Type";
  if (!accepted.includes(mime))
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `this route takes ${accepted.join(" or ")}; got ${what}`);
  const charset = params.charset?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `only UTF-8 is supported; got charset ${params.charset}`);
  const extra = Object.keys(params).filter((k) => k !== "charset");
  if (extra.length > 0)
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `unrecognised Content-Type parameters: ${extra.join(", ")}`);
  return mime;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = `the body is not valid JSON: ${(error as Error).message}`;
    throw new HttpError(400, "VALIDATION", message, [{ code: "invalid_json", path: [], message }]);
  }
}

/**
 * JSON with what JSON cannot hold made plain: typed arrays → arrays, bigints → numbers, Maps → objects,
 * Sets → arrays (NaN and ±Infinity become null, as `JSON.stringify` writes them).
 */
export function predictionsJson(value: unknown): string {
  return JSON.stringify({ predictions: value === undefined ? null : value }, (_key, v) => {
    if (typeof v === "bigint") return Number(v);
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>);
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    return v;
  });
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/**
 * An HTTP handler for a deployment, fetch-standard (`(Request) => Promise<Response>`), so that it
 * mounts in `node:http` (see `serveHttp` and `toNodeHandler`), Express, Fastify, Hono, Bun, Deno or a
 * serverless runtime. It speaks MLflow's scoring protocol:
 *
 * | route | what |
 * | --- | --- |
 * | `POST /invocations` | `{"dataframe_split": …}`, `{"dataframe_records": …}`, `{"instances": …}`, `{"inputs": …}` (optional `"params"`), or `text/csv` → `{"predictions": …}`; the prediction id in `x-prediction-id` |
 * | `POST /feedback` | `{"predictionId", "label"?, "outcome"?}`: a delayed label or outcome |
 * | `GET /metadata` | model, version, flavor and signature (JSON Schema) serving now |
 * | `GET /version` | the mlcycle version |
 * | `GET /ping`, `GET /health` | 200 when the deployment takes traffic, 503 otherwise (open: no token needed) |
 * | `GET /metrics` | with the `metrics` option: monitor figures in the Prometheus text format |
 *
 * Errors are JSON `{ error: { code, message, issues? } }`: 400 for bad JSON or inputs that break the
 * signature (with zod's issues), 401 without a valid token, 404 for an unknown route or prediction id,
 * 405 for a wrong method, 413 for a body over `maxBodyBytes`, 415 for another content type, 500
 * without detail for anything unexpected. A request that fails is not logged as a prediction.
 *
 * Authentication is on unless `auth: false` is given; creating a handler without `auth` is a
 * `VALIDATION` error.
 *
 * @example
 * ```ts
 * const deployment = await ws.serving.deploy("iris@champion");
 * const handler = createHttpHandler(deployment, { auth: { token: process.env.MLCYCLE_TOKEN! } });
 * const server = await serveHttp(handler, { port: 5000 });
 * ```
 */
export function createHttpHandler(
  deployment: Deployment,
  options: HttpHandlerOptions,
): (request: Request) => Promise<Response> {
  if (!deployment || typeof deployment.predict !== "function" || typeof deployment.describe !== "function")
    throw invalid(["deployment"], "must be a deployment (ws.serving.deploy(...))");
  if (!options || typeof options !== "object")
    throw invalid(
      ["options"],
      "are required, with auth: createHttpHandler(deployment, { auth: { token } }) or { auth: false } to serve without authentication",
    );
  const checked = optionsSchema.safeParse(options);
  if (!checked.success) throw fromZodError(checked.error, "HTTP handler options");
  const authenticate = authenticator(options.auth);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const report = options.onError ?? ((error: unknown) => console.error("mlcycle http: unexpected error", error));
  const path = (route: string) => `${base}${route}`;

  let shapeOf: { versionId: string; shape: InputShape } | undefined;
  const currentShape = (): InputShape => {
    const d = deployment.describe();
    if (shapeOf?.versionId !== d.versionId)
      shapeOf = { versionId: d.versionId, shape: inputShape(d.signature?.inputs) };
    return shapeOf.shape;
  };

  const app = new Hono();
  app.onError((error, c) => toErrorResponse(error, (e) => report(e, c.req.raw)));
  app.notFound((c) => errorResponse(404, "NOT_FOUND", `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  const only = (route: string, allowed: string) =>
    app.all(path(route), () =>
      errorResponse(405, "METHOD_NOT_ALLOWED", `${route} takes ${allowed}`, [], {
        allow: allowed === "GET" ? "GET, HEAD" : allowed,
      }),
    );

  // Open routes: probes cannot send tokens.
  const probe = () => {
    const h = deployment.health();
    return json({ status: h.ready ? "ok" : "unavailable", ready: h.ready, state: h.state }, h.ready ? 200 : 503);
  };
  app.get(path("/ping"), probe);
  only("/ping", "GET");
  app.get(path("/health"), probe);
  only("/health", "GET");

  if (options.metrics) {
    const route = typeof options.metrics === "function" ? { handler: options.metrics } : options.metrics;
    // Its own check when it has one (an open route included), the handler's otherwise; before the
    // handler's middleware, so that an open route needs no token.
    const check = route.auth === undefined ? authenticate : metricsAuthenticator(route.auth);
    const scrape = route.handler;
    app.on(["GET", "HEAD"], path("/metrics"), async (c) => {
      if (check) await check(c.req.raw);
      return scrape(c.req.raw);
    });
    app.all(path("/metrics"), async (c) => {
      if (check) await check(c.req.raw);
      return errorResponse(405, "METHOD_NOT_ALLOWED", "/metrics takes GET", [], { allow: "GET, HEAD" });
    });
  }

  if (authenticate)
    app.use("*", async (c, next) => {
      await authenticate(c.req.raw);
      await next();
    });

  app.get(path("/version"), () => json({ version: packageVersion() }));
  only("/version", "GET");
  app.get(path("/metadata"), () => json(deployment.describe()));
  only("/metadata", "GET");

  app.post(path("/invocations"), async (c: Context) => {
    const request = c.req.raw;
    const mime = checkContentType(request, ["application/json", "text/csv"]);
    const text = await readBodyText(request, limit);
    const shape = currentShape();
    const scoring: ScoringRequest =
      mime === "text/csv" ? readCsvRequest(parseCsv(text), shape) : readJsonRequest(parseJson(text), shape);
    const unit = request.headers.get(UNIT_HEADER) ?? undefined;
    if (unit !== undefined && (unit.length === 0 || unit.length > 500))
      throw invalid(
        [UNIT_HEADER],
        "must be a unit id of 1 to 500 characters (the user, session or customer the call is for)",
      );
    const call = {
      signal: request.signal,
      ...(scoring.params ? { params: scoring.params } : {}),
      ...(unit !== undefined ? { unit } : {}),
    };
    const prediction =
      scoring.kind === "predict"
        ? await deployment.predict(scoring.inputs, call)
        : await deployment.predictEntities(scoring.entities, {
            ...call,
            ...(scoring.values ? { values: scoring.values } : {}),
          });
    return new Response(predictionsJson(prediction.outputs), {
      status: 200,
      headers: {
        "content-type": "application/json",
        "x-prediction-id": prediction.predictionId,
        "x-model": prediction.model,
        "x-model-version": String(prediction.version),
        ...(prediction.variant !== undefined ? { "x-variant": prediction.variant } : {}),
        ...(prediction.experiment !== undefined ? { "x-experiment": prediction.experiment } : {}),
      },
    });
  });
  only("/invocations", "POST");

  app.post(path("/feedback"), async (c: Context) => {
    const request = c.req.raw;
    checkContentType(request, ["application/json"]);
    const parsed = feedbackSchema.safeParse(parseJson(await readBodyText(request, limit)));
    if (!parsed.success) throw fromZodError(parsed.error, "feedback");
    const { predictionId, label, outcome } = parsed.data;
    await deployment.feedback(predictionId, {
      ...(label !== undefined ? { label } : {}),
      ...(outcome !== undefined ? { outcome } : {}),
    });
    return json({ predictionId, recorded: true });
  });
  only("/feedback", "POST");

  return async (request: Request) => app.fetch(request);
}

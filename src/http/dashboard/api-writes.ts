import type { Context, Hono } from "hono";
import { z } from "zod";
import { fromZodError } from "../../index.js";
import { HttpError } from "../http-errors.js";
import { DEFAULT_MAX_BODY_BYTES, readBodyText } from "../read-body.js";
import { type ApiContext, json } from "./api-context.js";

/** What the write routes need beyond the workspace. */
export interface WriteContext extends ApiContext {
  /** Who made a request, for the audit trail. */
  actor: (request: Request) => string | Promise<string>;
  /** Origins besides the handler's own that may write (e.g. the host's public origin behind a proxy). */
  origins: readonly string[];
}

/**
 * Refuses (403) a write that does not come from a page of the same origin: the browser sends
 * `Origin` on every POST, so a form or script on another site cannot move an alias with the
 * user's credentials. Also refuses bodies that are not JSON (415), which no plain HTML form can send.
 */
function checkSameOrigin(request: Request, origins: readonly string[]): void {
  const own = new URL(request.url).origin;
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  const allowed = origin !== null ? origin === own || origins.includes(origin) : site === "same-origin";
  if (!allowed)
    throw new HttpError(
      403,
      "FORBIDDEN",
      `writes are accepted from the dashboard's own origin only (${own}); got ${origin ?? "no Origin header"}`,
    );
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json")
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `writes take application/json; got ${type || "none"}`);
}

async function body<T>(c: Context, schema: z.ZodType<T>, what: string): Promise<T> {
  const text = await readBodyText(c.req.raw, DEFAULT_MAX_BODY_BYTES);
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, "VALIDATION", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZodError(parsed.error, what);
  return parsed.data;
}

const promoteSchema = z.object({
  version: z.number().int().positive(),
  reason: z.string().max(2000).optional(),
});
const rollbackSchema = z.object({ reason: z.string().max(2000).optional() });

/**
 * The write routes, added only when the handler is created with `writes: true`:
 * `POST /api/models/:name/aliases/:alias` (`{ version, reason? }`: promote, with the alias's policies
 * and gates checked), `POST /api/models/:name/aliases/:alias/rollback` (`{ reason? }`), and
 * `POST /api/pipelines/runs/:id/resume`. Alias moves go to the registry's audit trail with the
 * request's actor; a resume answers with the actor that asked for it (pipeline runs keep no audit
 * trail of their own).
 */
export function writeRoutes(app: Hono, { ws, actor, origins }: WriteContext): void {
  app.use("/api/*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") checkSameOrigin(c.req.raw, origins);
    await next();
  });

  app.post("/api/models/:name/aliases/:alias/rollback", async (c) => {
    const { reason } = await body(c, rollbackSchema, "rollback");
    const move = await ws.registry.rollback(c.req.param("name"), c.req.param("alias"), {
      actor: await actor(c.req.raw),
      reason: reason ?? "rolled back from the dashboard",
    });
    return json(move);
  });

  app.post("/api/models/:name/aliases/:alias", async (c) => {
    const { version, reason } = await body(c, promoteSchema, "promotion");
    const move = await ws.registry.promote(c.req.param("name"), c.req.param("alias"), version, {
      actor: await actor(c.req.raw),
      reason: reason ?? "promoted from the dashboard",
    });
    return json(move);
  });

  app.post("/api/pipelines/runs/:id/resume", async (c) => {
    const who = await actor(c.req.raw);
    const result = await ws.pipelines.resume(c.req.param("id"));
    return json({ runId: result.id, status: result.status, durationMs: result.durationMs, resumedBy: who });
  });
}

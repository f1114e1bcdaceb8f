import { createHash, timingSafeEqual } from "node:crypto";
import { invalid } from "../index.js";
import { HttpError } from "./http-errors.js";

/**
 * How requests are authenticated: a bearer token (`Authorization: Bearer <token>`, compared in
 * constant time), or your own check (a JWT, an API-key table, mTLS headers set by a proxy…), which
 * returns true to let the request in.
 */
export type HttpAuth = { token: string } | { verify: (request: Request) => boolean | Promise<boolean> };

/** A check that throws a 401 {@link HttpError} for a request that may not pass. */
export type Authenticator = (request: Request) => Promise<void>;

const HOW =
  "pass auth: { token } (for example { token: process.env.MLCYCLE_TOKEN }), auth: { verify: async (request) => boolean }, " +
  "or auth: false to serve without authentication";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

function unauthenticated(message: string, error?: string): HttpError {
  const challenge = error ? `Bearer realm="mlcycle", error="${error}"` : 'Bearer realm="mlcycle"';
  return new HttpError(401, "UNAUTHENTICATED", message, [], { "www-authenticate": challenge });
}

/** The bearer token of a request, or undefined when it sends none. */
function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(.+?)[ \t]*$/i.exec(header);
  return m ? m[1] : "";
}

/**
 * Builds the check of `auth`; `VALIDATION` when it is missing or malformed (turning authentication
 * off must be said: `auth: false`). Undefined when authentication is off.
 */
export function authenticator(auth: unknown): Authenticator | undefined {
  if (auth === false) return undefined;
  if (auth === undefined || auth === null) throw invalid(["auth"], `is required: ${HOW}`);
  if (typeof auth !== "object") throw invalid(["auth"], `must be an object or false: ${HOW}`);
  const a = auth as { token?: unknown; verify?: unknown };
  if ("token" in a && "verify" in a) throw invalid(["auth"], "takes token or verify, not both");
  if ("token" in a) {
    if (typeof a.token !== "string" || a.token.length === 0)
      throw invalid(
        ["auth", "token"],
        `must be a non-empty string (got ${a.token === "" ? "an empty string" : typeof a.token}): ${HOW}`,
      );
    const expected = digest(a.token);
    return async (request) => {
      const given = bearerToken(request);
      if (given === undefined) throw unauthenticated("missing bearer token: send Authorization: Bearer <token>");
      // Hashing both sides gives equal lengths, so the comparison takes the same time whatever was sent.
      if (!timingSafeEqual(digest(given), expected)) throw unauthenticated("invalid bearer token", "invalid_token");
    };
  }
  if ("verify" in a) {
    if (typeof a.verify !== "function") throw invalid(["auth", "verify"], "must be a function (request) => boolean");
    const verify = a.verify as (request: Request) => boolean | Promise<boolean>;
    return async (request) => {
      if ((await verify(request)) !== true) throw unauthenticated("the request is not authenticated");
    };
  }
  throw invalid(["auth"], `has neither token nor verify: ${HOW}`);
}

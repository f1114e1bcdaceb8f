import { isMlcycleError, type MlcycleErrorCode, type MlcycleIssue } from "../index.js";

/**
 * The `code` of an HTTP error body: an {@link MlcycleErrorCode} when the error came from mlcycle, or
 * one of the HTTP-level codes (`UNAUTHENTICATED` 401, `FORBIDDEN` 403, `METHOD_NOT_ALLOWED` 405,
 * `PAYLOAD_TOO_LARGE` 413, `UNSUPPORTED_MEDIA_TYPE` 415).
 */
export type HttpErrorCode =
  | MlcycleErrorCode
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE";

/** The JSON body of every error response: `{ error: { code, message, issues? } }`. */
export interface HttpErrorBody {
  error: {
    code: HttpErrorCode;
    message: string;
    /** What was wrong and where (validation errors: zod's issues). */
    issues?: MlcycleIssue[];
  };
}

/** An error the handler answers with a given status (thrown inside the routes). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly issues: MlcycleIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The HTTP status an {@link MlcycleErrorCode} is answered with. */
const STATUS: Record<MlcycleErrorCode, number> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION: 412,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  CANCELLED: 503,
  INTEGRITY: 500,
  INTERNAL: 500,
};

/** Codes whose message may be shown to the caller; the others are answered with a generic message. */
const SHOWN = new Set<MlcycleErrorCode>([
  "VALIDATION",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION",
  "UNAVAILABLE",
  "TIMEOUT",
  "CANCELLED",
]);

/** The JSON text of an error body. */
export function errorBody(code: HttpErrorCode, message: string, issues: MlcycleIssue[] = []): string {
  const body: HttpErrorBody = { error: { code, message, ...(issues.length > 0 ? { issues } : {}) } };
  return JSON.stringify(body);
}

/** A JSON error response. */
export function errorResponse(
  status: number,
  code: HttpErrorCode,
  message: string,
  issues: MlcycleIssue[] = [],
  headers: Record<string, string> = {},
): Response {
  return new Response(errorBody(code, message, issues), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * Turns anything thrown by a route into a response: {@link HttpError} as it says; an mlcycle error by
 * its code (`VALIDATION` → 400 with its issues, `NOT_FOUND` → 404, `UNAVAILABLE` → 503, …); anything
 * else → 500 with a generic message (no stack trace, no internal detail). `unexpected` is told about
 * 5xx errors so that the host can log them.
 */
export function toErrorResponse(error: unknown, unexpected: (error: unknown) => void): Response {
  if (error instanceof HttpError)
    return errorResponse(error.status, error.code, error.message, error.issues, error.headers);
  if (isMlcycleError(error)) {
    const status = STATUS[error.code] ?? 500;
    // A call aborted because its client went away is nobody's fault: not reported.
    if (status >= 500 && error.code !== "CANCELLED") unexpected(error);
    if (!SHOWN.has(error.code)) return errorResponse(status, error.code, "internal error");
    return errorResponse(status, error.code, oneLine(error.message), error.issues);
  }
  unexpected(error);
  return errorResponse(500, "INTERNAL", "internal error");
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

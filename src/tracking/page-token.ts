import { invalid } from "../core/errors.js";
import { hashValue } from "../core/hash.js";

/**
 * Opaque page tokens (run search, metric history pages): the offset of the next page plus a
 * fingerprint of the query, so a token given to a different query is refused instead of silently
 * skipping rows.
 */
export function encodePageToken(offset: number, query: unknown): string {
  return Buffer.from(JSON.stringify({ o: offset, q: hashValue(query).slice(0, 16) })).toString("base64url");
}

/**
 * Decodes a token from {@link encodePageToken}; `VALIDATION` when malformed or from another query.
 * `source` names the call that hands out the tokens and `mismatch` what a token from another query
 * belongs to, for the error messages.
 */
export function decodePageToken(
  token: string | undefined,
  query: unknown,
  source = "searchRuns",
  mismatch = "a different search (experiments, filter or order changed)",
): number {
  if (token === undefined || token === "") return 0;
  let parsed: { o?: unknown; q?: unknown };
  try {
    if (typeof token !== "string" || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error("not base64url");
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid(["pageToken"], `is not a token returned by ${source}`);
  }
  if (typeof parsed.o !== "number" || !Number.isSafeInteger(parsed.o) || parsed.o < 0 || typeof parsed.q !== "string")
    throw invalid(["pageToken"], `is not a token returned by ${source}`);
  if (parsed.q !== hashValue(query).slice(0, 16)) throw invalid(["pageToken"], `belongs to ${mismatch}`);
  return parsed.o;
}

import { HttpError } from "./http-errors.js";

/** The default largest request body: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

function tooLarge(limit: number): HttpError {
  return new HttpError(413, "PAYLOAD_TOO_LARGE", `the request body is larger than the limit of ${limit} bytes`);
}

/**
 * Reads a request body as UTF-8 text, refusing it (413) as soon as more than `limit` bytes have
 * arrived — a declared `Content-Length` over the limit is refused before anything is read, and a
 * chunked body is cut off while it streams, so an oversized body is never held in memory.
 */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    if (length > limit) throw tooLarge(limit);
    // A body cannot be longer than its declared length (the HTTP parser stops there), so it is read
    // whole: on node, @hono/node-server reads it straight from the socket without a web stream.
    if (Number.isSafeInteger(length) && length >= 0) return decode(new Uint8Array(await request.arrayBuffer()));
  }
  const body = request.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return decode(chunks.length === 1 ? chunks[0] : concat(chunks, size));
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "VALIDATION", "the request body is not valid UTF-8", [
      { code: "invalid_encoding", path: [], message: "the request body is not valid UTF-8" },
    ]);
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

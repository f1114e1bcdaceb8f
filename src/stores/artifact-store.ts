import { invalid } from "../core/errors.js";

/** What the store knows about one stored blob. */
export interface ArtifactInfo {
  /** Hex sha256 of the bytes: the blob's key. */
  digest: string;
  /** Size in bytes. */
  size: number;
}

/** Bytes to store: a buffer, or a stream of chunks (read once, never held whole when the store streams). */
export type ArtifactBody = Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Content-addressed blob storage: a blob's key is the sha256 of its bytes, so the same bytes are
 * stored once, writes are idempotent and a read can prove it returns what was written.
 *
 * Required: `put`, `get`, `has`, `delete`, `list`. Built-ins: {@link memoryArtifactStore},
 * {@link localArtifactStore}, and `s3ArtifactStore` from `mlcycle/s3` on S3-compatible object
 * stores. Third parties check theirs with `artifactStoreSuite` from `mlcycle/testing`.
 *
 * @example
 * ```ts
 * const { digest } = await store.put(new TextEncoder().encode("hello"));
 * const bytes = await store.get(digest); // verified against the digest
 * ```
 */
export interface ArtifactStore {
  /** Stores bytes; returns their digest and size. Writing bytes already stored is a no-op. */
  put(body: ArtifactBody): Promise<ArtifactInfo>;
  /** Reads a blob whole; `NOT_FOUND` when absent, `INTEGRITY` when the bytes no longer match the digest. */
  get(digest: string): Promise<Uint8Array>;
  /** Streams a blob in chunks; the digest is checked at the end (`INTEGRITY` error on mismatch). */
  stream?(digest: string): AsyncIterable<Uint8Array>;
  /** True when the blob is stored. */
  has(digest: string): Promise<boolean>;
  /** Size of a stored blob, or undefined. */
  stat?(digest: string): Promise<ArtifactInfo | undefined>;
  /** Removes a blob; removing an absent blob is not an error. */
  delete(digest: string): Promise<void>;
  /** Every stored blob (order unspecified). */
  list(): AsyncIterable<ArtifactInfo>;
  /** Releases connections or handles. */
  close?(): Promise<void>;
}

const DIGEST_RE = /^[0-9a-f]{64}$/;

/** Throws `VALIDATION` unless `digest` is 64 lowercase hex characters (so it can never name a path). */
export function checkDigest(digest: unknown): string {
  if (typeof digest !== "string" || !DIGEST_RE.test(digest))
    throw invalid(["digest"], `must be 64 lowercase hex characters (a sha256), got '${String(digest).slice(0, 80)}'`);
  return digest;
}

/**
 * Normalises an {@link ArtifactBody} to an async iterable of byte chunks. Anything else — a number,
 * `null`, a plain object, a chunk that is not bytes (or, from an async iterable, text) — is
 * `VALIDATION` before the chunk is handed on, so a store writes nothing of a bad body.
 */
export async function* bodyChunks(body: ArtifactBody): AsyncIterable<Uint8Array> {
  if (typeof body === "string") {
    yield new TextEncoder().encode(body);
    return;
  }
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  const described = describeBody(body);
  if (typeof body !== "object" || body === null)
    throw invalid(["body"], `must be bytes, a string or an iterable of byte chunks, got ${described}`);
  let index = 0;
  if (Symbol.asyncIterator in body) {
    for await (const c of body as AsyncIterable<unknown>) {
      if (typeof c === "string") yield new TextEncoder().encode(c);
      else if (c instanceof Uint8Array) yield c;
      else throw invalid(["body", index], `chunk ${index} must be bytes or text, got ${describeBody(c)}`);
      index++;
    }
    return;
  }
  if (typeof (body as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function")
    throw invalid(["body"], `must be bytes, a string or an iterable of byte chunks, got ${described}`);
  for (const c of body as Iterable<unknown>) {
    if (!(c instanceof Uint8Array))
      throw invalid(["body", index], `chunk ${index} must be bytes, got ${describeBody(c)}`);
    yield c;
    index++;
  }
}

function describeBody(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}

/** Reads a whole {@link ArtifactBody} into one buffer. */
export async function bodyBytes(body: ArtifactBody): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof body === "string") return new TextEncoder().encode(body);
  const chunks: Uint8Array[] = [];
  for await (const c of bodyChunks(body)) chunks.push(c);
  return Buffer.concat(chunks);
}

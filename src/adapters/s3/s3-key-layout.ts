import { randomBytes } from "node:crypto";
import { invalid } from "../../core/errors.js";
import { checkDigest } from "../../stores/artifact-store.js";

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const DIGEST = /^[0-9a-f]{64}$/;
/** Room left for `sha256/<digest>` under S3's 1,024-byte key limit. */
const MAX_PREFIX = 512;

/**
 * Where the store's objects live in the bucket, all under one prefix:
 *
 * - `<prefix>sha256/<digest>` — a committed blob, named by the sha256 of its bytes;
 * - `<prefix>uploads/<time>-<random>` — a streamed upload in progress, copied to its digest key
 *   once complete and then removed.
 *
 * Every key is built from the checked prefix, a fixed word and either a checked digest or random
 * hex, so no input can name a key outside the prefix.
 */
export interface S3KeyLayout {
  /** The prefix, `""` or ending in `/`. */
  readonly prefix: string;
  /** The prefix every committed blob's key starts with. */
  readonly blobs: string;
  /** The prefix of uploads in progress. */
  readonly uploads: string;
  /** The key of a blob; `VALIDATION` unless `digest` is 64 lowercase hex characters. */
  blobKey(digest: string): string;
  /** The digest a listed key names, or undefined for a key that is not a blob's. */
  digestOf(key: string): string | undefined;
  /** A fresh key for an upload in progress. */
  uploadKey(): string;
}

/**
 * Checks a key prefix and returns the layout under it. A prefix is `/`-separated segments of
 * letters, digits, `.`, `_` and `-`, none empty, `.` or `..` (some S3-compatible servers map keys
 * to paths), at most 512 characters; a trailing `/` is added when missing. `""` (the default) is
 * the bucket's root.
 */
export function s3KeyLayout(prefix: unknown = ""): S3KeyLayout {
  if (typeof prefix !== "string") throw invalid(["prefix"], `must be a string, got ${typeof prefix}`);
  if (prefix.length > MAX_PREFIX)
    throw invalid(["prefix"], `must be at most ${MAX_PREFIX} characters, got ${prefix.length}`, "too_big");
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (trimmed !== "") {
    for (const segment of trimmed.split("/")) {
      if (segment === "" || !SEGMENT.test(segment))
        throw invalid(
          ["prefix"],
          `'${prefix}' is not a key prefix: use '/'-separated segments of letters, digits, '.', '_' and '-' (no empty, '.' or '..' segment, no leading '/')`,
        );
    }
  }
  const root = trimmed === "" ? "" : `${trimmed}/`;
  const blobs = `${root}sha256/`;
  const uploads = `${root}uploads/`;
  return {
    prefix: root,
    blobs,
    uploads,
    blobKey: (digest) => blobs + checkDigest(digest),
    digestOf(key) {
      if (!key.startsWith(blobs)) return undefined;
      const digest = key.slice(blobs.length);
      return DIGEST.test(digest) ? digest : undefined;
    },
    uploadKey: () => `${uploads}${Date.now().toString(36)}-${randomBytes(8).toString("hex")}`,
  };
}

const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$/;

/** Throws `VALIDATION` unless `bucket` is a bucket name (letters, digits, `.`, `_`, `-`; no `/`). */
export function checkBucket(bucket: unknown): string {
  if (typeof bucket !== "string" || !BUCKET.test(bucket))
    throw invalid(
      ["bucket"],
      `must be a bucket name of 3 to 255 letters, digits, '.', '_' or '-', got '${String(bucket).slice(0, 80)}'`,
    );
  return bucket;
}

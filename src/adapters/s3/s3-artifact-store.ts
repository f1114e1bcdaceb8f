import { createHash } from "node:crypto";
import { closedError, invalid, isMlcycleError, MlcycleError, notFound } from "../../core/errors.js";
import { type ArtifactBody, type ArtifactInfo, type ArtifactStore, bodyChunks } from "../../stores/artifact-store.js";
import { bufferParts, byteParts } from "./byte-parts.js";
import { copyObject } from "./s3-copy.js";
import { checkBucket, type S3KeyLayout, s3KeyLayout } from "./s3-key-layout.js";
import { runMultipartUpload, uploadPartSender } from "./s3-multipart.js";
import { importS3Sdk, type S3Answers, type S3ClientLike, type S3SdkLike } from "./s3-sdk.js";
import { type S3Target, s3Send } from "./s3-target.js";

const MiB = 1024 ** 2;
/** S3's bounds on a part: at least 5 MiB (all but the last), at most 5 GiB. */
const MIN_PART = 5 * MiB;
const MAX_PART = 5 * 1024 * MiB;

/** Options of {@link s3ArtifactStore}. */
export interface S3ArtifactStoreOptions {
  /** Your `S3Client` from `@aws-sdk/client-s3` (v3), configured with region, endpoint and credentials. */
  client: S3ClientLike;
  /** The bucket; it must exist. */
  bucket: string;
  /**
   * Key prefix every object of the store lives under, e.g. `"team-a/artifacts"` (default `""`, the
   * bucket's root): `/`-separated segments of letters, digits, `.`, `_` and `-`.
   */
  prefix?: string;
  /**
   * Part size of multipart uploads, in bytes (default 8 MiB; between 5 MiB and 5 GiB). Artifacts up
   * to one part are sent in one request; larger ones in parts, at most 10,000 (80,000 MiB with the
   * default).
   */
  partSize?: number;
  /** Parts of one upload in flight at once (default 4); an upload holds about `queueSize + 2` parts in memory. */
  queueSize?: number;
  /** Keys asked for per `ListObjectsV2` page by `list()` (default 1000, S3's maximum). */
  listPageSize?: number;
  /** The `@aws-sdk/client-s3` module whose commands are sent (default: imported on first use). */
  sdk?: S3SdkLike;
}

/** The store {@link s3ArtifactStore} returns: an {@link ArtifactStore} whose `stream` and `stat` are always there. */
export interface S3ArtifactStore extends ArtifactStore {
  stream(digest: string): AsyncIterable<Uint8Array>;
  stat(digest: string): Promise<ArtifactInfo | undefined>;
}

function checkInteger(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw invalid([name], `must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}

/**
 * An {@link ArtifactStore} on any S3-compatible object store (AWS S3, MinIO, Ceph, R2…) through your
 * `@aws-sdk/client-s3` client. Blobs live at `<prefix>sha256/<digest>`.
 *
 * - **Writes.** Bytes in hand (a `Uint8Array`, a string) are hashed first and sent straight to their
 *   digest key. A stream is read one part at a time: if it ends within one part it is sent the same
 *   way; a longer one goes as a multipart upload to a temporary key `<prefix>uploads/…`, hashed on
 *   the way, and is copied on the server under its digest key once complete, so an object under a
 *   digest key is always whole and always the bytes of that digest. A failed upload is aborted.
 *   Putting stored content again writes it again (and so repairs changed bytes).
 * - **Reads** stream the object and check its sha256: `INTEGRITY` when the bytes do not match.
 * - **Keys** are built from a checked prefix and checked digests only: none lies outside the prefix.
 *
 * `close()` stops the store; the client stays yours to `destroy()`.
 *
 * @example
 * ```ts
 * import { S3Client } from "@aws-sdk/client-s3";
 * import { s3ArtifactStore } from "mlcycle/s3";
 * const ws = await createWorkspace({
 *   artifacts: s3ArtifactStore({ client: new S3Client({}), bucket: "ml-artifacts", prefix: "team-a" }),
 * });
 * ```
 */
export function s3ArtifactStore(options: S3ArtifactStoreOptions): S3ArtifactStore {
  if (typeof options !== "object" || options === null)
    throw invalid([], "s3ArtifactStore takes { client, bucket, prefix?, partSize? }");
  const { client } = options;
  if (typeof client !== "object" || client === null || typeof client.send !== "function")
    throw invalid(["client"], "must be an S3Client from @aws-sdk/client-s3 (an object with send())");
  const bucket = checkBucket(options.bucket);
  const layout: S3KeyLayout = s3KeyLayout(options.prefix);
  const partSize = checkInteger("partSize", options.partSize, MIN_PART, MAX_PART, 8 * MiB);
  const queueSize = checkInteger("queueSize", options.queueSize, 1, 64, 4);
  const listPageSize = checkInteger("listPageSize", options.listPageSize, 1, 1000, 1000);

  let closed = false;
  let target: Promise<S3Target> | undefined;
  /** The target, once the store is known to be open; the SDK is imported on first use. */
  const open = (): Promise<S3Target> => {
    if (closed) throw closedError("the artifact store");
    target ??= (options.sdk ? Promise.resolve(options.sdk) : importS3Sdk()).then((sdk) => ({ client, sdk, bucket }));
    return target;
  };
  const objectRef = (key: string) => ({ Bucket: bucket, Key: key });
  const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  const integrity = (digest: string, actual: string) =>
    new MlcycleError(
      "INTEGRITY",
      `artifact ${digest} does not match its digest (read ${actual}): the object was changed in the bucket`,
      { details: { digest, actual, bucket, key: layout.blobKey(digest) } },
    );

  /** Sends bytes whose digest is known to their digest key: one request, or parts beyond one part. */
  async function putKnown(t: S3Target, bytes: Uint8Array): Promise<ArtifactInfo> {
    const digest = sha256(bytes);
    const key = layout.blobKey(digest);
    if (closed) throw closedError("the artifact store");
    if (bytes.byteLength <= partSize)
      await s3Send(
        t,
        new t.sdk.PutObjectCommand({ ...objectRef(key), Body: bytes, ContentLength: bytes.byteLength }),
        `storing artifact ${digest}`,
      );
    else
      await runMultipartUpload(
        t,
        key,
        Array.from(bufferParts(bytes, partSize), (part) => uploadPartSender(t, key, part)),
        queueSize,
      );
    return { digest, size: bytes.byteLength };
  }

  /** Streams a body longer than one part to a temporary key, then copies it under its digest. */
  async function putStreamed(t: S3Target, parts: AsyncIterable<Uint8Array>): Promise<ArtifactInfo> {
    const temporary = layout.uploadKey();
    const hash = createHash("sha256");
    let size = 0;
    async function* senders() {
      for await (const part of parts) {
        hash.update(part);
        size += part.byteLength;
        yield uploadPartSender(t, temporary, part);
      }
    }
    await runMultipartUpload(t, temporary, senders(), queueSize);
    const digest = hash.digest("hex");
    try {
      if (closed) throw closedError("the artifact store");
      await copyObject(t, temporary, layout.blobKey(digest), size, queueSize);
    } finally {
      await s3Send(t, new t.sdk.DeleteObjectCommand(objectRef(temporary)), `removing '${temporary}'`).catch(
        () => undefined,
      );
    }
    return { digest, size };
  }

  /** The object of a blob, `NOT_FOUND` when absent. */
  async function getObject(digest: string): Promise<AsyncIterable<Uint8Array>> {
    const t = await open();
    const key = layout.blobKey(digest);
    try {
      const answer = await s3Send<S3Answers["GetObject"]>(
        t,
        new t.sdk.GetObjectCommand(objectRef(key)),
        `reading artifact ${digest}`,
      );
      if (!answer.Body || !(Symbol.asyncIterator in answer.Body))
        throw new MlcycleError("INTERNAL", `the endpoint answered artifact ${digest} without a readable body`);
      return answer.Body;
    } catch (error) {
      if (isMlcycleError(error, "NOT_FOUND")) throw notFound("artifact", digest);
      throw error;
    }
  }

  /** The chunks of a blob's body, read errors as `UNAVAILABLE`, the digest checked at the end. */
  async function* verifiedChunks(digest: string): AsyncGenerator<Uint8Array> {
    const body = await getObject(digest);
    const hash = createHash("sha256");
    try {
      for await (const chunk of body) {
        hash.update(chunk);
        yield chunk;
      }
    } catch (error) {
      if (isMlcycleError(error)) throw error;
      throw new MlcycleError("UNAVAILABLE", `reading artifact ${digest} failed: ${(error as Error).message}`, {
        cause: error,
        details: { bucket, key: layout.blobKey(digest) },
      });
    }
    const actual = hash.digest("hex");
    if (actual !== digest) throw integrity(digest, actual);
  }

  async function head(digest: string): Promise<ArtifactInfo | undefined> {
    const t = await open();
    const key = layout.blobKey(digest);
    try {
      const answer = await s3Send<S3Answers["HeadObject"]>(
        t,
        new t.sdk.HeadObjectCommand(objectRef(key)),
        `looking up artifact ${digest}`,
      );
      return { digest, size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isMlcycleError(error, "NOT_FOUND")) return undefined;
      throw error;
    }
  }

  return {
    async put(body: ArtifactBody): Promise<ArtifactInfo> {
      const t = await open();
      if (body instanceof Uint8Array) return putKnown(t, body);
      if (typeof body === "string") return putKnown(t, new TextEncoder().encode(body));
      const parts = byteParts(bodyChunks(body), partSize);
      // Up to two parts are read first: a body that ends within one part is sent in one request.
      const first = await parts.next();
      if (first.done) return putKnown(t, new Uint8Array(0));
      const second = await parts.next();
      if (second.done) return putKnown(t, first.value);
      async function* all() {
        yield first.value as Uint8Array;
        yield second.value as Uint8Array;
        yield* parts;
      }
      try {
        return await putStreamed(t, all());
      } finally {
        // Closes the body when the upload stopped before reading it to the end (a no-op otherwise).
        await parts.return(undefined);
      }
    },
    async get(digest) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of verifiedChunks(digest)) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    stream: verifiedChunks,
    async has(digest) {
      return (await head(digest)) !== undefined;
    },
    stat: head,
    async delete(digest) {
      const t = await open();
      const key = layout.blobKey(digest);
      await s3Send(t, new t.sdk.DeleteObjectCommand(objectRef(key)), `deleting artifact ${digest}`);
    },
    async *list() {
      const t = await open();
      let token: string | undefined;
      do {
        const page = await s3Send<S3Answers["ListObjectsV2"]>(
          t,
          new t.sdk.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: layout.blobs,
            MaxKeys: listPageSize,
            ...(token ? { ContinuationToken: token } : {}),
          }),
          `listing '${layout.blobs}'`,
        );
        for (const object of page.Contents ?? []) {
          const digest = object.Key === undefined ? undefined : layout.digestOf(object.Key);
          if (digest) yield { digest, size: object.Size ?? 0 };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async close() {
      closed = true;
    },
  };
}

import { closedError, MlcycleError, notFound } from "../../core/errors.js";
import { sha256 } from "../../core/hash.js";
import { type ArtifactBody, type ArtifactInfo, type ArtifactStore, bodyBytes, checkDigest } from "../artifact-store.js";

/**
 * An {@link ArtifactStore} in process memory: the reference implementation, for tests and
 * short-lived workspaces. Bytes are copied in and out, so callers cannot change what is stored.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace({ artifacts: memoryArtifactStore() });
 * ```
 */
export function memoryArtifactStore(): ArtifactStore & {
  /** Test hook: replaces stored bytes without changing the digest, to prove reads verify. */
  corrupt(digest: string, bytes: Uint8Array): void;
} {
  const blobs = new Map<string, Uint8Array>();
  let closed = false;
  const open = () => {
    if (closed) throw closedError("the artifact store");
  };
  const read = (digest: string): Uint8Array => {
    open();
    checkDigest(digest);
    const b = blobs.get(digest);
    if (!b) throw notFound("artifact", digest);
    if (sha256(b) !== digest)
      throw new MlcycleError("INTEGRITY", `artifact ${digest} does not match its digest: the stored bytes changed`, {
        details: { digest },
      });
    return Uint8Array.from(b);
  };
  return {
    async put(body: ArtifactBody): Promise<ArtifactInfo> {
      open();
      const bytes = Uint8Array.from(await bodyBytes(body));
      open();
      const digest = sha256(bytes);
      // Set even when present: stored bytes that no longer match their digest are repaired.
      blobs.set(digest, bytes);
      return { digest, size: bytes.byteLength };
    },
    async get(digest) {
      return read(digest);
    },
    async *stream(digest) {
      yield read(digest);
    },
    async has(digest) {
      open();
      return blobs.has(checkDigest(digest));
    },
    async stat(digest) {
      open();
      const b = blobs.get(checkDigest(digest));
      return b ? { digest, size: b.byteLength } : undefined;
    },
    async delete(digest) {
      open();
      blobs.delete(checkDigest(digest));
    },
    async *list() {
      open();
      for (const [digest, b] of blobs) yield { digest, size: b.byteLength };
    },
    async close() {
      closed = true;
    },
    corrupt(digest, bytes) {
      blobs.set(digest, Uint8Array.from(bytes));
    },
  };
}

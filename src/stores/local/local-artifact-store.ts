import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { MlcycleError, notFound } from "../../core/errors.js";
import {
  type ArtifactBody,
  type ArtifactInfo,
  type ArtifactStore,
  bodyChunks,
  checkDigest,
} from "../artifact-store.js";

/** Options of {@link localArtifactStore}. */
export interface LocalArtifactStoreOptions {
  /** Root folder; created when missing. */
  root: string;
  /** fsync each blob before it becomes visible (default true: a crash never leaves a torn blob). */
  fsync?: boolean;
}

/**
 * An {@link ArtifactStore} on the local file system: blobs live at `root/ab/cdef…` (the digest split
 * after two characters). Writes stream to a temporary file, are hashed on the way, then renamed into
 * place, so a reader never sees a partial blob and a crash leaves at most a stray temp file. Reads
 * verify the digest. Keys are digests checked to be 64 hex characters, so no key can leave `root`.
 *
 * @example
 * ```ts
 * const store = localArtifactStore({ root: "./.mlcycle/artifacts" });
 * ```
 */
export function localArtifactStore(options: LocalArtifactStoreOptions): ArtifactStore {
  const root = resolve(options.root);
  const tmpDir = join(root, ".tmp");
  const fsync = options.fsync ?? true;
  let ready: Promise<void> | undefined;
  const ensure = () => {
    ready ??= mkdir(tmpDir, { recursive: true }).then(() => undefined);
    return ready;
  };
  const pathOf = (digest: string): string => {
    checkDigest(digest);
    const p = join(root, digest.slice(0, 2), digest.slice(2));
    const rel = relative(root, p);
    if (rel.startsWith("..") || rel.includes(`..${sep}`))
      throw new MlcycleError("VALIDATION", "artifact key leaves root");
    return p;
  };
  const integrity = (digest: string, actual: string) =>
    new MlcycleError(
      "INTEGRITY",
      `artifact ${digest} does not match its digest (read ${actual}): the file was changed on disk`,
      { details: { digest, actual } },
    );

  return {
    async put(body: ArtifactBody): Promise<ArtifactInfo> {
      await ensure();
      const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString("hex")}`);
      const hash = createHash("sha256");
      let size = 0;
      const fh = await open(tmp, "w");
      try {
        for await (const chunk of bodyChunks(body)) {
          hash.update(chunk);
          size += chunk.byteLength;
          await fh.write(chunk);
        }
        if (fsync) await fh.sync();
      } catch (error) {
        await fh.close();
        await rm(tmp, { force: true });
        throw error;
      }
      await fh.close();
      const digest = hash.digest("hex");
      const dest = pathOf(digest);
      try {
        const existing = await stat(dest).catch(() => undefined);
        if (existing && existing.size === size) {
          await rm(tmp, { force: true });
        } else {
          await mkdir(join(root, digest.slice(0, 2)), { recursive: true });
          await rename(tmp, dest);
        }
      } catch (error) {
        await rm(tmp, { force: true });
        throw new MlcycleError("UNAVAILABLE", `could not store artifact ${digest}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      return { digest, size };
    },
    async get(digest) {
      const p = pathOf(digest);
      let bytes: Buffer;
      try {
        bytes = await readFile(p);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw notFound("artifact", digest);
        throw error;
      }
      const actual = createHash("sha256").update(bytes).digest("hex");
      if (actual !== digest) throw integrity(digest, actual);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async *stream(digest) {
      const p = pathOf(digest);
      const hash = createHash("sha256");
      try {
        for await (const chunk of createReadStream(p)) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") throw notFound("artifact", digest);
        throw error;
      }
      const actual = hash.digest("hex");
      if (actual !== digest) throw integrity(digest, actual);
    },
    async has(digest) {
      return (await stat(pathOf(digest)).catch(() => undefined)) !== undefined;
    },
    async stat(digest) {
      const s = await stat(pathOf(digest)).catch(() => undefined);
      return s ? { digest, size: s.size } : undefined;
    },
    async delete(digest) {
      await rm(pathOf(digest), { force: true });
    },
    async *list() {
      const dirs = await readdir(root).catch(() => [] as string[]);
      for (const d of dirs) {
        if (!/^[0-9a-f]{2}$/.test(d)) continue;
        for (const f of await readdir(join(root, d))) {
          const digest = d + f;
          if (!/^[0-9a-f]{64}$/.test(digest)) continue;
          const s = await stat(join(root, d, f));
          yield { digest, size: s.size };
        }
      }
    },
  };
}

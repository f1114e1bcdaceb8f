import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { closedError, MlcycleError, notFound } from "../../core/errors.js";
import {
  type ArtifactBody,
  type ArtifactInfo,
  type ArtifactStore,
  bodyChunks,
  checkDigest,
} from "../artifact-store.js";

/**
 * Removes temporary files left by puts of processes that died mid-write. A temp file is named
 * `<pid>-<random>`; one whose process is gone, or that is over a day old, is abandoned.
 */
async function removeAbandonedTemps(tmpDir: string): Promise<void> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  const dayAgo = Date.now() - 86_400_000;
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(name.split("-", 1)[0]);
      if (pid === process.pid) return;
      const file = join(tmpDir, name);
      const info = await stat(file).catch(() => undefined);
      if (!info) return;
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && info.mtimeMs > dayAgo) return;
      await rm(file, { force: true }).catch(() => undefined);
    }),
  );
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

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
 * place, so a reader never sees a partial blob; temp files of processes that died mid-write are
 * removed when a store next opens the folder. Reads
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
    ready ??= mkdir(tmpDir, { recursive: true }).then(() => removeAbandonedTemps(tmpDir));
    return ready;
  };
  let closed = false;
  const pathOf = (digest: string): string => {
    if (closed) throw closedError("the artifact store");
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
      if (closed) throw closedError("the artifact store");
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
        // Always renamed into place, even over an existing blob: the new bytes are known to match
        // the digest, the old ones may have been changed on disk — a put repairs them.
        await mkdir(join(root, digest.slice(0, 2)), { recursive: true });
        await rename(tmp, dest);
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
    async close() {
      closed = true;
    },
    async *list() {
      if (closed) throw closedError("the artifact store");
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

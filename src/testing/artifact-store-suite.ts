import { createHash } from "node:crypto";
import { describe, expect, it } from "./vitest.js";
import { isMlcycleError } from "../core/errors.js";
import type { ArtifactStore } from "../stores/artifact-store.js";

/** Hooks a suite may use to reach behind the port. */
export interface ArtifactStoreSuiteOptions {
  /**
   * Changes the stored bytes of a blob behind the store's back (overwrite the file, the object…)
   * so the suite can prove that reads verify digests. Skips that test when absent.
   */
  corrupt?: (store: ArtifactStore, digest: string) => Promise<void>;
}

/**
 * The {@link ArtifactStore} conformance suite: content addressing, idempotent puts, streaming
 * bodies, verified reads, deletes, listing and key validation.
 *
 * @example
 * ```ts
 * artifactStoreSuite("memory", async () => memoryArtifactStore());
 * ```
 */
export function artifactStoreSuite(
  name: string,
  factory: () => Promise<ArtifactStore>,
  options: ArtifactStoreSuiteOptions = {},
): void {
  const hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
  describe(`ArtifactStore conformance: ${name}`, () => {
    it("stores bytes under their sha256 and reads them back", async () => {
      const store = await factory();
      const bytes = new TextEncoder().encode("hello artifacts");
      const info = await store.put(bytes);
      expect(info).toEqual({ digest: hex(bytes), size: bytes.byteLength });
      expect(Buffer.from(await store.get(info.digest)).toString()).toBe("hello artifacts");
      expect(await store.has(info.digest)).toBe(true);
      await store.close?.();
    });

    it("is idempotent: the same bytes twice are one blob", async () => {
      const store = await factory();
      const a = await store.put("same");
      const b = await store.put("same");
      expect(a).toEqual(b);
      const all = [];
      for await (const i of store.list()) all.push(i);
      expect(all.filter((i) => i.digest === a.digest)).toHaveLength(1);
      await store.close?.();
    });

    it("accepts streamed bodies and empty blobs", async () => {
      const store = await factory();
      async function* chunks() {
        for (let i = 0; i < 50; i++) yield new Uint8Array(10_000).fill(i);
      }
      const info = await store.put(chunks());
      expect(info.size).toBe(500_000);
      const got = await store.get(info.digest);
      expect(got.byteLength).toBe(500_000);
      expect(got[499_999]).toBe(49);
      expect(hex(got)).toBe(info.digest);
      if (store.stream) {
        let n = 0;
        for await (const c of store.stream(info.digest)) n += c.byteLength;
        expect(n).toBe(500_000);
      }
      const empty = await store.put(new Uint8Array(0));
      expect(empty.size).toBe(0);
      expect((await store.get(empty.digest)).byteLength).toBe(0);
      await store.close?.();
    });

    it("returns copies: changing a returned buffer does not change the blob", async () => {
      const store = await factory();
      const info = await store.put("immutable");
      const got = await store.get(info.digest);
      got[0] = 0;
      expect(Buffer.from(await store.get(info.digest)).toString()).toBe("immutable");
      await store.close?.();
    });

    it("NOT_FOUND for an absent blob; delete removes and is idempotent", async () => {
      const store = await factory();
      const absent = hex("never stored");
      await expect(store.get(absent)).rejects.toSatisfy((e) => isMlcycleError(e, "NOT_FOUND"));
      expect(await store.has(absent)).toBe(false);
      const info = await store.put("to delete");
      await store.delete(info.digest);
      expect(await store.has(info.digest)).toBe(false);
      await store.delete(info.digest);
      await store.close?.();
    });

    it("rejects keys that are not digests (no path can leave the store)", async () => {
      const store = await factory();
      for (const bad of ["../../etc/passwd", "..", "/abs", "ab/../../x", "A".repeat(64), "", "0".repeat(63)]) {
        await expect(store.get(bad)).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
        await expect(store.has(bad)).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
        await expect(store.delete(bad)).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      }
      await store.close?.();
    });

    // Regression: memory threw a raw TypeError, local files stored a NaN size.
    it("refuses a body that is not bytes with VALIDATION and stores nothing", async () => {
      const store = await factory();
      for (const body of [5, null, {}, ["a", "b"], [new Uint8Array([1]), "b"]]) {
        await expect(store.put(body as never)).rejects.toSatisfy((e) => isMlcycleError(e, "VALIDATION"));
      }
      const listed: unknown[] = [];
      for await (const info of store.list()) listed.push(info);
      expect(listed).toEqual([]);
      await store.close?.();
    });

    // Regression: memory and local files kept answering after close().
    it("answers every call after close() with the closed error", async () => {
      const store = await factory();
      const info = await store.put("kept");
      if (!store.close) return;
      await store.close();
      const closed = (e: unknown) => isMlcycleError(e, "UNAVAILABLE") && e.details.closed === true;
      await expect(store.put("more")).rejects.toSatisfy(closed);
      await expect(store.get(info.digest)).rejects.toSatisfy(closed);
      await expect(store.has(info.digest)).rejects.toSatisfy(closed);
      await expect(store.delete(info.digest)).rejects.toSatisfy(closed);
    });

    it("lists what it stores", async () => {
      const store = await factory();
      const put = await Promise.all(["a", "b", "c"].map((s) => store.put(s)));
      const listed = new Set<string>();
      for await (const i of store.list()) listed.add(i.digest);
      for (const p of put) expect(listed.has(p.digest)).toBe(true);
      await store.close?.();
    });

    it.skipIf(!options.corrupt)("detects bytes changed behind its back (INTEGRITY)", async () => {
      const store = await factory();
      const info = await store.put("original model bytes");
      await options.corrupt?.(store, info.digest);
      await expect(store.get(info.digest)).rejects.toSatisfy((e) => isMlcycleError(e, "INTEGRITY"));
      await store.close?.();
    });

    // Regression: a same-size tamper used to survive every later put of the same content.
    it.skipIf(!options.corrupt)("repairs changed bytes when the same content is put again", async () => {
      const store = await factory();
      const info = await store.put("original");
      await options.corrupt?.(store, info.digest);
      await expect(store.get(info.digest)).rejects.toSatisfy((e) => isMlcycleError(e, "INTEGRITY"));
      expect(await store.put("original")).toEqual(info);
      expect(new TextDecoder().decode(await store.get(info.digest))).toBe("original");
      await store.close?.();
    });
  });
}

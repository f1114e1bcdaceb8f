import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { localArtifactStore, memoryArtifactStore } from "../../src/index.js";
import { artifactStoreSuite } from "../../src/testing/index.js";
import { tempDir } from "../helpers.js";

artifactStoreSuite("memory", async () => memoryArtifactStore(), {
  corrupt: async (store, digest) =>
    (store as ReturnType<typeof memoryArtifactStore>).corrupt(digest, new Uint8Array([1, 2, 3])),
});

const root = tempDir();
let n = 0;
artifactStoreSuite("local files", async () => localArtifactStore({ root: join(root, String(n++)) }), {
  corrupt: async (_store, digest) => {
    const dir = join(root, String(n - 1));
    writeFileSync(join(dir, digest.slice(0, 2), digest.slice(2)), "tampered");
  },
});

describe("local artifact store temp files", () => {
  it("removes temp files of dead processes when a store opens the folder, keeps those of live ones", async () => {
    const dir = join(root, "temps");
    mkdirSync(join(dir, ".tmp"), { recursive: true });
    const dead = join(dir, ".tmp", "999999999-abandoned");
    const live = join(dir, ".tmp", `${process.ppid}-writing`);
    writeFileSync(dead, "half a blob");
    writeFileSync(live, "being written");
    const store = localArtifactStore({ root: dir });
    await store.put("x");
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

import { writeFileSync } from "node:fs";
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

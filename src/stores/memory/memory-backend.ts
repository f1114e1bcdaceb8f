import type { Backend } from "../backend.js";
import { memoryArtifactStore } from "./memory-artifact-store.js";
import { memoryStore } from "./memory-metadata-store.js";
import { memoryOfflineStore } from "./memory-offline-store.js";
import { memoryOnlineStore } from "./memory-online-store.js";

/**
 * Every port in process memory: the reference backend (what `createWorkspace()` uses when given
 * nothing). Nothing survives `close()`.
 *
 * @example
 * ```ts
 * const ws = await createWorkspace(memoryBackend());
 * ```
 */
export function memoryBackend(): Required<Omit<Backend, "sql">> {
  return {
    metadata: memoryStore(),
    offline: memoryOfflineStore(),
    online: memoryOnlineStore(),
    artifacts: memoryArtifactStore(),
  };
}

import type { WorkspaceContext } from "../workspace-context.js";

/** The workspace's entry point to the feature store. */
export class FeatureStore {
  constructor(readonly ctx: WorkspaceContext) {}

  /** Flushes buffers and stops timers; the workspace calls it on close. */
  async close(): Promise<void> {}
}

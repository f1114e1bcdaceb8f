import type { WorkspaceContext } from "../workspace-context.js";

/** The workspace's entry point to pipelines. */
export class Pipelines {
  constructor(readonly ctx: WorkspaceContext) {}

  /** Flushes buffers and stops timers; the workspace calls it on close. */
  async close(): Promise<void> {}
}
